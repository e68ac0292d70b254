"""`--replay CASSETTE`: a recorded request gets its recorded answer byte for byte.

Cassettes are built here with the contract package's own writer (`dump_cassette`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from smspartner_emulator import ReplayError, create_app
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
)
from starlette.applications import Starlette

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
TOKEN_PLACEHOLDER = "REDACTED-TOKEN-0001"  # noqa: S105 (a cassette's placeholder)
Cli = Callable[[Sequence[str]], Any]

# Bodies no emulator would produce: odd spacing, escapes, a prolog with single quotes.
RECORDED_JSON = (
    b'{ "success" : true, "code":200, "nbData":1,\n "data":[{"id":7,'
    b'"phoneNumber":"+33600000007","createdAt":"1534615206","x":"\\u00e9\\/"}] }'
)
RECORDED_XML = (
    b"<?xml version='1.0'?>\r\n<result><entry>true</entry><entry><![CDATA[ok]]></entry></result>"
)
RECORDED_429 = b'{"success":false,"code":429,"message":"Trop de requ\\u00eates"}'


def interaction(
    number: int,
    path: str,
    query: list[tuple[str, str]],
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
) -> Interaction:
    return Interaction(
        id=f"plan-{number:02d}",
        source="plan",
        operation=f"GET {path}",
        request=RecordedRequest("GET", path, tuple(query)),
        response=RecordedResponse(status, tuple(headers), body, "OK", 0.01),
    )


def cassette(*interactions: Interaction) -> Cassette:
    return Cassette(
        target="https://api.smspartner.fr/v1",
        mode="live",
        spec_version="1.0.0",
        recorded_at="2026-12-01T06:17:03Z",
        recorded_with={"smspartner-contract": "0.2.0"},
        interactions=list(interactions),
    )


RECORDING = cassette(
    interaction(
        1,
        "/stop-sms/list",
        [("apiKey", API_KEY_PLACEHOLDER), ("_format", "json")],
        200,
        RECORDED_JSON,
        [("content-type", "application/json; charset=utf-8"), ("x-powered-by", "PHP")],
    ),
    interaction(
        2,
        "/location/status",
        [("apiKey", API_KEY_PLACEHOLDER), ("token", TOKEN_PLACEHOLDER), ("_format", "xml")],
        200,
        RECORDED_XML,
        [("content-type", "text/xml")],
    ),
    interaction(
        3,
        "/stop-sms/list",
        [("apiKey", API_KEY_PLACEHOLDER), ("_format", "json")],
        500,
        b"a later recording of the same request",
        [("content-type", "text/plain")],
    ),
    interaction(
        4,
        "/stop-sms/list",
        [("apiKey", API_KEY_PLACEHOLDER), ("_format", "json"), ("page", "2")],
        429,
        RECORDED_429,
        [("content-type", "application/json"), ("retry-after", "30")],
    ),
    Interaction(
        id="plan-05",
        source="plan",
        operation="GET /stop-sms/list",
        request=RecordedRequest("GET", "/stop-sms/list", (("apiKey", "x"),)),
        response=None,
        error="timed out",
    ),
)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "cassette.yaml"
    path.write_text(dump_cassette(RECORDING), encoding="utf-8")
    return path


@pytest.fixture
def app(recording: Path) -> Starlette:
    return create_app(access_log=False, replay=recording)


async def get(
    app: Starlette, path: str, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        return await http.get(f"{path}?{query}", headers=headers)


async def test_a_recorded_request_gets_the_recorded_answer(app: Starlette) -> None:
    # no `_format` is `_format=json`, the API's default (the typed client sends none)
    for query in (
        f"apiKey={DEMO_KEY}&_format=json",
        f"_format=json&apiKey={DEMO_KEY}",
        f"apiKey={DEMO_KEY}",
    ):
        response = await get(app, "/stop-sms/list", query)
        assert response.status_code == 200
        assert response.content == RECORDED_JSON
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert "x-powered-by" not in response.headers
    xml = await get(
        app, "/location/status", f"token={TOKEN_PLACEHOLDER}&_format=xml&apiKey={DEMO_KEY}"
    )
    assert (xml.status_code, xml.content) == (200, RECORDED_XML)
    assert xml.headers["content-type"] == "text/xml"  # no charset added
    limited = await get(app, "/stop-sms/list", f"page=2&apiKey={DEMO_KEY}&_format=json")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")
    assert limited.content == RECORDED_429


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("/stop-sms/list", "apiKey=wrong&_format=json", 10),  # a key the fixtures refuse
        ("/stop-sms/list", f"apiKey={API_KEY_PLACEHOLDER}&_format=json", 10),  # placeholder
        ("/location/status", f"apiKey={DEMO_KEY}&_format=xml", 31),  # a pair missing
        ("/stop-sms/list", f"apiKey={DEMO_KEY}&_format=xml", 200),  # another value
        ("/stop-sms/list", f"apiKey={DEMO_KEY}&_format=json&_format=json", 200),  # one too many
        ("/location/status", f"apiKey={DEMO_KEY}&token={DOCS_TOKEN}&_format=xml", 200),
        ("/location/status", f"apiKey={DEMO_KEY}&token={TOKEN_PLACEHOLDER}", 32),
    ],
)
async def test_other_requests_are_answered_from_the_fixtures(
    app: Starlette, path: str, query: str, code: int
) -> None:
    response = await get(app, path, query)
    assert response.content not in {RECORDED_JSON, RECORDED_XML, RECORDED_429}
    if response.headers["content-type"] == "application/json":
        assert response.json().get("code", 200) == code


async def test_a_scenario_answers_from_the_fixtures(app: Starlette) -> None:
    query = f"apiKey={DEMO_KEY}&_format=json"
    drifted = await get(app, "/stop-sms/list", query, {"Prefer": "scenario=field_added"})
    recorded = await get(app, "/stop-sms/list", query, {"Prefer": "scenario=none"})
    assert drifted.json()["requestId"] == "a1b2c3"
    assert recorded.content == RECORDED_JSON


def broken(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p / "missing.yaml", "cannot read"),
        (lambda p: broken(p / "c.yaml", "format: other/1\ninteractions: []\n"), "format"),
        (
            lambda p: broken(
                p / "c.yaml",
                dump_cassette(cassette(interaction(1, "/stop-sms/list", [], 101, b"", []))),
            ),
            "interactions[0].response.status: 101 cannot be replayed",
        ),
        (
            lambda p: broken(
                p / "c.yaml",
                dump_cassette(
                    cassette(interaction(1, "/x", [], 200, b"", [("content-type", "a\nb: c")]))
                ),
            ),
            "content-type cannot be sent",
        ),
    ],
    ids=["missing", "not-a-cassette", "informational-status", "header-injection"],
)
def test_an_unusable_cassette_is_refused_in_one_line(
    tmp_path: Path, make: Callable[[Path], Path], problem: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ReplayError) as caught:
        create_app(replay=path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert problem in message
    assert "\n" not in message


def test_the_cli_serves_a_recorded_body_byte_for_byte(start_emulator: Any, recording: Path) -> None:
    with start_emulator("--replay", str(recording), "--log-level", "warning") as emu:
        replayed = httpx.get(f"{emu.url}/stop-sms/list?_format=json&apiKey={DEMO_KEY}")
        fallback = httpx.get(f"{emu.url}/stop-sms/list?apiKey={DEMO_KEY}&_format=xml")
    assert replayed.status_code == 200
    assert replayed.content == RECORDED_JSON
    assert replayed.headers["content-type"] == "application/json; charset=utf-8"
    assert b"<entry>4</entry>" in fallback.content  # the fixtures' nbData, not recorded
    assert json.loads(RECORDED_JSON)["nbData"] == 1


def test_the_cli_refuses_a_bad_cassette_in_one_line(cli: Cli, tmp_path: Path) -> None:
    path = broken(tmp_path / "c.yaml", "interactions: [")
    result = cli(["--port", "0", "--replay", str(path)])
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"smspartner-emulator: {path}: ")
