"""The contract run against the faithful emulator: full and live, what it covers and sends.

The run must pass here: every check that fails on a drift (test_contract_drift.py) must hold on
the emulator, or the catalogue would prove nothing.
"""

from __future__ import annotations

import bisect
import time
from typing import Any

import httpx
import pytest
from smspartner_contract.checks import CHECK_NAMES as OUR_CHECKS
from smspartner_contract.engine import BUILTIN_CHECKS
from smspartner_contract.grading import CONFIRMED, EXIT_OK, NOT_EXERCISED
from smspartner_contract.ledger import marks, where
from smspartner_contract.model import FULL, LIVE, Settings, Target
from smspartner_contract.positional_xml import decode
from smspartner_contract.run import Runner
from smspartner_contract.spec import load_spec, spec_data
from smspartner_emulator.server import serving
from starlette.applications import Starlette

from contract_tests.runs import (
    DEMO_KEY,
    DOCS_TOKEN,
    documented_codes,
    operation_labels,
    plan_size,
    run_in_process,
)
from contract_tests.spec_examples import schema_validator

SPEC = spec_data()
OPERATIONS = operation_labels(SPEC)
CHECK_NAMES = (*BUILTIN_CHECKS, *OUR_CHECKS)
CREDENTIALED = [
    f"{m.upper()} {path}"
    for path, item in SPEC["paths"].items()
    for m, op in item.items()
    if any("x-credential" in p for p in (load_spec().resolve(q) for q in op["parameters"]))
]
ERROR_SCHEMAS = {"json": "/components/schemas/Error", "xml": "/components/schemas/ErrorXml"}
CASES = {
    # code: (path, query without _format)
    1: ("/stop-sms/list", {}),
    10: ("/stop-sms/list", {"apiKey": "wrong"}),
    31: ("/location/status", {"apiKey": DEMO_KEY}),
    32: ("/location/status", {"apiKey": DEMO_KEY, "token": "0" * 40}),
}
ONLY_IN_CREDENTIALED_SUCCESS = {
    mark.id
    for mark in marks(SPEC)
    if all(
        any(place.startswith(f"{label} 2") for label in CREDENTIALED) for place in where(SPEC, mark)
    )
}
"""The guesses only the success answer of an operation needing a user's credential carries."""


def test_the_faithful_emulator_passes_and_confirms_every_guess(emulator_app: Starlette) -> None:
    record, outcome = run_in_process(emulator_app)
    assert outcome.findings == []
    assert outcome.errors == []
    assert outcome.exit_code == EXIT_OK
    assert {v.id: v.verdict for v in outcome.verdicts} == {
        mark.id: CONFIRMED for mark in marks(spec_data())
    }
    assert {i.source for i in record.interactions} >= {"plan", "examples", "coverage", "fuzzing"}
    assert outcome.checked == set(CHECK_NAMES)


def test_the_live_plan_reaches_every_verdict(emulator_app: Starlette) -> None:
    record, outcome = run_in_process(emulator_app, mode=LIVE)
    assert record.requests == len(record.interactions) == plan_size(SPEC, credentials=True)
    assert {i.request.method for i in record.interactions} == {"GET"}
    assert {v.verdict for v in outcome.verdicts} == {CONFIRMED}
    for label in OPERATIONS:
        seen = outcome.coverage[label]
        assert seen.missing_codes == [], label
        assert {(200, "application/json"), (200, "application/xml")} <= set(seen.answers)
    documented = documented_codes(SPEC)
    assert set(outcome.coverage) == set(documented)
    for label, seen in outcome.coverage.items():
        assert documented[label], label
        assert set(seen.codes) >= documented[label], label
    assert outcome.exit_code == EXIT_OK


def test_without_a_rental_token_the_rental_success_is_said_not_exercised(
    emulator_app: Starlette,
) -> None:
    record, outcome = run_in_process(emulator_app, mode=LIVE, token=None)
    assert record.requests == plan_size(SPEC, credentials=False)
    not_exercised = {v.id for v in outcome.verdicts if v.verdict == NOT_EXERCISED}
    assert ONLY_IN_CREDENTIALED_SUCCESS
    assert not_exercised == ONLY_IN_CREDENTIALED_SUCCESS
    for label in CREDENTIALED:
        assert any(gap.startswith(label) and "RENTAL_TOKEN" in gap for gap in outcome.gaps)
    assert outcome.fatal_gaps == []
    assert outcome.exit_code == EXIT_OK


def test_a_rental_token_that_never_answers_200_does_not_pass_silently(
    emulator_app: Starlette,
) -> None:
    _, outcome = run_in_process(emulator_app, mode=LIVE, token="f" * 40)
    assert outcome.fatal_gaps == [
        f"{label} never gave its success answer (HTTP 200, success: true): is "
        "SMSPARTNER_RENTAL_TOKEN right for this account?"
        for label in CREDENTIALED
    ]
    assert outcome.exit_code == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", sorted(CASES))
async def test_each_documented_error_matches_the_spec(
    emulator_app: Starlette, code: int, fmt: str
) -> None:
    path, query = CASES[code]
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator/v1") as client:
        response = await client.get(path, params={**query, "_format": fmt})
    spec = load_spec()
    documented = spec.data["paths"][path]["get"]["responses"]
    assert str(response.status_code) in documented
    assert response.headers["content-type"] == f"application/{fmt}"
    body: Any = response.json() if fmt == "json" else decode(response.content)
    schema_validator(spec, ERROR_SCHEMAS[fmt]).validate(body)
    assert (body["code"] if fmt == "json" else body[1]) == code


class MethodLog:
    """ASGI wrapper noting every method a run sends, and when it arrives."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.methods: set[str] = set()
        self.arrivals: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.methods.add(scope["method"])
            self.arrivals.append(time.monotonic())
        await self.app(scope, receive, send)

    def busiest_second(self) -> int:
        """The most requests that arrived within any one second."""
        times = sorted(self.arrivals)
        return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_a_polite_run_sends_only_get(emulator_app: Starlette) -> None:
    bold, polite = MethodLog(emulator_app), MethodLog(emulator_app)
    settings = Settings(mode=FULL, max_examples=5)
    Runner(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=bold), settings).run()
    Runner(
        Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=polite, polite=True), settings
    ).run()
    assert bold.methods > {"GET"}  # the default run does probe other methods
    assert polite.methods == {"GET"}


def test_a_paced_run_keeps_to_its_pace(emulator_app: Starlette) -> None:
    """Over a real socket, through the bounded sender: at most 10 requests a second.

    Unpaced, the run's 40-odd requests arrive within one second; two spare requests per window
    absorb the jitter between a request's start and its arrival (a new connection each time).
    """
    log = MethodLog(emulator_app)
    with serving(log) as url:
        target = Target(url, DEMO_KEY, DOCS_TOKEN, polite=True, per_second=10)
        record = Runner(target, Settings(mode=FULL, max_examples=3)).run()
    assert record.stopped is None
    assert len(log.arrivals) >= 30, "too few requests to exercise the pace"
    assert log.busiest_second() <= 12
    assert record.requests == len(log.arrivals)
    assert log.methods == {"GET"}
