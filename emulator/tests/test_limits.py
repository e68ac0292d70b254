"""Hard limits of the emulator's server (issue 13, items 14-16), over real loopback sockets.

Each test runs the CLI and misbehaves as a client would: an endless header, too many headers,
connections that never finish their request, more connections than allowed, a WebSocket
upgrade. Waits are bounded deadlines for the test itself, never speed assertions.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psutil
import pytest
from smspartner_emulator import create_app
from smspartner_emulator.limits import MAX_HEAD_BYTES, MAX_HEADERS, Limits
from starlette.types import Message

Start = Callable[..., Any]
DEMO_KEY = "demo-api-key"
STOP_LIST = f"/v1/stop-sms/list?apiKey={DEMO_KEY}"
WAIT = 10.0
"""Longest a test waits for the server to answer or close (a deadline, not a speed check)."""


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


@contextmanager
def connection(url: str) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", port_of(url)), timeout=WAIT) as sock:
        yield sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; `<open>` appended if it never does."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except TimeoutError:
        pass
    except ConnectionResetError:
        return b"".join(chunks) + b"<reset>"
    return b"".join(chunks) + b"<open>"


def head_and_body(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ")[1]), headers, body


def request(path: str, extra: bytes = b"") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + extra + b"\r\n"


def assert_serves(url: str) -> None:
    response = httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY}, timeout=WAIT)
    assert response.status_code == 200
    assert response.json()["nbData"] == 4


def test_an_endless_header_value_is_refused_with_431_and_bounded(shared_emulator: Any) -> None:
    """Item 14: before, 160 MiB of one header value were buffered (RSS +190 MiB, CPU pegged,
    a normal request took 8 s) and never answered."""
    emu = shared_emulator
    process = psutil.Process(emu.pid)
    rss_before = process.memory_info().rss
    with connection(emu.url) as attacker:
        attacker.sendall(b"GET /v1/stop-sms/list HTTP/1.1\r\nHost: x\r\nX-Long: ")
        sent = 0
        while sent < 8 * 2**20:
            try:
                attacker.sendall(b"a" * 16384)
            except OSError:
                break
            sent += 16384
            if select.select([attacker], [], [], 0.01)[0]:
                break
        answer = read_all(attacker)
    assert_serves(emu.url)
    rss_growth = process.memory_info().rss - rss_before
    status, headers, body = head_and_body(answer)
    assert status == 431
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "success": False,
        "code": 431,
        "message": "En-têtes de requête trop grands",
    }
    assert sent < 2**20, f"the server read {sent} bytes of one head before refusing"
    assert rss_growth < 16 * 2**20


def test_too_many_headers_are_refused_and_the_limit_itself_is_served(
    shared_emulator: Any,
) -> None:
    """Item 14: before, 1,000 header fields were accepted."""
    fields = [b"X-%d: v\r\n" % index for index in range(MAX_HEADERS - 2)]
    at_limit = b"".join(fields) + b"Connection: close\r\n"  # and Host: MAX_HEADERS in all
    over = b"X-Last: v\r\n" + at_limit
    emu = shared_emulator
    with connection(emu.url) as sock:
        sock.sendall(request(STOP_LIST, at_limit))
        served = read_all(sock)
    with connection(emu.url) as sock:
        sock.sendall(request(STOP_LIST, over))
        refused = read_all(sock)
    assert_serves(emu.url)
    assert head_and_body(served)[0] == 200
    status, _, body = head_and_body(refused)
    assert status == 431
    assert json.loads(body)["code"] == 431


def test_a_long_query_within_the_head_limit_is_served(shared_emulator: Any) -> None:
    pad = "x" * (MAX_HEAD_BYTES - 8192)
    response = httpx.get(
        f"{shared_emulator.url}/stop-sms/list",
        params={"apiKey": DEMO_KEY, "pad": pad},
        timeout=WAIT,
    )
    assert response.status_code == 200


def test_connections_without_a_complete_request_are_closed(start_emulator: Start) -> None:
    """Item 15: before, idle and half-sent requests were kept open for as long as tried."""
    with (
        start_emulator("--request-timeout", "1", "--log-level", "warning") as emu,
        connection(emu.url) as idle,
        connection(emu.url) as half_head,
        connection(emu.url) as half_body,
        connection(emu.url) as dripping,
    ):
        half_head.sendall(b"GET /v1/stop-sms/list HTTP/1.1\r\nHost: x\r\n")
        half_body.sendall(request(STOP_LIST, b"Content-Length: 100\r\n") + b"abc")
        started = time.monotonic()
        for byte in b"GET /v1/stop-sms/list HTTP/1.1\r\nX-Drip: aaaaaaaaaaaaaaaaaaaaaaaaaa":
            if time.monotonic() - started > WAIT:
                break
            try:
                dripping.sendall(bytes([byte]))
            except OSError:
                break
            if select.select([dripping], [], [], 0.2)[0]:
                break
        assert_serves(emu.url)  # meanwhile, a complete request is answered
        answers = [read_all(sock) for sock in (idle, half_head, half_body, dripping)]
    assert answers[0] == b""
    assert answers[1] == b""
    assert head_and_body(answers[2])[0] == 200  # answered (a GET body is not read), then closed
    assert not answers[2].endswith((b"<open>", b"<reset>"))
    assert answers[3] in {b"", b"<reset>"}


def test_beyond_max_connections_a_request_gets_503_then_service_resumes(
    start_emulator: Start,
) -> None:
    """Item 15: a cap on connections, with a clear answer beyond (the envelope, code 503)."""
    with start_emulator("--max-connections", "3", "--log-level", "warning") as emu:
        with (
            connection(emu.url) as first,
            connection(emu.url) as second,
            connection(emu.url) as third,
        ):
            wait_until_held(emu.pid, [first, second, third])
            with connection(emu.url) as fourth:
                fourth.sendall(request(STOP_LIST))
                beyond = read_all(fourth)
        assert_serves_within(emu.url, WAIT)
    status, headers, body = head_and_body(beyond)
    assert status == 503
    assert headers["retry-after"] == "1"
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "success": False,
        "code": 503,
        "message": "Trop de connexions simultanées",
    }


def wait_until_held(pid: int, socks: list[socket.socket]) -> None:
    """Until the emulator holds the accepted end of each of our connections."""
    ports = {sock.getsockname()[1] for sock in socks}
    process = psutil.Process(pid)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        held = {c.raddr.port for c in process.net_connections("tcp") if c.raddr}
        if ports <= held:
            return
        time.sleep(0.02)
    raise AssertionError("the emulator never accepted the connections")


def assert_serves_within(url: str, seconds: float) -> None:
    """A request succeeds once the closed connections are gone (bounded retries)."""
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY}, timeout=WAIT)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.status_code == 200


WEBSOCKET = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [(STOP_LIST, 200, 200), ("/v1/stop-sms/list", 400, 1), ("/ws", 404, 404)],
)
def test_a_websocket_upgrade_is_answered_as_plain_http(
    shared_emulator: Any, path: str, status: int, code: int
) -> None:
    """Item 16: before, any upgrade got a plain-text 500 and an ERROR log line."""
    with connection(shared_emulator.url) as sock:
        sock.sendall(request(path, WEBSOCKET))  # answered as plain HTTP, then the next
        sock.sendall(request(path, b"Connection: close\r\n"))
        answers = read_all(sock)
    log = shared_emulator.stderr.read_text()
    first, _, rest = answers.partition(b"HTTP/1.1 ")[2].partition(b"HTTP/1.1 ")
    for answer in (b"HTTP/1.1 " + first, b"HTTP/1.1 " + rest):
        got, headers, body = head_and_body(answer)
        assert got == status
        assert headers["content-type"] == "application/json"
        assert json.loads(body).get("code", 200) == code
    assert "ERROR" not in log
    assert " 500" not in log
    assert "Unsupported upgrade" not in log


def test_limits_are_checked() -> None:
    assert Limits().max_headers == MAX_HEADERS
    for bad in ({"max_connections": 0}, {"request_timeout": 0.0}, {"max_head_bytes": -1}):
        with pytest.raises(ValueError, match="every limit must be positive"):
            Limits(**bad)


@pytest.mark.parametrize(
    "args",
    [["--max-connections", "0"], ["--max-connections", "x"], ["--request-timeout", "0"]],
)
def test_bad_limit_options_are_refused(cli: Any, args: list[str]) -> None:
    result = cli(args)
    assert result.returncode == 2
    assert f"argument {args[0]}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("denial", [True, False])
async def test_the_app_refuses_a_websocket_without_a_500(denial: bool) -> None:
    """Item 16, under a server that does speak WebSocket: a 404 envelope where the server can
    send an HTTP answer to the handshake (the ASGI denial extension), else a close."""
    app = create_app(access_log=False)
    extensions: dict[str, dict[str, Any]] = {"websocket.http.response": {}} if denial else {}
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/v1/stop-sms/list",
        "raw_path": b"/v1/stop-sms/list",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "extensions": extensions,
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if not denial:
        assert sent == [{"type": "websocket.close", "code": 1008}]
        return
    start, body = sent
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 404
    assert (b"content-type", b"application/json") in start["headers"]
    assert json.loads(body["body"]) == {
        "success": False,
        "code": 404,
        "message": "Ressource introuvable",
    }
