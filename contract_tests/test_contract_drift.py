"""The drift catalogue (the emulator's, one copy): each drift is caught for the reason it names,
in the category it names, by the full run and by the live probe plan alike.

- breaking drift exits 1; a refuted guess exits 4 and names the guesses of the ledger it
  refutes, with nothing breaking; additive drift exits 3, nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from smspartner_contract.grading import (
    ADDITIVE_DRIFT,
    ASSUMPTION,
    BREAKING,
    EXIT_ADDITIVE,
    EXIT_ASSUMPTION,
    EXIT_BREAKING,
    REFUTED,
)
from smspartner_contract.model import FULL, LIVE
from smspartner_emulator import create_app
from smspartner_emulator.drift import CATALOGUE
from starlette.applications import Starlette

from contract_tests.runs import run_in_process

ADDITIVE = ADDITIVE_DRIFT
EXIT_FOR = {BREAKING: EXIT_BREAKING, ASSUMPTION: EXIT_ASSUMPTION, ADDITIVE: EXIT_ADDITIVE}
RENAMED_CHECKS = {"nb_data_consistency": "count_consistency"}


def test_the_catalogue_covers_every_category_and_many_checks() -> None:
    assert len(CATALOGUE) >= 19
    assert {drift.category for drift in CATALOGUE.values()} == {BREAKING, ASSUMPTION, ADDITIVE}
    assert len({drift.expected_check for drift in CATALOGUE.values()}) >= 6


@pytest.fixture(scope="module")
def drifting() -> dict[str, Starlette]:
    return {name: create_app(access_log=False, scenario=name) for name in CATALOGUE}


@pytest.mark.parametrize("mode", [FULL, LIVE])
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_the_run_catches_the_drift_in_its_category(
    drifting: dict[str, Starlette], name: str, mode: str
) -> None:
    drift = CATALOGUE[name]
    _, outcome = run_in_process(drifting[name], mode=mode, examples=10)
    caught = {(f.check, f.category) for f in outcome.findings}
    check = RENAMED_CHECKS.get(drift.expected_check, drift.expected_check)
    assert (check, drift.category) in caught, f"{name}: {sorted(caught)}"
    assert outcome.exit_code == EXIT_FOR[drift.category], outcome.verdict
    refuted = {v.id for v in outcome.verdicts if v.verdict == REFUTED}
    if drift.category == ASSUMPTION:
        assert refuted == set(drift.assumptions), f"{name}: refuted {sorted(refuted)}"
        assert outcome.counted(BREAKING) == []
    if drift.category == ADDITIVE:
        assert outcome.counted(BREAKING) == outcome.counted(ASSUMPTION) == []
    if drift.category == BREAKING:
        assert refuted == set(), f"{name} refutes {sorted(refuted)}: a guess blamed for a break"


def test_malformed_xml_fails_the_run_and_is_not_skipped(drifting: dict[str, Starlette]) -> None:
    """schemathesis skips bodies it cannot decode; ours must fail `response_schema_conformance`."""
    _, outcome = run_in_process(drifting["xml_malformed"], mode=LIVE)
    broken = [f for f in outcome.findings if f.check == "response_schema_conformance"]
    assert broken
    for finding in broken:
        assert "_format=xml" in finding.reproduce
        assert finding.category == BREAKING
        assert finding.field == "(whole answer)"
        assert finding.identity.media == "application/xml"


def test_xml_findings_name_the_json_field(drifting: dict[str, Starlette]) -> None:
    _, outcome = run_in_process(drifting["xml_entry_order_changed"], mode=LIVE)
    fields = {(f.operation, f.identity.media, f.field) for f in outcome.findings}
    assert ("GET /stop-sms/list", "application/xml", "/success") in fields


def test_a_trailing_xml_entry_does_not_hide_a_breaking_change() -> None:
    """Additive and breaking drift in the same XML answer: the break is still reported."""
    app = create_app(access_log=False, scenario="xml_entry_added+xml_entry_order_changed")
    _, outcome = run_in_process(app, mode=LIVE)
    assert {f.check for f in outcome.counted(BREAKING)} == {"response_schema_conformance"}
    assert any(f.check == "additive_drift" for f in outcome.counted(ADDITIVE))
    assert outcome.exit_code == EXIT_BREAKING


def test_an_auth_finding_reproduces_the_request_the_api_accepted(
    drifting: dict[str, Starlette],
) -> None:
    _, outcome = run_in_process(drifting["auth_not_enforced"], mode=LIVE)
    keyless = [
        f
        for f in outcome.findings
        if f.check == "documented_error_codes" and "without apiKey" in f.message
    ]
    assert {f.operation for f in keyless} == {"GET /stop-sms/list", "GET /location/status"}
    for finding in keyless:
        assert "success: true" in finding.observed
        assert "apiKey" not in finding.reproduce


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        ("field_renamed+phone_format_changed", EXIT_BREAKING),  # breaking wins
        ("phone_format_changed+field_added", EXIT_ASSUMPTION),  # over additive
        ("xml_entry_added+xml_entry_order_changed", EXIT_BREAKING),
    ],
)
def test_the_strongest_category_decides_the_exit_status(scenario: str, code: int) -> None:
    _, outcome = run_in_process(create_app(access_log=False, scenario=scenario), mode=LIVE)
    assert outcome.exit_code == code, outcome.verdict


class RetypedMessage:
    """Errors whose `message` is a number: a documented JSON type broken."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Any] = []

        async def keep(message: Any) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start, body = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
        headers = dict(start["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/json"):
            data = json.loads(body)
            if data.get("success") is False:
                data["message"] = 12345
            body = json.dumps(data).encode()
            headers[b"content-length"] = str(len(body)).encode()
        await send({**start, "headers": list(headers.items())})
        await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("scenario", ["none", "errors_as_200"])
def test_a_break_inside_errors_is_not_hidden_by_the_error_status_guess(scenario: str) -> None:
    """A retyped `message` is breaking at HTTP 400, and still when errors come with HTTP 200."""
    app = RetypedMessage(create_app(access_log=False, scenario=scenario))
    _, outcome = run_in_process(app, mode=LIVE)
    assert outcome.exit_code == EXIT_BREAKING, outcome.verdict
    assert {f.check for f in outcome.counted(BREAKING)} == {"response_schema_conformance"}
