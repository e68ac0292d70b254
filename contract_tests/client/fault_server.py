"""A tiny misbehaving HTTP server on 127.0.0.1, for the client fault tests.

Each connection reads one request head, then does what `behaviour` says: close without a word,
stall, answer 502 with an HTML page (that echoes the request line, API key included), 429 with
`Retry-After`, truncated JSON, a body shorter than its Content-Length, or bytes that are not HTTP.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

LOOPBACK = "127.0.0.1"
STALL_LIMIT = 30.0  # a stalled connection is released at the latest after this, or at exit

BEHAVIOURS = (
    "close",
    "stall",
    "html_502",
    "rate_limited",
    "truncated_json",
    "short_body",
    "not_http",
    "empty_200",
)


def _response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _answer(behaviour: str, request_line: str) -> bytes | None:
    if behaviour == "html_502":
        body = (
            "<html><head><title>502 Bad Gateway</title></head><body>"
            f"<h1>502 Bad Gateway</h1><p>upstream failed for {request_line}</p>"
            "<hr><center>nginx</center></body></html>"
        ).encode()
        headers = {"Content-Type": "text/html", "Content-Length": str(len(body))}
        return _response("502 Bad Gateway", {**headers, "Connection": "close"}, body)
    if behaviour == "rate_limited":
        body = b"Too Many Requests"
        headers = {
            "Content-Type": "text/plain",
            "Retry-After": "7",
            "Content-Length": str(len(body)),
            "Connection": "close",
        }
        return _response("429 Too Many Requests", headers, body)
    if behaviour == "truncated_json":
        body = b'{"success": true, "code": 200, "nbData": 1, "data": [{"id": 19, "phoneN'
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        return _response("200 OK", {**headers, "Connection": "close"}, body)
    if behaviour == "short_body":
        body = b'{"success": true, "code": 200, "nbData": 0, "da'
        headers = {"Content-Type": "application/json", "Content-Length": "4096"}
        return _response("200 OK", {**headers, "Connection": "close"}, body)
    if behaviour == "not_http":
        return b"SSH-2.0-OpenSSH_9.6\r\n"
    if behaviour == "empty_200":
        headers = {"Content-Type": "application/json", "Content-Length": "0"}
        return _response("200 OK", {**headers, "Connection": "close"}, b"")
    return None  # close, stall


def _serve_connection(conn: socket.socket, behaviour: str, stop: threading.Event) -> None:
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
        if behaviour == "stall":
            stop.wait(STALL_LIMIT)
            return
        answer = _answer(behaviour, request_line)
        if answer is not None:
            with suppress(OSError):
                conn.sendall(answer)


@contextmanager
def fault_server(behaviour: str) -> Iterator[str]:
    """Serve `behaviour` on a free loopback port; yield the base URL (`http://127.0.0.1:N/v1`)."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}")
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
            worker = threading.Thread(
                target=_serve_connection, args=(conn, behaviour, stop), daemon=True
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
