"""A tiny misbehaving HTTP server on 127.0.0.1, for the client fault and limit tests.

Each connection reads one request head, then does what the behaviour of that request says:
close without a word, stall, answer 502 with an HTML page (that echoes the request line, API key
included), 429 with `Retry-After`, truncated JSON, a body shorter than its Content-Length, bytes
that are not HTTP; drip headers, a body or `103` answers one byte at a time; stream forever; send
a gzip bomb, broken gzip, 100,000 nested arrays, a flood of `<`, an endless redirect; echo the
key in every form. `fault_server(("rate_limited", "stop_list"))` gives each request the next
behaviour of the sequence (the last one repeats): a server that fails twice then answers.

Every answer closes its connection; drips and streams stop when the client goes away or the
server is stopped (at the end of the `with` block), so nothing outlives a test.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from urllib.parse import parse_qs, quote, unquote, urlsplit

LOOPBACK = "127.0.0.1"
STALL_LIMIT = 30.0  # a stalled connection is released at the latest after this, or at exit
DRIP_INTERVAL = 0.2  # seconds between two bytes of a drip
BOMB_DECODED_BYTES = 64 * 1024 * 1024  # what the gzip bomb expands to
DEEP_NESTING = 100_000

STOP_LIST = {
    "success": True,
    "code": 200,
    "nbData": 1,
    "data": [{"id": 19, "phoneNumber": "+33600000019", "createdAt": "2015-07-20 10:19:45"}],
}

Behaviour = Callable[[socket.socket, str, threading.Event], None]


def _response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _send(conn: socket.socket, data: bytes) -> None:
    with suppress(OSError):
        conn.sendall(data)


def _answer(
    status: str, body: bytes, content_type: str = "application/json", **headers: str
) -> Behaviour:
    extra = {name.replace("_", "-"): value for name, value in headers.items()}

    def behave(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
        conn.settimeout(STALL_LIMIT)  # a big body to a slow reader (tracemalloc) takes time
        fields = {"Content-Type": content_type, "Content-Length": str(len(body))}
        _send(conn, _response(status, {**fields, **extra, "Connection": "close"}, b""))
        _send(conn, body)  # not joined to the head: no copy of a big body

    return behave


def _close(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    return None


def _stall(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    stop.wait(STALL_LIMIT)


def _html_502(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    body = (
        "<html><head><title>502 Bad Gateway</title></head><body>"
        f"<h1>502 Bad Gateway</h1><p>upstream failed for {request_line}</p>"
        "<hr><center>nginx</center></body></html>"
    ).encode()
    _answer("502 Bad Gateway", body, "text/html")(conn, request_line, stop)


def _drip(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    """Send `data` one byte every `DRIP_INTERVAL` s until the client leaves or the test ends."""
    for index in range(len(data)):
        if stop.wait(DRIP_INTERVAL):
            return
        try:
            conn.sendall(data[index : index + 1])
        except OSError:
            return


def _drip_headers(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    _drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000, stop)


def _drip_body(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    head = _response(
        "200 OK", {"Content-Type": "application/json", "Content-Length": "100000"}, b""
    )
    _send(conn, head)
    _drip(conn, b" " * 100_000, stop)


def _endless_103(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    hint = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
    while not stop.wait(DRIP_INTERVAL):
        try:
            conn.sendall(hint)
        except OSError:
            return


def _endless_chunked(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    _send(conn, _response("200 OK", headers, b'5\r\n{"a":\r\n'))
    while not stop.is_set():
        try:
            conn.sendall(chunk)
        except OSError:
            return


def _huge_content_length(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(1024**3)}
    _send(conn, _response("200 OK", headers, b" " * 65536))
    stop.wait(STALL_LIMIT)


@cache
def _bomb() -> bytes:
    """A valid StopList whose padding field expands to `BOMB_DECODED_BYTES` (64 KB of gzip)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [
        compressor.compress(b'{"success": true, "code": 200, "nbData": 0, "data": [], "pad": "')
    ]
    block = b" " * (1024 * 1024)
    parts += [compressor.compress(block) for _ in range(BOMB_DECODED_BYTES // len(block))]
    parts.append(compressor.compress(b'"}'))
    parts.append(compressor.flush())
    return b"".join(parts)


def _gzip_bomb(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    _answer("200 OK", _bomb(), Content_Encoding="gzip")(conn, request_line, stop)


def _broken_gzip(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    body = gzip.compress(json.dumps(STOP_LIST).encode())[:12] + b"not gzip any more" * 4
    _answer("200 OK", body, Content_Encoding="gzip")(conn, request_line, stop)


def _compressed(encoding: str, wbits: int) -> Behaviour:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = compressor.compress(json.dumps(STOP_LIST).encode()) + compressor.flush()
    return _answer("200 OK", body, Content_Encoding=encoding)


def _deep(status: str) -> Behaviour:
    return _answer(status, b"[" * DEEP_NESTING + b"]" * DEEP_NESTING)


def _redirect_loop(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    target = request_line.split(" ")[1] if " " in request_line else "/"
    _answer("302 Found", b"", "text/plain", Location=target)(conn, request_line, stop)


def _redirect_with_key(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    """A 302 whose `Location` echoes the request, key included (httpcore logs the header)."""
    target = request_line.split(" ")[1] if " " in request_line else "/"
    _answer("302 Found", b"", "text/plain", Location=f"{target}&moved=1")(conn, request_line, stop)


def _echo_key(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    """An error envelope that echoes the request (so the key) as is, percent-decoded, in
    `\\/` and `\\uXXXX` JSON escapes, in an extra object, and as a key of it."""
    target = request_line.split(" ")[1] if " " in request_line else ""
    decoded = unquote(target)
    envelope = {
        "success": False,
        "code": 10,
        "message": f"Clef API incorrecte pour {decoded}",
        "credits": {"request": target, decoded: "echo"},
    }
    text = json.dumps(envelope, ensure_ascii=True).replace("/", "\\/")
    _answer("400 Bad Request", text.encode())(conn, request_line, stop)


def _echo_page(conn: socket.socket, request_line: str, stop: threading.Event) -> None:
    """A 500 page (no envelope) that echoes the key alone: percent-encoded, and JSON-escaped
    with `\\/` and `\\uXXXX`, as a debugging page of a proxy might."""
    target = request_line.split(" ")[1] if " " in request_line else ""
    query = parse_qs(urlsplit(target).query)
    key = query.get("apiKey", [""])[0]
    escaped = json.dumps(key, ensure_ascii=True).replace("/", "\\/")
    body = f"<p>key {quote(key, safe='')}</p><script>var k = {escaped};</script>".encode()
    _answer("500 Internal Server Error", body, "text/html")(conn, request_line, stop)


BEHAVIOURS: dict[str, Behaviour] = {
    "close": _close,
    "stall": _stall,
    "html_502": _html_502,
    "rate_limited": _answer(
        "429 Too Many Requests", b"Too Many Requests", "text/plain", Retry_After="7"
    ),
    "truncated_json": _answer(
        "200 OK", b'{"success": true, "code": 200, "nbData": 1, "data": [{"id": 19, "phoneN'
    ),
    "short_body": lambda conn, line, stop: _send(
        conn,
        _response(
            "200 OK",
            {"Content-Type": "application/json", "Content-Length": "4096", "Connection": "close"},
            b'{"success": true, "code": 200, "nbData": 0, "da',
        ),
    ),
    "not_http": lambda conn, line, stop: _send(conn, b"SSH-2.0-OpenSSH_9.6\r\n"),
    "empty_200": _answer("200 OK", b""),
    # ---- for the limits and retries tests ----
    "stop_list": _answer("200 OK", json.dumps(STOP_LIST).encode()),
    "gzip_stop_list": _compressed("gzip", 16 + zlib.MAX_WBITS),
    "deflate_stop_list": _compressed("deflate", zlib.MAX_WBITS),
    "raw_deflate_stop_list": _compressed("deflate", -zlib.MAX_WBITS),
    "unavailable_503": _answer(
        "503 Service Unavailable", b"<h1>Service Unavailable</h1>", "text/html"
    ),
    "rate_limited_1s": _answer(
        "429 Too Many Requests", b"slow down", "text/plain", Retry_After="1"
    ),
    "rate_limited_huge": _answer(
        "429 Too Many Requests", b"slow down", "text/plain", Retry_After="1" + "0" * 30
    ),
    "rate_limited_inf": _answer(
        "429 Too Many Requests", b"slow down", "text/plain", Retry_After="inf"
    ),
    "rate_limited_superscript": _answer(
        "429 Too Many Requests", b"slow down", "text/plain", Retry_After="²"
    ),
    "drip_headers": _drip_headers,
    "drip_body": _drip_body,
    "endless_103": _endless_103,
    "endless_chunked": _endless_chunked,
    "huge_content_length": _huge_content_length,
    "gzip_bomb": _gzip_bomb,
    "broken_gzip": _broken_gzip,
    "deep_json_200": _deep("200 OK"),
    "deep_json_400": _deep("400 Bad Request"),
    "deep_json_429": _deep("429 Too Many Requests"),
    # 200 KB of `<` and no `>`: a regular expression looking for tags goes quadratic on it
    "xml_lt_flood": _answer("200 OK", b"<" * 200_000, "application/xml"),
    "redirect_loop": _redirect_loop,
    "echo_key": _echo_key,
    "echo_page": _echo_page,
    "redirect_with_key": _redirect_with_key,
}


def _serve_connection(conn: socket.socket, behaviour: Behaviour, stop: threading.Event) -> None:
    with conn:
        conn.settimeout(5.0)
        data = b""
        with suppress(OSError):
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
        request_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        behaviour(conn, request_line, stop)


def answer(
    status: str, body: bytes, content_type: str = "application/json", **headers: str
) -> Behaviour:
    """A behaviour answering `status` with `body` (for tests that need their own answer)."""
    return _answer(status, body, content_type, **headers)


@contextmanager
def fault_server(
    behaviour: str | Behaviour | Sequence[str | Behaviour],
) -> Iterator[str]:
    """Serve `behaviour` (a name of `BEHAVIOURS` or a behaviour of the test's own; or one per
    request, the last repeating) on a free loopback port; yield the base URL
    (`http://127.0.0.1:N/v1`)."""
    given = [behaviour] if isinstance(behaviour, str) or callable(behaviour) else list(behaviour)
    unknown = [name for name in given if isinstance(name, str) and name not in BEHAVIOURS]
    if unknown or not given:
        raise ValueError(f"unknown behaviour {unknown or given!r}")
    behaviours = [BEHAVIOURS[name] if isinstance(name, str) else name for name in given]
    if "gzip_bomb" in given:
        _bomb()  # compressed before serving: its seconds of CPU are not the client's deadline
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(16)
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            chosen = behaviours[min(len(workers), len(behaviours) - 1)]
            worker = threading.Thread(
                target=_serve_connection, args=(conn, chosen, stop), daemon=True
            )
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept_loop, daemon=True)
    acceptor.start()
    try:
        yield f"http://{LOOPBACK}:{port}/v1"
    finally:
        stop.set()
        acceptor.join(timeout=5)
        listener.close()
        for worker in workers:
            worker.join(timeout=5)
