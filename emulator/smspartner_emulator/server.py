"""Serving the emulator: one uvicorn configuration for the CLI and the in-thread server.

`serving(app)` runs an app on a free loopback port in a background thread (for test suites,
the pytest plugin and scripts: sync clients need a real socket) with the same server and
limits as `smspartner-emulator`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from smspartner_emulator.app import BASE_PATH
from smspartner_emulator.limits import Limits
from smspartner_emulator.protocol import limited_protocol, server_started, stop_server

LOOPBACK = "127.0.0.1"
GRACEFUL_SHUTDOWN_SECONDS = 30
"""How long in-flight requests may take to finish after SIGTERM before connections close."""
THREAD_START_TIMEOUT = 10.0
THREAD_STOP_TIMEOUT = 10.0


class ServerStartError(Exception):
    """The in-thread server did not start; the message is one line."""


def bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket for host:port (IPv4 or IPv6); uvicorn calls listen() on it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{BASE_PATH}"


def uvicorn_config(
    app: ASGIApp,
    limits: Limits,
    *,
    log_level: str = "warning",
    log_config: Mapping[str, Any] | None = None,
    graceful_shutdown: int = GRACEFUL_SHUTDOWN_SECONDS,
) -> uvicorn.Config:
    """uvicorn with the fast loop and parser, our limits, no WebSocket and no access log.

    uvicorn's own access log stays off: ours masks the secrets, uvicorn's would print them.
    Proxy headers are not read (`X-Forwarded-For` from a loopback client would otherwise set
    the client address): nothing here stands behind a proxy, and the middleware that reads
    them costs a few per cent of the throughput.
    `log_config` None leaves the process's logging alone (a test suite's, say).
    """
    return uvicorn.Config(
        app,
        loop="uvloop",
        http=limited_protocol(limits),
        ws="none",
        lifespan="off",
        timeout_keep_alive=limits.keep_alive_timeout,
        timeout_graceful_shutdown=graceful_shutdown,
        access_log=False,
        proxy_headers=False,
        log_level=log_level,
        log_config=None if log_config is None else dict(log_config),
    )


@contextmanager
def serving(app: ASGIApp, limits: Limits | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a background thread; yield `http://127.0.0.1:PORT/v1`.

    Start and stop have deadlines (ServerStartError if it does not start); the server stops
    at the end of the block, in-flight requests given the graceful-shutdown time.
    """
    sock = bind(LOOPBACK, 0)
    try:
        config = uvicorn_config(app, limits or Limits(), graceful_shutdown=5)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="smspartner-emulator",
            daemon=True,
        )
        thread.start()
        try:
            _wait_started(server, thread)
            yield base_url(LOOPBACK, sock.getsockname()[1])
        finally:
            stop_server(server)
            thread.join(timeout=THREAD_STOP_TIMEOUT)
    finally:
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + THREAD_START_TIMEOUT
    while not server_started(server):
        if not thread.is_alive():
            raise ServerStartError("the emulator's server thread stopped during start-up")
        if time.monotonic() > deadline:
            raise ServerStartError(f"the emulator did not start in {THREAD_START_TIMEOUT:g} s")
        time.sleep(0.01)
