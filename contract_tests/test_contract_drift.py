"""The drift catalogue: each named drift of the emulator makes the contract run fail for it.

Every kind is also checked to be reported in its category: additive drift as additive only
(the client tolerates it), anything else as breaking.
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from contract_tests.contract.drift import CATALOGUE, DriftingApp
from contract_tests.contract.run import ADDITIVE, BREAKING, Target, run_contract

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)


def test_the_catalogue_has_at_least_twelve_kinds() -> None:
    assert len(CATALOGUE) >= 12
    assert len({drift.expected_check for drift in CATALOGUE.values()}) >= 5


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_the_contract_run_catches_the_drift(emulator_app: Starlette, name: str) -> None:
    drift = CATALOGUE[name]
    app = DriftingApp(emulator_app, drift)
    outcome = run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app))
    caught = {(finding.check, finding.category) for finding in outcome.findings}
    expected = (drift.expected_check, ADDITIVE if drift.additive else BREAKING)
    assert expected in caught, f"{name} ({drift.description}) not caught: {sorted(caught)}"
    if drift.additive:
        assert outcome.breaking == [], f"{name} is additive but reported as breaking"


def test_malformed_xml_fails_the_run_and_is_not_skipped(emulator_app: Starlette) -> None:
    """schemathesis skips bodies it cannot decode; ours must fail `response_schema_conformance`."""
    app = DriftingApp(emulator_app, CATALOGUE["xml_malformed"])
    outcome = run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app))
    broken = [f for f in outcome.findings if f.check == "response_schema_conformance"]
    assert broken, "a malformed XML answer did not fail the run"
    assert outcome.breaking
    for finding in broken:
        assert "_format=xml" in finding.curl
        assert "not well-formed XML" in finding.message
        assert "line" in finding.message
        assert finding.category == BREAKING
        assert finding.field == "(whole body: not decodable)"


def test_xml_findings_name_the_json_field(emulator_app: Starlette) -> None:
    app = DriftingApp(emulator_app, CATALOGUE["xml_entry_order_changed"])
    outcome = run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app))
    fields = {(f.operation, f.field) for f in outcome.findings}
    assert ("GET /stop-sms/list", "/0 (JSON /success)") in fields


def test_a_trailing_xml_entry_does_not_hide_a_breaking_change(emulator_app: Starlette) -> None:
    """Additive and breaking drift in the same XML answer: the break is still reported."""
    extended = DriftingApp(emulator_app, CATALOGUE["xml_entry_added"])
    app = DriftingApp(extended, CATALOGUE["xml_entry_order_changed"])
    outcome = run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app))
    assert {f.check for f in outcome.breaking} == {"response_schema_conformance"}
    assert any(f.check == "additive_drift" for f in outcome.additive)


def test_an_auth_finding_reproduces_the_probe_not_the_accepted_request(
    emulator_app: Starlette,
) -> None:
    """The request to replay is the keyless probe the API accepted, not the one with a key."""
    app = DriftingApp(emulator_app, CATALOGUE["auth_not_enforced"])
    outcome = run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app))
    auth = [f for f in outcome.findings if f.check == "auth_enforced"]
    assert {f.operation for f in auth} == {"GET /stop-sms/list", "GET /location/status"}
    for finding in auth:
        assert "without `apiKey` got HTTP 200" in finding.message
        assert "_format=json" in finding.curl
        assert "apiKey" not in finding.curl
    assert len(auth) == 2, "each operation is probed once per run"
