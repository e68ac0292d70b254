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
