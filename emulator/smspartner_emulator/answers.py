"""Every answer the emulator can give, built once as ready-to-send responses.

A request then costs a few dict lookups: no encoding and no I/O. Each answer exists for GET
(with body) and HEAD (same headers, empty body). Answers are first built as `Draft`s (data,
status, media type) so that a scenario can change them before they are encoded: a drift or a
fault edits drafts, never encoded bytes.

A scenario's answer set shares every answer its edit leaves alone with the documented set
(`base`): an edit returns the very draft it was given when it does not apply, and then the
documented answer is reused, bytes and all. A drift of rental answers does not copy a stop
list of a million entries. The stop list's entries are given to the encoder as a view
(`StopEntries`) computed CHUNK entries at a time, never as a list of a million dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal, overload

from starlette.responses import Response
from starlette.types import Message, Send

from smspartner_emulator.encoding import (
    FastItems,
    Value,
    cdata,
    json_parts,
    json_string,
    pad,
    xml_parts,
)
from smspartner_emulator.fixtures import (
    CLOCK,
    SYNTHETIC_COUNTRY_CODE,
    Fixtures,
    Rental,
    StopEntry,
    SyntheticStopList,
)

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
    """One prebuilt answer: status, headers and body parts, and its ASGI messages for GET and
    HEAD (same headers, `content-length` the GET body's, no body), built once.

    A big body stays in its parts (about PART_BYTES each), one ASGI message per part: it is
    never joined or copied whole. `body` and `get` are for tests and tools (`body`
    joins the parts).
    """

    status: int
    raw_headers: tuple[tuple[bytes, bytes], ...]
    parts: tuple[bytes, ...]
    messages: Mapping[str, tuple[Message, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": self.status,
            "headers": list(self.raw_headers),
        }
        last = len(self.parts) - 1
        bodies: list[Message] = [
            {"type": "http.response.body", "body": part, "more_body": index < last}
            for index, part in enumerate(self.parts)
        ] or [{"type": "http.response.body", "body": b""}]
        messages = {"GET": (start, *bodies), "HEAD": (start, {"type": "http.response.body"})}
        object.__setattr__(self, "messages", messages)

    def __repr__(self) -> str:
        # The body may hold phone numbers or tokens: its size only.
        size = sum(len(part) for part in self.parts)
        return f"Answer(status={self.status}, bytes={size}, parts={len(self.parts)})"

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)

    @property
    def get(self) -> Response:
        """The GET answer as a Starlette Response (joins the body)."""
        response = Response(self.body, status_code=self.status)
        response.raw_headers = list(self.raw_headers)
        return response

    async def send(self, method: str, send: Send) -> None:
        """Send the answer (HEAD: headers only), the messages built once."""
        for message in self.messages["HEAD" if method == "HEAD" else "GET"]:
            await send(message)


def make_answer(
    body: bytes | Sequence[bytes],
    status: int,
    media_type: str | None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """An answer of `body` (bytes, or parts); its headers as Starlette writes them, with the
    length of the whole body."""
    parts = (body,) if isinstance(body, bytes) else tuple(body)
    size = sum(len(part) for part in parts)
    extra = {**(headers or {}), "content-length": str(size)}
    headed = Response(b"", status_code=status, media_type=media_type, headers=extra)
    return Answer(status, tuple(headed.raw_headers), tuple(part for part in parts if part))


def envelope(code: int, message: str) -> dict[str, Value]:
    """The error envelope shared by every error."""
    return {"success": False, "code": code, "message": message}


def encode_parts(answer: Mapping[str, Value], fmt: Format) -> list[bytes]:
    return xml_parts(answer) if fmt == "xml" else json_parts(answer)


def _first(parts: Sequence[bytes], size: int) -> list[bytes]:
    """The first `size` bytes of `parts`, as parts."""
    kept: list[bytes] = []
    for part in parts:
        if size <= 0:
            break
        kept.append(part[:size])
        size -= len(part)
    return kept


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

    def parts(self) -> list[bytes]:
        """The encoded body, in parts (see `encoding`)."""
        encoded = [self.page] if self.page is not None else encode_parts(self.data, self.fmt)
        if self.cut:
            return _first(encoded, sum(len(part) for part in encoded) // 2)
        return encoded


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


def stop_entry_fields(entry: StopEntry) -> dict[str, Value]:
    return {"id": entry.id, "phoneNumber": entry.phone_number, "createdAt": entry.created_at}


class StopEntries(FastItems):
    """The stop list's entries as answer fields, made on demand (the list is not copied)."""

    def __init__(self, entries: Sequence[StopEntry]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> Value: ...

    @overload
    def __getitem__(self, index: slice) -> list[Value]: ...

    def __getitem__(self, index: int | slice) -> Value | list[Value]:
        if isinstance(index, slice):
            return [stop_entry_fields(entry) for entry in self.entries[index]]
        return stop_entry_fields(self.entries[index])

    def __iter__(self) -> Iterator[Value]:
        return map(stop_entry_fields, self.entries)

    def json_items(self, start: int, stop: int) -> str:
        entries = self.entries
        if isinstance(entries, SyntheticStopList):
            return _synthetic_json(entries, start, stop)
        quote = json_string
        return ",".join(
            [
                f'{{"id":{e.id},"phoneNumber":{quote(e.phone_number)},'
                f'"createdAt":{quote(e.created_at)}}}'
                for e in entries[start:stop]
            ]
        )

    def xml_items(self, start: int, stop: int, depth: int) -> str:
        entries = self.entries
        outer, inner = pad(depth), pad(depth + 1)
        if isinstance(entries, SyntheticStopList):
            return _synthetic_xml(entries, start, stop, outer, inner)
        return "".join(
            [
                f"{outer}<entry>\n{inner}<entry>{e.id}</entry>\n"
                f"{inner}<entry>{cdata(e.phone_number)}</entry>\n"
                f"{inner}<entry>{cdata(e.created_at)}</entry>\n{outer}</entry>\n"
                for e in entries[start:stop]
            ]
        )


# A synthetic list's values need no escaping (digits, `+`, `-`, `:` and spaces): templates.


def _synthetic_json(entries: SyntheticStopList, start: int, stop: int) -> str:
    code = SYNTHETIC_COUNTRY_CODE
    return ",".join(
        [
            f'{{"id":{at + 1},"phoneNumber":"+{code}{at:010d}",'
            f'"createdAt":"{date} {CLOCK[at - first]}"}}'
            for low, high, first, date in entries.days(start, stop)
            for at in range(low, high)
        ]
    )


def _synthetic_xml(
    entries: SyntheticStopList, start: int, stop: int, outer: str, inner: str
) -> str:
    code = SYNTHETIC_COUNTRY_CODE
    return "".join(
        [
            f"{outer}<entry>\n{inner}<entry>{at + 1}</entry>\n"
            f"{inner}<entry><![CDATA[+{code}{at:010d}]]></entry>\n"
            f"{inner}<entry><![CDATA[{date} {CLOCK[at - first]}]]></entry>\n{outer}</entry>\n"
            for low, high, first, date in entries.days(start, stop)
            for at in range(low, high)
        ]
    )


def stop_list_body(fixtures: Fixtures) -> dict[str, Value]:
    """Success answer of GET /stop-sms/list (`data` is a view of the fixtures' entries)."""
    data = StopEntries(fixtures.stop_list)
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
    `own_bytes` counts the bodies this set does not share with the documented one.
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
    own_bytes: int = 0

    def __repr__(self) -> str:
        # Counts only: the keys, and the tokens the rentals are found by, never show.
        return (
            f"Answers(api_keys={len(self.api_keys)}, rentals={len(self.rentals)},"
            f" any_key={self.any_key}, own_bytes={self.own_bytes})"
        )


def build_answers(
    fixtures: Fixtures,
    edit: Edit | None = None,
    *,
    any_key: bool = False,
    base: Answers | None = None,
) -> Answers:
    """Encode everything the fixtures can produce, each draft changed by `edit` first.

    `base` is the documented answer set of the same fixtures: an answer the edit leaves
    alone is taken from it rather than encoded again.
    """
    if edit is None and base is not None:
        return dataclasses.replace(base, any_key=any_key, own_bytes=0)
    own = 0

    def finish(one: Draft, shared: Answer | None) -> Answer:
        nonlocal own
        done = one if edit is None else edit(one)
        if done is one and shared is not None:
            return shared
        parts = done.parts()
        own += sum(len(part) for part in parts)
        return make_answer(parts, done.status, done.media_type, done.headers)

    def per_format(
        body: Mapping[str, Value], shared: Mapping[Format, Answer] | None
    ) -> dict[Format, Answer]:
        return {
            fmt: finish(draft(body, fmt, 200, "success"), None if shared is None else shared[fmt])
            for fmt in FORMATS
        }

    def error(
        code: Code, fmt: Format, status: int, headers: Mapping[str, str] | None = None
    ) -> Answer:
        shared = None
        if base is not None:
            shared = {
                Code.BAD_FORMAT: base.bad_format,
                Code.NOT_FOUND: base.not_found,
                Code.METHOD_NOT_ALLOWED: base.method_not_allowed,
                Code.INTERNAL: base.internal_error,
            }.get(code) or base.errors[fmt][code]
        return finish(error_draft(code, fmt, status, headers), shared)

    answers = Answers(
        api_keys=frozenset(fixtures.api_keys),
        stop_list=per_format(stop_list_body(fixtures), None if base is None else base.stop_list),
        rentals={
            rental.token: per_format(
                rental_body(rental), None if base is None else base.rentals[rental.token]
            )
            for rental in fixtures.rentals
        },
        errors={fmt: {code: error(code, fmt, 400) for code in API_ERRORS} for fmt in FORMATS},
        bad_format=error(Code.BAD_FORMAT, "json", 400),
        not_found=error(Code.NOT_FOUND, "json", 404),
        method_not_allowed=error(Code.METHOD_NOT_ALLOWED, "json", 405, {"Allow": ALLOW}),
        internal_error=error(Code.INTERNAL, "json", 500),
        any_key=any_key,
    )
    return dataclasses.replace(answers, own_bytes=own)
