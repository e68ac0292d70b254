"""The contract run against the faithful emulator, in-process, and each documented error code.

The run must pass here: every check that fails on a drift (test_contract_drift.py) must hold
on the emulator, or the catalogue would prove nothing.
"""

from __future__ import annotations

import bisect
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contract_tests.contract.run import Target, run_contract
from contract_tests.emulator_server import serve_in_thread
from smspartner_contract.positional_xml import decode
from contract_tests.spec_examples import schema_validator
from smspartner_contract.spec import load_spec

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
ERROR_SCHEMAS = {"json": "/components/schemas/Error", "xml": "/components/schemas/ErrorXml"}
CASES = {
    # code: (path, query without _format)
    1: ("/stop-sms/list", {}),
    10: ("/stop-sms/list", {"apiKey": "wrong"}),
    31: ("/location/status", {"apiKey": DEMO_KEY}),
    32: ("/location/status", {"apiKey": DEMO_KEY, "token": "0" * 40}),
}


def in_process(app: Starlette) -> Target:
    return Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app)


def test_the_emulator_matches_the_spec(emulator_app: Starlette) -> None:
    outcome = run_contract(in_process(emulator_app))
    assert outcome.errors == []
    assert outcome.findings == []
    ran = {check for _, check in outcome.checked}
    for check in (
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "unsupported_method",
        "auth_enforced",
        "additive_drift",
        "nb_data_consistency",
    ):
        assert check in ran
    assert {operation for operation, _ in outcome.checked} == {
        "GET /stop-sms/list",
        "GET /location/status",
    }


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
    """ASGI wrapper noting every method the contract run sends, and when it arrives."""

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


def test_all_three_phases_run(emulator_app: Starlette) -> None:
    outcome = run_contract(in_process(emulator_app), max_examples=5)
    assert {"examples", "coverage", "fuzzing"} <= outcome.phases


def test_a_polite_run_sends_only_get(emulator_app: Starlette) -> None:
    bold, polite = MethodLog(emulator_app), MethodLog(emulator_app)
    run_contract(Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=bold), max_examples=5)
    outcome = run_contract(
        Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=polite, polite=True),
        max_examples=5,
    )
    assert bold.methods > {"GET"}  # the default run does probe other methods
    assert polite.methods == {"GET"}
    assert outcome.findings == []


def test_a_rate_limited_run_keeps_to_its_rate(emulator_app: Starlette) -> None:
    """Over a real socket (the ASGI transport has no limiter): at most 10 requests a second.

    Unthrottled, the run's 40-odd requests arrive within one second; two spare requests per
    window absorb the jitter between the limiter's clock and the server's.
    """
    log = MethodLog(emulator_app)
    with serve_in_thread(log) as url:
        target = Target(url, DEMO_KEY, DOCS_TOKEN, polite=True, rate_limit="10/s")
        outcome = run_contract(target, max_examples=3)
    assert outcome.findings == []
    assert len(log.arrivals) >= 30, "too few requests to exercise the limit"
    assert log.busiest_second() <= 12
    assert log.methods == {"GET"}
