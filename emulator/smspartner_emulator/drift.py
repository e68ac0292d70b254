"""The drift catalogue: the emulator made to drift from the docs in one named way at a time.

One catalogue for the emulator's scenarios (`--scenario NAME`, `Prefer: scenario=NAME`) and
for the contract's drift tests. Each drift names the contract check that must catch it and the
category the run must give it: `breaking` (a documented fact broken), `assumption` (one of our
guesses refuted: `assumptions` lists the ledger ids the run must report) or `additive` (new
data a tolerant client ignores).

A drift changes the emulator's answers before they are encoded (`Draft`s: data, status, media
type), or, for `auth_not_enforced`, how a request is checked. Drifts of success bodies apply to
the JSON or XML success answers they name; status and media-type drifts to every answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from smspartner_emulator.answers import Draft, Edit, Format
from smspartner_emulator.encoding import Value

Category = Literal["breaking", "assumption", "additive"]
CATEGORIES: tuple[Category, ...] = ("breaking", "assumption", "additive")
Fields = dict[str, Value]


@dataclass(frozen=True)
class Drift:
    """One named way of drifting, the contract check that must catch it, and its category."""

    name: str
    description: str
    expected_check: str
    category: Category
    assumptions: frozenset[str] = frozenset()
    edit: Edit | None = field(default=None, compare=False, repr=False)
    any_key: bool = False

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: unknown category {self.category!r}")
        if bool(self.assumptions) != (self.category == "assumption"):
            raise ValueError(f"{self.name}: ledger ids go with the `assumption` category only")


# ---- edits of success bodies -------------------------------------------------------------------


def _success(fmt: Format, change: Callable[[Fields], Fields]) -> Edit:
    """Apply `change` to a copy of the data of every success answer in `fmt`."""

    def edit(one: Draft) -> Draft:
        if one.role != "success" or one.fmt != fmt:
            return one
        return dataclasses.replace(one, data=change(dict(one.data)))

    return edit


def _entries(data: Fields, change: Callable[[Fields], Fields]) -> Fields:
    """`data` with each stop-list entry replaced by `change(entry)` (other answers unchanged)."""
    found = data.get("data")
    if not isinstance(found, list):
        return data
    return {**data, "data": [change(dict(entry)) for entry in found if isinstance(entry, dict)]}


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


ERROR_STATUS = frozenset({"stop-list-error-status", "rental-status-error-status"})
XML_MEDIA_TYPE = frozenset(
    {
        "stop-list-xml-media-type",
        "stop-list-error-xml-media-type",
        "rental-status-xml-media-type",
        "rental-status-error-xml-media-type",
    }
)
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
            frozenset({"created-at-format"}),
            edit=_success("json", _iso_dates),
        ),
        Drift(
            "phone_format_changed",
            "stop-list numbers become national, `06...` (JSON)",
            SCHEMA,
            "assumption",
            frozenset({"phone-number-format"}),
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
            "nb_data_consistency",
            "assumption",
            frozenset({"nb-data-count"}),
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
