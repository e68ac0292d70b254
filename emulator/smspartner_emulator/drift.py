"""The drift catalogue: the emulator made to drift from the docs in one named way at a time.

One catalogue for the emulator's scenarios (`--scenario NAME`, `Prefer: scenario=NAME`) and
for the contract's drift tests. Each drift names the contract check that must catch it and the
category the run must give it: `breaking` (a documented fact broken), `assumption` (a guess
about what the docs leave open is refuted) or `additive` (new data a tolerant client ignores).

A drift of category `assumption` says what it changes in the docs' terms, not in the spec's:
`refutes` lists `Place`s (an operation, its success or error answers, a field, the HTTP status
or the media type, in JSON or XML). The emulator is written from the docs and knows nothing of
the spec's ledger; the contract tests find which of the spec's guesses sit at those places.

A drift changes the emulator's answers before they are encoded (`Draft`s: data, status, media
type), or, for `auth_not_enforced`, how a request is checked. Drifts of success bodies apply to
the JSON or XML success answers they name; status and media-type drifts to every answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from smspartner_emulator.answers import Draft, Edit, Format, Role
from smspartner_emulator.encoding import Mapped, Value

Category = Literal["breaking", "assumption", "additive"]
CATEGORIES: tuple[Category, ...] = ("breaking", "assumption", "additive")
Aspect = Literal["field", "status", "media-type"]
ASPECTS: tuple[Aspect, ...] = ("field", "status", "media-type")
Fields = dict[str, Value]

STOP_LIST = "GET /stop-sms/list"
RENTAL_STATUS = "GET /location/status"


@dataclass(frozen=True)
class Place:
    """Where a drift contradicts a guess, in the docs' terms.

    - `operation`: `METHOD /path` below /v1, as the docs name it (`GET /stop-sms/list`);
    - `answer`: its `success` answers, or its `error` answers (the error envelope);
    - `aspect`: a `field` of the body (`pointer` says which: a JSON pointer into the JSON
      form, `*` for every item of a list, e.g. `/data/*/createdAt`), the HTTP `status`, or the
      `media-type` (then `media` says of which form);
    - `media`: `json` or `xml` for a field or a media type, None for a status.
    """

    operation: str
    answer: Role
    aspect: Aspect
    media: Format | None = None
    pointer: str | None = None

    def __post_init__(self) -> None:
        method, _, path = self.operation.partition(" ")
        if not method.isupper() or not path.startswith("/"):
            raise ValueError(f"{self}: operation must read `METHOD /path`")
        if self.answer not in ("success", "error") or self.aspect not in ASPECTS:
            raise ValueError(f"{self}: unknown answer or aspect")
        if (self.aspect == "field") != (self.pointer is not None):
            raise ValueError(f"{self}: a pointer goes with the `field` aspect only")
        if self.pointer is not None and not self.pointer.startswith("/"):
            raise ValueError(f"{self}: a pointer starts with `/`")
        if (self.aspect == "status") != (self.media is None):
            raise ValueError(f"{self}: a media (json or xml) goes with a field or a media type")


@dataclass(frozen=True)
class Drift:
    """One named way of drifting, the contract check that must catch it, and its category.

    `refutes` (category `assumption` only) says where the drift contradicts a guess.
    """

    name: str
    description: str
    expected_check: str
    category: Category
    refutes: tuple[Place, ...] = ()
    edit: Edit | None = field(default=None, compare=False, repr=False)
    any_key: bool = False

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: unknown category {self.category!r}")
        if bool(self.refutes) != (self.category == "assumption"):
            raise ValueError(f"{self.name}: places refuted go with the `assumption` category only")


# ---- edits of success bodies -------------------------------------------------------------------


def _success(fmt: Format, change: Callable[[Fields], Fields]) -> Edit:
    """Apply `change` to a copy of the data of every success answer in `fmt`."""

    def edit(one: Draft) -> Draft:
        if one.role != "success" or one.fmt != fmt:
            return one
        return dataclasses.replace(one, data=change(dict(one.data)))

    return edit


def _entries(data: Fields, change: Callable[[Fields], Fields]) -> Fields:
    """`data` with each stop-list entry replaced by `change(entry)` (other answers unchanged).

    The entries are changed as they are encoded (`Mapped`): a million are not copied first.
    """
    found = data.get("data")
    if not isinstance(found, Sequence) or isinstance(found, str):
        return data
    return {**data, "data": Mapped(found, change)}


def _field(name: str, change: Callable[[Value], Value]) -> Callable[[Fields], Fields]:
    """Change field `name` of an object where it exists (another drift may have removed it)."""

    def edit(fields: Fields) -> Fields:
        return {**fields, name: change(fields[name])} if name in fields else fields

    return edit


def _renamed(data: Fields) -> Fields:
    def rename(entry: Fields) -> Fields:
        return {("phone" if key == "phoneNumber" else key): value for key, value in entry.items()}

    return _entries(data, rename)


def _removed(data: Fields) -> Fields:
    return {key: value for key, value in data.items() if key not in {"nbData", "token"}}


def _retyped(data: Fields) -> Fields:
    data = _entries(data, _field("id", str))
    location = data.get("location")
    if isinstance(location, dict):
        data["location"] = _field("minAge", str)(dict(location))
    return data


def _iso_dates(data: Fields) -> Fields:
    return _entries(data, _field("createdAt", lambda when: f"{when}".replace(" ", "T") + "+02:00"))


def _national_numbers(data: Fields) -> Fields:
    return _entries(data, _field("phoneNumber", lambda number: "0" + f"{number}"[-9:]))


def _miscounted(data: Fields) -> Fields:
    count = data.get("nbData")
    if isinstance(count, int) and not isinstance(count, bool):
        data["nbData"] = count + 2
    return data


def _with_new_fields(data: Fields) -> Fields:
    return {**_entries(data, lambda entry: {**entry, "source": "sms"}), "requestId": "a1b2c3"}


def _first_two_swapped(data: Fields) -> Fields:
    """XML is positional: swapping two fields swaps the first two `<entry>` elements."""
    items = list(data.items())
    return dict([items[1], items[0], *items[2:]]) if len(items) > 1 else data


def _trailing_entry(data: Fields) -> Fields:
    return {**data, "trailing": "sms"}


# ---- edits of every answer ---------------------------------------------------------------------


def _status(old: int, new: int) -> Edit:
    def edit(one: Draft) -> Draft:
        return dataclasses.replace(one, status=new) if one.status == old else one

    return edit


def _media_type(fmt: Format, new: str) -> Edit:
    def edit(one: Draft) -> Draft:
        return dataclasses.replace(one, media_type=new) if one.fmt == fmt else one

    return edit


def _wrong_key_code(one: Draft) -> Draft:
    if one.role == "error" and one.data.get("code") == 10:
        return dataclasses.replace(one, data={**one.data, "code": 11})
    return one


def _xml_cut(one: Draft) -> Draft:
    return dataclasses.replace(one, cut=True) if one.fmt == "xml" else one


ERROR_STATUS = (
    Place(STOP_LIST, "error", "status"),
    Place(RENTAL_STATUS, "error", "status"),
)
"""The HTTP status of every error answer (the docs show error bodies, not their status)."""
XML_MEDIA_TYPE = tuple(
    Place(operation, answer, "media-type", "xml")
    for operation in (STOP_LIST, RENTAL_STATUS)
    for answer in ("success", "error")
)
"""The media type of every XML answer (the docs show XML bodies, not their media type)."""
SCHEMA = "response_schema_conformance"

CATALOGUE: Mapping[str, Drift] = {
    drift.name: drift
    for drift in (
        Drift(
            "field_renamed",
            "stop entries say `phone`, not `phoneNumber` (JSON)",
            SCHEMA,
            "breaking",
            edit=_success("json", _renamed),
        ),
        Drift(
            "field_removed",
            "`nbData` and `token` disappear (JSON)",
            SCHEMA,
            "breaking",
            edit=_success("json", _removed),
        ),
        Drift(
            "field_retyped",
            "`id` and `minAge` become strings (JSON)",
            SCHEMA,
            "breaking",
            edit=_success("json", _retyped),
        ),
        Drift(
            "date_format_changed",
            "`createdAt` becomes ISO 8601 with an offset (JSON)",
            SCHEMA,
            "assumption",
            (Place(STOP_LIST, "success", "field", "json", "/data/*/createdAt"),),
            edit=_success("json", _iso_dates),
        ),
        Drift(
            "phone_format_changed",
            "stop-list numbers become national, `06...` (JSON)",
            SCHEMA,
            "assumption",
            (Place(STOP_LIST, "success", "field", "json", "/data/*/phoneNumber"),),
            edit=_success("json", _national_numbers),
        ),
        Drift(
            "success_flag_retyped",
            "`success` becomes 1 in success answers (JSON)",
            SCHEMA,
            "breaking",
            edit=_success("json", lambda data: {**data, "success": 1}),
        ),
        Drift(
            "success_flag_flipped",
            "success answers say `success: false` with HTTP 200 (JSON)",
            SCHEMA,
            "breaking",
            edit=_success("json", lambda data: {**data, "success": False}),
        ),
        Drift(
            "error_status_changed",
            "errors come back as HTTP 401, not 400",
            "status_code_conformance",
            "assumption",
            ERROR_STATUS,
            edit=_status(400, 401),
        ),
        Drift(
            "success_status_changed",
            "success answers come back as HTTP 201, not 200",
            "status_code_conformance",
            "breaking",
            edit=_status(200, 201),
        ),
        Drift(
            "content_type_changed",
            "JSON answers are labelled text/html",
            "content_type_conformance",
            "breaking",
            edit=_media_type("json", "text/html; charset=utf-8"),
        ),
        Drift(
            "error_code_changed",
            "a wrong key gives code 11, not 10",
            "documented_error_codes",
            "breaking",
            edit=_wrong_key_code,
        ),
        Drift(
            "auth_not_enforced",
            "any key, or none, is accepted",
            "documented_error_codes",
            "breaking",
            any_key=True,
        ),
        Drift(
            "xml_entry_order_changed",
            "the first two `<entry>` of XML success answers swap places",
            SCHEMA,
            "breaking",
            edit=_success("xml", _first_two_swapped),
        ),
        Drift(
            "xml_malformed",
            "XML answers are cut in half",
            SCHEMA,
            "breaking",
            edit=_xml_cut,
        ),
        Drift(
            "nb_data_inconsistent",
            "`nbData` no longer counts the entries of `data` (JSON)",
            "count_consistency",
            "assumption",
            (Place(STOP_LIST, "success", "field", "json", "/nbData"),),
            edit=_success("json", _miscounted),
        ),
        Drift(
            "errors_as_200",
            "error envelopes come back with HTTP 200",
            SCHEMA,
            "assumption",
            ERROR_STATUS,
            edit=_status(400, 200),
        ),
        Drift(
            "xml_media_type_changed",
            "every XML answer is labelled `text/xml; charset=UTF-8`",
            "content_type_conformance",
            "assumption",
            XML_MEDIA_TYPE,
            edit=_media_type("xml", "text/xml; charset=UTF-8"),
        ),
        Drift(
            "field_added",
            "a new field in every JSON success answer and its entries",
            "additive_drift",
            "additive",
            edit=_success("json", _with_new_fields),
        ),
        Drift(
            "xml_entry_added",
            "a trailing `<entry>` in every XML success answer",
            "additive_drift",
            "additive",
            edit=_success("xml", _trailing_entry),
        ),
    )
}
