"""Access log: one line per request, the API key never in it; the last-resort guard."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from smspartner_emulator import create_app, default_fixtures
from smspartner_emulator.app import AccessLogStream
from smspartner_emulator.middleware import BufferedAccessLog

SECRET = "s3cr3t-K3y/+&="  # noqa: S105 (a fake key the logs must hide)
Call = Callable[..., Awaitable[Any]]
ACCESS = "smspartner_emulator.access"


def encoded(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


SECRET_FORMS = [SECRET, "s3cr3t", encoded(SECRET), "K3y", "%2B%26%3D"]

QUERIES = [
    f"apiKey={encoded(SECRET)}",
    f"apiKey={encoded(SECRET)}&apiKey={encoded(SECRET)}",
    f"apiKey=s3cr3t&apiKey={encoded(SECRET)}&_format=xml",
    f"api%4Bey={encoded(SECRET)}",
    "%61%70%69%4B%65%79=s3cr3t-K3y%2F%2B%26%3D&token=x",
    "apiKey=s3cr3t-K3y%2F%2B%26%3D&apiKey=wrong",
    "apiKey=s3cr3t",
    f"x=1&apiKey={encoded(SECRET)}&y=2&apiKey",
]


@pytest.fixture
def secret_app() -> Any:
    base = default_fixtures()
    return create_app(dataclasses.replace(base, api_keys=(SECRET,)))


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("path", ["/v1/stop-sms/list", "/v1/location/status", "/v1/other"])
async def test_the_key_never_reaches_the_log(
    caplog: pytest.LogCaptureFixture, secret_app: Any, asgi_call: Call, query: str, path: str
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    answer = await asgi_call(secret_app, "GET", path, query.encode())
    records = [r for r in caplog.records if r.name == ACCESS]
    assert len(records) == 1
    line = records[0].getMessage()
    for form in SECRET_FORMS:
        assert form not in line
    assert line.startswith(f"GET {path}?")
    assert "apiKey=***" in line
    assert f" {answer.status} " in line
    assert line.endswith("ms scenario=none")
    for record in caplog.records:
        for form in SECRET_FORMS:
            assert form not in record.getMessage()


TEAM_KEY = "Zq9-team-key-7Yw"  # a fake key the logs must hide, whatever carries it
TEAM_TOKEN = "c0ffee15deadbeef0123456789abcdef01234567"  # noqa: S105 (a fake rental token)


def lower_hex(text: str) -> str:
    return "".join(f"%{byte:02x}" for byte in text.encode())


KEY_ELSEWHERE = [
    ("/v1/stop-sms/list", f"apikey={TEAM_KEY}"),
    ("/v1/stop-sms/list", f"api_key={TEAM_KEY}"),
    ("/v1/stop-sms/list", f"apiKey[]={TEAM_KEY}"),
    ("/v1/stop-sms/list", f"apiKey%5B%5D={TEAM_KEY}"),
    ("/v1/stop-sms/list", f"a=1;apiKey={TEAM_KEY}"),
    ("/v1/location/status", f"token={TEAM_KEY}"),
    ("/v1/location/status", f"x={lower_hex(TEAM_KEY)}"),
    ("/v1/location/status", f"x={TEAM_KEY[:11]}"),  # cut short
    ("/v1/location/status", f"x=%22{TEAM_KEY}%22"),
    (f"/v1/{TEAM_KEY}", ""),
    (f"/v1/{lower_hex(TEAM_KEY)}", "a=b"),
]


def windows(secret: str, size: int) -> list[str]:
    return [secret[start : start + size] for start in range(len(secret) - size + 1)]


@pytest.mark.parametrize(("path", "query"), KEY_ELSEWHERE)
async def test_a_known_key_is_masked_by_value_under_any_name(
    caplog: pytest.LogCaptureFixture, asgi_call: Call, path: str, query: str
) -> None:
    """Issue 13 item 17: before, every one of these was logged with the key in clear."""
    fixtures = default_fixtures()
    app = create_app(dataclasses.replace(fixtures, api_keys=(TEAM_KEY,)))
    caplog.set_level(logging.INFO, logger=ACCESS)
    await asgi_call(app, "GET", path, query.encode())
    (line,) = [r.getMessage() for r in caplog.records if r.name == ACCESS]
    for window in windows(TEAM_KEY, 6):
        assert window not in line, line
    assert "***" in line


@pytest.mark.parametrize("name", ["token", "t", "apiKey"])
async def test_rental_tokens_are_shown_by_their_first_four_characters(
    caplog: pytest.LogCaptureFixture, asgi_call: Call, name: str
) -> None:
    base = default_fixtures()
    rental = dataclasses.replace(base.rentals[0], token=TEAM_TOKEN)
    app = create_app(dataclasses.replace(base, rentals=(rental,)))
    caplog.set_level(logging.INFO, logger=ACCESS)
    answer = await asgi_call(
        app, "GET", "/v1/location/status", f"apiKey=demo-api-key&{name}={TEAM_TOKEN}".encode()
    )
    (line,) = [r.getMessage() for r in caplog.records if r.name == ACCESS]
    assert answer.status == (200 if name == "token" else 400)
    for window in windows(TEAM_TOKEN[4:], 6):
        assert window not in line, line
    if name != "apiKey":
        assert f"{name}=c0ff••••" in line
    assert "demo-api-key" not in line


async def test_success_with_the_secret_key_is_logged_masked(
    caplog: pytest.LogCaptureFixture, secret_app: Any, asgi_call: Call
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    answer = await asgi_call(secret_app, "GET", "/v1/stop-sms/list", QUERIES[0].encode())
    assert answer.status == 200
    (record,) = [r for r in caplog.records if r.name == ACCESS]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("GET /v1/stop-sms/list?apiKey=*** 200 ")


async def test_log_line_shape_and_escaping(
    caplog: pytest.LogCaptureFixture, asgi_call: Call
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    app = create_app()
    await asgi_call(app, "POST", "/v1/stop-sms/list", b"token=a%0Ab&x=\n\xff")
    await asgi_call(app, "GET", "/v1/nowhere\n", b"")
    lines = [r.getMessage() for r in caplog.records if r.name == ACCESS]
    assert lines[0].startswith("POST /v1/stop-sms/list?token=a%0Ab&x=\\n\\xff 405 ")
    assert lines[1].startswith("GET /v1/nowhere\\n 404 ")
    assert all("\n" not in line for line in lines)


async def test_no_access_log_when_disabled(
    caplog: pytest.LogCaptureFixture, asgi_call: Call
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS)
    await asgi_call(create_app(access_log=False), "GET", "/v1/stop-sms/list", b"apiKey=x")
    assert not [r for r in caplog.records if r.name == ACCESS]


@pytest.mark.parametrize(
    ("prefer", "shown"),
    [
        (None, "field_added"),  # the app's own scenario
        ("rate_limited", "rate_limited"),
        ("field_renamed+xml_malformed", "field_renamed+xml_malformed"),
        ("not-a-scenario", "(unknown)"),
    ],
)
async def test_the_access_log_names_the_scenario_that_answered(
    caplog: pytest.LogCaptureFixture, asgi_call: Call, prefer: str | None, shown: str
) -> None:
    app = create_app()
    app.state.emulator.scenario = "field_added"  # the app's own: a request may name another
    caplog.set_level(logging.INFO, logger=ACCESS)
    headers = [] if prefer is None else [(b"prefer", f"scenario={prefer}".encode())]
    answer = await asgi_call(app, "GET", "/v1/nowhere", b"", headers)
    (line,) = [r.getMessage() for r in caplog.records if r.name == ACCESS]
    assert line.endswith(f"ms scenario={shown}"), line
    assert f" {answer.status} " in line


class Stream:
    """A stream that counts its writes."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.flushes = 0

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        self.flushes += 1


async def test_the_commands_access_log_is_written_in_batches(asgi_call: Call) -> None:
    """Counted: 50 requests, one write; each line as the command's other log lines look."""
    stream = Stream()
    base = default_fixtures()
    app = create_app(
        dataclasses.replace(base, api_keys=(SECRET,)), access_log=AccessLogStream(stream)
    )
    log = app.state.emulator.access_log
    assert isinstance(log, BufferedAccessLog)
    for _ in range(50):
        await asgi_call(app, "GET", "/v1/stop-sms/list", f"apiKey={encoded(SECRET)}".encode())
    assert stream.writes == []  # nothing written per request
    log.flush()
    (text,) = stream.writes
    lines = text.splitlines()
    assert len(lines) == 50
    pattern = (
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO smspartner_emulator\.access: "
        r"GET /v1/stop-sms/list\?apiKey=\*\*\* 200 \d+\.\d\dms scenario=none$"
    )
    assert all(re.match(pattern, line) for line in lines), lines[0]
    for form in SECRET_FORMS:
        assert form not in text
    log.flush()
    assert len(stream.writes) == 1  # nothing pending, nothing written
