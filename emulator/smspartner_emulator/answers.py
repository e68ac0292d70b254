"""Every answer the emulator can give, built once as ready-to-send responses.

A request then costs a few dict lookups: no encoding and no I/O. Each answer exists for GET
(with body) and HEAD (same headers, empty body). Answers are first built as `Draft`s (data,
status, media type) so that a scenario can change them before they are encoded: a drift or a
fault edits drafts, never encoded bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from starlette.responses import Response

from smspartner_emulator.encoding import Value, to_json, to_xml
from smspartner_emulator.fixtures import Fixtures, Rental

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
MEDIA_TYPES: Mapping[Format, str] = {"json": "application/json", "xml": "application/xml"}
ALLOW = "GET, HEAD"
Role = Literal["success", "error"]
"""`success`: a 200 answer of an endpoint; `error`: any error envelope."""


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
    body: bytes, status: int, media_type: str | None, headers: Mapping[str, str] | None = None
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


def envelope(code: int, message: str) -> dict[str, Value]:
    """The error envelope shared by every error."""
    return {"success": False, "code": code, "message": message}


def encode(answer: Mapping[str, Value], fmt: Format) -> bytes:
    return to_xml(answer) if fmt == "xml" else to_json(answer)


@dataclass(frozen=True, slots=True)
class Draft:
    """An answer before encoding: what a scenario may change.

    `page` is a body sent as is instead of `data` (an HTML error page); with `cut`, only the
    first half of the encoded body is sent (a well-framed HTTP answer whose JSON or XML is
    broken).
    """

    data: Mapping[str, Value]
    fmt: Format
    status: int
    role: Role
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)
    page: bytes | None = None
    cut: bool = False

    def body(self) -> bytes:
        encoded = self.page if self.page is not None else encode(self.data, self.fmt)
        return encoded[: len(encoded) // 2] if self.cut else encoded


Edit = Callable[[Draft], Draft]
"""A scenario's change to every draft (returns the draft itself when it does not apply)."""


def draft(
    data: Mapping[str, Value],
    fmt: Format,
    status: int,
    role: Role,
    headers: Mapping[str, str] | None = None,
) -> Draft:
    return Draft(data, fmt, status, role, MEDIA_TYPES[fmt], dict(headers or {}))


def error_draft(
    code: Code, fmt: Format, status: int, headers: Mapping[str, str] | None = None
) -> Draft:
    return draft(envelope(int(code), MESSAGES[code]), fmt, status, "error", headers)


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


@dataclass(frozen=True, slots=True)
class Answers:
    """All answers of one fixtures set (under one scenario), by format, code or token.

    With `any_key`, the API key is not checked at all (a drift: auth not enforced).
    """

    api_keys: frozenset[str]
    stop_list: Mapping[Format, Answer]
    rentals: Mapping[str, Mapping[Format, Answer]]
    errors: Mapping[Format, Mapping[Code, Answer]]
    bad_format: Answer
    not_found: Answer
    method_not_allowed: Answer
    internal_error: Answer
    any_key: bool = False


def build_answers(
    fixtures: Fixtures, edit: Edit | None = None, *, any_key: bool = False
) -> Answers:
    """Encode everything the fixtures can produce, each draft changed by `edit` first."""

    def finish(one: Draft) -> Answer:
        done = one if edit is None else edit(one)
        return make_answer(done.body(), done.status, done.media_type, done.headers)

    def per_format(body: Mapping[str, Value]) -> dict[Format, Answer]:
        return {fmt: finish(draft(body, fmt, 200, "success")) for fmt in FORMATS}

    return Answers(
        api_keys=frozenset(fixtures.api_keys),
        stop_list=per_format(stop_list_body(fixtures)),
        rentals={rental.token: per_format(rental_body(rental)) for rental in fixtures.rentals},
        errors={
            fmt: {code: finish(error_draft(code, fmt, 400)) for code in API_ERRORS}
            for fmt in FORMATS
        },
        bad_format=finish(error_draft(Code.BAD_FORMAT, "json", 400)),
        not_found=finish(error_draft(Code.NOT_FOUND, "json", 404)),
        method_not_allowed=finish(
            error_draft(Code.METHOD_NOT_ALLOWED, "json", 405, {"Allow": ALLOW})
        ),
        internal_error=finish(error_draft(Code.INTERNAL, "json", 500)),
        any_key=any_key,
    )
