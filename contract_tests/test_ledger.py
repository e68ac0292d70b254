"""The assumption ledger: every guess marked with an id and a reason, ids unique, documented
facts unmarked, the relaxed view dropping exactly the named guesses, the listing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from smspartner_contract import ledger
from smspartner_contract.spec import spec_data

from contract_tests.runs import run_cli

GUESSES = {
    # the HTTP status of each error response
    "stop-list-error-status",
    "rental-status-error-status",
    # the XML media type of each response
    "stop-list-xml-media-type",
    "stop-list-error-xml-media-type",
    "rental-status-xml-media-type",
    "rental-status-error-xml-media-type",
    # patterns, zones and minimums
    "phone-number-format",
    "created-at-format",
    "digit-strings",
    "decimal-strings",
    "stop-entry-id-minimum",
    "age-minimum",
    "quantity-minimum",
    # meanings and behaviours
    "nb-data-count",
    "format-unsupported",
    "rental-status-texts",
}


@pytest.fixture
def spec() -> dict[str, Any]:
    return copy.deepcopy(spec_data())


def test_every_guess_is_marked_with_an_id_and_a_reason(spec: dict[str, Any]) -> None:
    assert ledger.problems(spec) == []
    marks = ledger.marks(spec)
    assert {mark.id for mark in marks} == GUESSES
    assert all(len(mark.reason) > 40 for mark in marks), "a reason says why, in a sentence"


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda mark: mark.pop("id"), "no `id`"),
        (lambda mark: mark.update(reason="  "), "no `reason`"),
        (lambda mark: mark.update(id="phone-number-format"), "is already used at"),
    ],
)
def test_a_broken_mark_is_named(spec: dict[str, Any], damage: Any, problem: str) -> None:
    damage(spec["components"]["schemas"]["DigitString"]["x-unconfirmed"])
    found = ledger.problems(spec)
    assert len(found) == 1
    assert found[0].startswith("/components/schemas/")
    assert problem in found[0]


def test_a_confirmed_guess_needs_a_date(spec: dict[str, Any]) -> None:
    digits = spec["components"]["schemas"]["DigitString"]
    mark = digits.pop("x-unconfirmed")
    digits["x-confirmed"] = {**mark}
    assert ledger.problems(spec) == [
        "/components/schemas/DigitString/x-confirmed: no `date` (the day of the run that "
        "confirmed it)"
    ]
    digits["x-confirmed"]["date"] = "2026-12-01"
    assert ledger.problems(spec) == []
    assert "digit-strings" not in {mark.id for mark in ledger.marks(spec)}
    listed = {m.id: m.confirmed for m in ledger.marks(spec, confirmed=True)}
    assert listed["digit-strings"] == "2026-12-01"


@pytest.mark.parametrize(
    "pointer",
    [
        "/components/schemas/StopList/properties/success",
        "/components/schemas/StopList/properties/code",
        "/components/schemas/StopList/properties/data",
        "/components/schemas/Error/properties/code",
        "/components/schemas/RentalStatus/properties/token",
        "/components/schemas/RentalTargeting/properties/zipcode",
        "/components/parameters/rentalToken",
    ],
)
def test_documented_facts_are_not_marked(spec: dict[str, Any], pointer: str) -> None:
    assert ledger.mark_at(spec, ledger.at(spec, pointer)) is None


def test_the_relaxed_view_drops_only_the_named_guesses(spec: dict[str, Any]) -> None:
    view = ledger.relaxed(spec, ["phone-number-format", "stop-list-error-status"])
    schemas = view["components"]["schemas"]
    assert "pattern" not in schemas["InternationalPhoneNumber"]
    assert schemas["InternationalPhoneNumber"]["type"] == "string"
    assert "pattern" in schemas["LocalDateTime"]
    responses = view["paths"]["/stop-sms/list"]["get"]["responses"]
    assert responses["default"] == {"$ref": "#/components/responses/StopListError"}
    ok = responses["200"]["content"]["application/json"]["schema"]
    assert ok == {
        "anyOf": [{"$ref": "#/components/schemas/StopList"}, {"$ref": "#/components/schemas/Error"}]
    }
    assert "default" not in view["paths"]["/location/status"]["get"]["responses"]
    assert spec["components"]["schemas"]["InternationalPhoneNumber"]["pattern"]  # untouched


def test_the_relaxed_view_accepts_the_aliases_of_a_guessed_media_type(spec: dict[str, Any]) -> None:
    view = ledger.relaxed(spec, ["stop-list-xml-media-type"])
    content = view["components"]["responses"]["StopListOk"]["content"]
    assert content["text/xml"]["schema"] == content["application/xml"]["schema"]
    assert "text/xml" not in view["components"]["responses"]["StopListError"]["content"]


def test_where_a_guess_applies_names_operation_status_and_field(spec: dict[str, Any]) -> None:
    phone = next(m for m in ledger.marks(spec) if m.id == "phone-number-format")
    assert ledger.where(spec, phone) == [
        "GET /stop-sms/list 200 application/json: /data/*/phoneNumber",
        "GET /stop-sms/list 200 application/xml: /3/*/1",
    ]


def test_the_listing_gives_id_status_place_and_reason(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "assumptions")
    assert result.returncode == 0, result.stderr
    for ident in GUESSES:
        assert f"| `{ident}` | unconfirmed |" in result.stdout
    assert "GET /location/status: every error answer (documented as HTTP 400)" in result.stdout
    as_json = run_cli(tmp_path, "assumptions", "--json")
    entries = json.loads(as_json.stdout)
    assert {entry["id"] for entry in entries} == GUESSES
    assert all(entry["reason"] and entry["where"] for entry in entries)
