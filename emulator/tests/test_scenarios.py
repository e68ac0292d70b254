"""Scenarios: faults and drifts chosen per request (`Prefer: scenario=NAME`) or per process.

In-process through httpx's ASGI transport, except where a real socket is the point (`reset`,
the CLI's `--scenario` and `--list-scenarios`).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
from smspartner_emulator import CATALOGUE, SCENARIOS, UnknownScenario, create_app, serving
from smspartner_emulator.app import SCENARIOS_CACHED
from smspartner_emulator.scenarios import (
    BAD_GATEWAY_PAGE,
    MAX_COMBINED,
    SLOW_SECONDS,
    listing,
    preferred,
    resolve,
)
from starlette.applications import Starlette

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
FAULTS = ("rate_limited", "server_error", "slow", "truncated", "reset")
XmlTree = Callable[[bytes | str], list[Any]]
Cli = Callable[[Sequence[str]], Any]


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e/v1")


def prefer(name: str) -> dict[str, str]:
    return {"Prefer": f"scenario={name}"}


async def get(
    app: Starlette, path: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with client_for(app) as http:
        return await http.get(path, params=params, headers=headers)


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(access_log=False)


def test_every_fault_and_every_drift_is_a_scenario() -> None:
    assert set(FAULTS) <= set(SCENARIOS)
    assert set(CATALOGUE) <= set(SCENARIOS)
    assert "errors_as_200" in CATALOGUE
    assert next(iter(SCENARIOS)) == "none"
    lines = listing()
    assert len(lines) == len(SCENARIOS)
    for line, name in zip(lines, SCENARIOS, strict=True):
        assert line.startswith(f"{name} ")
        assert len(line.split(maxsplit=1)) == 2  # a description follows


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/stop-sms/list", {"apiKey": DEMO_KEY}),
        ("/location/status", {"apiKey": "wrong"}),
        ("/nowhere", {}),
    ],
)
async def test_rate_limited_is_429_with_retry_after_and_the_envelope(
    app: Starlette, xml_tree: XmlTree, fmt: str, path: str, params: dict[str, str]
) -> None:
    response = await get(app, path, {**params, "_format": fmt}, prefer("rate_limited"))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    message = "Trop de requêtes, réessayez plus tard"
    if fmt == "xml" and path != "/nowhere":
        assert response.headers["content-type"] == "application/xml"
        assert xml_tree(response.content) == [
            ("bare", "false"),
            ("bare", "429"),
            ("cdata", message),
        ]
    else:
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"success": False, "code": 429, "message": message}


async def test_server_error_is_a_502_html_page(app: Starlette) -> None:
    response = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY}, prefer("server_error"))
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == BAD_GATEWAY_PAGE


async def test_truncated_cuts_json_bodies_short(app: Starlette) -> None:
    params = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN}
    whole = await get(app, "/location/status", params)
    cut = await get(app, "/location/status", params, prefer("truncated"))
    error = await get(app, "/location/status", {"apiKey": "x"}, prefer("truncated"))
    xml = await get(app, "/location/status", {**params, "_format": "xml"}, prefer("truncated"))
    assert cut.status_code == 200
    assert cut.headers["content-type"] == "application/json"
    assert cut.content == whole.content[: len(whole.content) // 2]
    assert cut.headers["content-length"] == str(len(cut.content))
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(error.content)
    assert xml.content.rstrip().endswith(b"</result>")  # XML is left whole


async def test_slow_answers_after_its_delay(app: Starlette) -> None:
    started = time.monotonic()
    response = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY}, prefer("slow"))
    assert time.monotonic() - started >= SLOW_SECONDS
    assert response.status_code == 200
    assert response.json()["nbData"] == 4


async def test_errors_as_200(app: Starlette) -> None:
    response = await get(app, "/stop-sms/list", {"apiKey": "wrong"}, prefer("errors_as_200"))
    assert response.status_code == 200
    assert response.json() == {"success": False, "code": 10, "message": "Clé API incorrecte"}


def test_reset_closes_the_connection_without_an_answer(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(app) as url:
        port = int(url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"GET /v1/stop-sms/list?apiKey=demo-api-key HTTP/1.1\r\nHost: x\r\n"
                b"Prefer: scenario=reset\r\n\r\n"
            )
            try:
                received = sock.recv(1024)
            except ConnectionResetError:
                received = b"<reset>"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY}, headers=prefer("reset"))
        after = httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY})
    assert received in {b"", b"<reset>"}
    assert after.status_code == 200
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


async def test_reset_in_process_raises_connection_reset(app: Starlette) -> None:
    with pytest.raises(ConnectionResetError, match="no answer"):
        await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY}, prefer("reset"))


@pytest.mark.parametrize("name", ["bogus", "", "rate_limited+bogus", "none+slow", "slow+slow"])
async def test_an_unknown_scenario_is_a_400_envelope_listing_the_known_ones(
    app: Starlette, name: str
) -> None:
    async with client_for(app) as http:
        response = await http.get(
            "/stop-sms/list", params={"apiKey": DEMO_KEY}, headers=prefer(name)
        )
        head = await http.head("/stop-sms/list", headers=prefer(name))
    assert response.status_code == 400
    assert head.status_code == 400
    data = response.json()
    assert data["success"] is False
    assert data["code"] == 400
    assert data["message"].startswith("unknown scenario")
    for known in SCENARIOS:
        assert known in data["message"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([b"scenario=slow"], "slow"),
        ([b'respond-async, Scenario = "rate_limited" ; x=y'], "rate_limited"),
        ([b"scenario=slow, scenario=reset"], "slow"),
        ([b"wait=10", b"scenario=truncated"], "truncated"),
        ([b"scenario"], ""),
        ([b"return=minimal"], None),
        ([], None),
    ],
)
def test_the_prefer_header_is_read_as_rfc_7240_says(
    values: list[bytes], expected: str | None
) -> None:
    headers = [(b"host", b"x"), *((b"prefer", value) for value in values)]
    assert preferred(headers) == expected


async def test_a_process_wide_scenario_and_a_per_request_one(xml_tree: XmlTree) -> None:
    app = create_app(access_log=False, scenario="rate_limited")
    plain = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY})
    documented = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY}, prefer("none"))
    other = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY}, prefer("server_error"))
    assert plain.status_code == 429
    assert documented.status_code == 200
    assert other.status_code == 502
    app.state.emulator.scenario = "none"
    assert (await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY})).status_code == 200


def test_an_unknown_process_wide_scenario_is_refused_at_once() -> None:
    with pytest.raises(UnknownScenario, match="unknown scenario 'nope'; known: none, rate_lim"):
        create_app(scenario="nope")
    app = create_app(access_log=False)
    with pytest.raises(ValueError, match="unknown scenario"):
        app.state.emulator.scenario = "nope"
    assert app.state.emulator.scenario == "none"


async def test_scenarios_combine_left_to_right(xml_tree: XmlTree) -> None:
    app = create_app(access_log=False, scenario="xml_entry_added+xml_entry_order_changed")
    plain = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY, "_format": "xml"}, prefer("none"))
    drifted = await get(app, "/stop-sms/list", {"apiKey": DEMO_KEY, "_format": "xml"})
    before, after = xml_tree(plain.content), xml_tree(drifted.content)
    assert after == [before[1], before[0], *before[2:], ("cdata", "sms")]
    both = resolve("slow+auth_not_enforced")
    assert both.delay == SLOW_SECONDS
    assert both.any_key
    with pytest.raises(UnknownScenario):
        resolve("+".join(list(CATALOGUE)[: MAX_COMBINED + 1]))


def test_built_answer_sets_are_bounded() -> None:
    """A client naming ever new combinations cannot make the emulator build without end."""
    app = create_app(access_log=False)
    names = list(CATALOGUE)
    pairs = [f"{a}+{b}" for a in names for b in names if a != b]

    async def play_all() -> None:
        async with client_for(app) as http:
            for name in pairs:
                response = await http.get("/nowhere", headers=prefer(name))
                assert response.status_code == 404, name

    asyncio.run(play_all())
    assert len(app.state.emulator.cached()) <= SCENARIOS_CACHED


def test_the_cli_lists_the_scenarios(cli: Cli) -> None:
    result = cli(["--list-scenarios"])
    assert result.returncode == 0
    assert result.stdout.splitlines() == listing()
    assert result.stderr == ""


def test_the_cli_refuses_an_unknown_scenario_in_one_line(cli: Cli) -> None:
    result = cli(["--port", "0", "--scenario", "rate-limited"])
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("smspartner-emulator: unknown scenario 'rate-limited'; known: none,")
    assert "rate_limited" in line


def test_the_cli_plays_a_scenario_and_prefer_overrides_it(start_emulator: Any) -> None:
    with start_emulator("--scenario", "server_error", "--log-level", "warning") as emu:
        url = f"{emu.url}/stop-sms/list"
        plain = httpx.get(url, params={"apiKey": DEMO_KEY})
        limited = httpx.get(url, params={"apiKey": DEMO_KEY}, headers=prefer("rate_limited"))
        documented = httpx.get(url, params={"apiKey": DEMO_KEY}, headers=prefer("none"))
    assert plain.status_code == 502
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["code"] == 429
    assert documented.status_code == 200
