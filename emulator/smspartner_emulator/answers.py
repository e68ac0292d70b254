"""Every answer the emulator can give, built once as ready-to-send responses.

A request then costs a few dict lookups: no encoding and no I/O. Each answer exists for GET
(with body) and HEAD (same headers, empty body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from starlette.responses import Response

from smspartner_emulator.encoding import Value, to_json, to_xml
from smspartner_emulator.fixtures import Fixtures, Rental

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
MEDIA_TYPES: Mapping[Format, str] = {"json": "application/json", "xml": "application/xml"}
ALLOW = "GET, HEAD"


class Code(IntEnum):
    """Error codes the two pages document, plus the emulator's own HTTP-level ones."""

    API_KEY_REQUIRED = 1
    API_KEY_INCORRECT = 10
    TOKEN_REQUIRED = 31
    RENTAL_NOT_FOUND = 32
    BAD_FORMAT = 400
    NOT_FOUND = 404
    METHOD_NOT_ALLOWED = 405
    INTERNAL = 500


MESSAGES: Mapping[Code, str] = {
    Code.API_KEY_REQUIRED: "La Clé API est requise",
    Code.API_KEY_INCORRECT: "Clé API incorrecte",
    Code.TOKEN_REQUIRED: "Le token de la location est requis",
    Code.RENTAL_NOT_FOUND: "Location introuvable",
    Code.BAD_FORMAT: "Format non supporté (json ou xml)",
    Code.NOT_FOUND: "Ressource introuvable",
    Code.METHOD_NOT_ALLOWED: "Méthode non autorisée",
    Code.INTERNAL: "Erreur interne de l'émulateur",
}

API_ERRORS = (
    Code.API_KEY_REQUIRED,
    Code.API_KEY_INCORRECT,
    Code.TOKEN_REQUIRED,
    Code.RENTAL_NOT_FOUND,
)
"""Errors answered in the requested format (all HTTP 400)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One prebuilt answer: the GET response and its HEAD twin."""

    get: Response
    head: Response

    def for_method(self, method: str) -> Response:
        return self.head if method == "HEAD" else self.get


def make_answer(
    body: bytes, status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Answer:
    """Build both responses; HEAD announces the GET body's length but sends nothing."""
    extra = dict(headers or {})
    get = Response(body, status_code=status, media_type=media_type, headers=extra)
    head = Response(
        b"",
        status_code=status,
        media_type=media_type,
        headers={**extra, "content-length": str(len(body))},
    )
    return Answer(get=get, head=head)


def envelope(code: Code) -> dict[str, Value]:
    """The error envelope shared by every error."""
    return {"success": False, "code": int(code), "message": MESSAGES[code]}


def encode(answer: Mapping[str, Value], fmt: Format) -> bytes:
    return to_xml(answer) if fmt == "xml" else to_json(answer)


def stop_list_body(fixtures: Fixtures) -> dict[str, Value]:
    """Success answer of GET /stop-sms/list."""
    data: list[Value] = [
        {"id": entry.id, "phoneNumber": entry.phone_number, "createdAt": entry.created_at}
        for entry in fixtures.stop_list
    ]
    return {"success": True, "code": 200, "nbData": len(data), "data": data}


def rental_body(rental: Rental) -> dict[str, Value]:
    """Success answer of GET /location/status for one rental (no `code` field, as documented)."""
    where = rental.location
    areas: list[Value] = [
        {
            "Type": area.type,
            "Location": area.location,
            "VolumeDesired": area.volume_desired,
            "Volume": area.volume,
        }
        for area in where.details_localisation
    ]
    return {
        "success": True,
        "token": rental.token,
        "status": rental.status,
        "location": {
            "sexe": where.sexe,
            "minAge": where.min_age,
            "maxAge": where.max_age,
            "zipcode": where.zipcode,
            "interest": where.interest,
            "category": where.category,
            "details_localisation": areas,
            "cost": {
                "quantity": where.cost.quantity,
                "total": where.cost.total,
                "cost_unity": where.cost.cost_unity,
            },
        },
        "file": {"phoneNumbers": rental.phone_numbers},
    }


def _per_format(body: Mapping[str, Value], status: int) -> dict[Format, Answer]:
    return {fmt: make_answer(encode(body, fmt), status, MEDIA_TYPES[fmt]) for fmt in FORMATS}


def _json_error(code: Code, status: int, headers: Mapping[str, str] | None = None) -> Answer:
    return make_answer(to_json(envelope(code)), status, MEDIA_TYPES["json"], headers)


@dataclass(frozen=True, slots=True)
class Answers:
    """All answers of one fixtures set, looked up by format, code or token."""

    api_keys: frozenset[str]
    stop_list: Mapping[Format, Answer]
    rentals: Mapping[str, Mapping[Format, Answer]]
    errors: Mapping[Format, Mapping[Code, Answer]]
    bad_format: Answer
    not_found: Answer
    method_not_allowed: Answer
    internal_error: Answer


def build_answers(fixtures: Fixtures) -> Answers:
    """Encode everything the fixtures can produce."""
    return Answers(
        api_keys=frozenset(fixtures.api_keys),
        stop_list=_per_format(stop_list_body(fixtures), 200),
        rentals={
            rental.token: _per_format(rental_body(rental), 200) for rental in fixtures.rentals
        },
        errors={
            fmt: {
                code: make_answer(encode(envelope(code), fmt), 400, MEDIA_TYPES[fmt])
                for code in API_ERRORS
            }
            for fmt in FORMATS
        },
        bad_format=_json_error(Code.BAD_FORMAT, 400),
        not_found=_json_error(Code.NOT_FOUND, 404),
        method_not_allowed=_json_error(Code.METHOD_NOT_ALLOWED, 405, {"Allow": ALLOW}),
        internal_error=_json_error(Code.INTERNAL, 500),
    )
