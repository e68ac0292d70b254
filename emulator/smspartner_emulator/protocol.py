"""Every use of uvicorn's internals, in one place: the limited protocol and the CLI's server.

The rest of the emulator uses uvicorn's public surface only (`uvicorn.Config`,
`uvicorn.Server(config).run(sockets=...)`). What this module relies on beyond it, all checked
by `emulator/tests/test_uvicorn_coupling.py`, which fails with a message saying what changed
when a uvicorn release changes it underneath:

- `uvicorn.protocols.http.httptools_impl.HttpToolsProtocol`: subclassed; `__init__`,
  `connection_made`, `connection_lost`, `data_received` (a copy of uvicorn's, with the size
  cap: COPIED records the hash of the version copied), `_should_upgrade`,
  `on_message_begin`, `on_headers_complete`, `on_message_complete` overridden; its
  `_unset_keepalive_if_required`, `send_400_response` called and its attributes `parser`,
  `logger`, `loop`, `transport`, `flow`, `connections`, `app`, `scope`, `headers`, `cycle`
  used; `RequestResponseCycle.disconnected` and `.response_complete`;
  `uvicorn.server.ServerState`;
- `uvicorn.Server`: subclassed by `EmulatorServer` (`startup(sockets)` and
  `capture_signals()` overridden, `handle_exit` used), and its `started` and `should_exit`
  attributes read and set (`server_started`, `stop_server`);
- `uvicorn.config.LOGGING_CONFIG` (`logging_config()`).

What uvicorn 0.54 bounds by itself, and what it does not:

- httptools (our parser, for speed) bounds neither the request head (an endless header value
  is buffered, and re-copied at each read, for as long as it comes) nor the number of headers;
  h11 bounds the head (`h11_max_incomplete_event_size`, 16 KiB) but is several times slower.
- Neither bounds the time to send a request: `timeout_keep_alive` only runs between requests
  and every byte received cancels it, so idle and slowloris connections stay open forever.
- `limit_concurrency` answers a plain-text 503 once too many connections exist.

`LimitedHttpToolsProtocol` adds, per `Limits`: the request head (line and headers) and the
header count are capped (HTTP 431 with the error envelope, then the connection is closed); a
request must be complete within `request_timeout` of its first byte, or of the connection's
opening for the first one (else the connection is closed); beyond `max_connections` open
connections a request gets HTTP 503 with the envelope and the connection is closed. WebSocket
(or any) upgrades are ignored, as RFC 9110 allows: the request is answered as plain HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import logging
import signal
import socket
import struct
from collections.abc import Generator
from typing import Any, ClassVar

import httptools
import uvicorn
from starlette.responses import Response
from uvicorn.config import LOGGING_CONFIG, Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from smspartner_emulator.encoding import to_json
from smspartner_emulator.limits import Limits
from smspartner_emulator.scenarios import RESET_EXTENSION

REFUSAL_LINGER = 1.0
"""Seconds a refused connection stays half-open, so that the client reads the refusal."""
FEED_SLICE = 4096
"""Bytes given to the parser at once: the head cap is exact to within this much."""

LOGGER = logging.getLogger("smspartner_emulator.limits")
SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)

COPIED = {
    "HttpToolsProtocol.data_received": (
        "uvicorn 0.54.0",
        "02c2572f1df559070eba7f206a3f7e251782f5af4aaae194fc1ffb67f24c3873",
    ),
}
"""uvicorn methods copied (and changed) here: the version copied, the SHA-256 of its source
(`inspect.getsource`, dedented). A different hash means uvicorn changed the method: compare the
two, carry the change over to the copy, then record the new hash."""
OVERRIDDEN: dict[str, dict[str, tuple[str, ...]]] = {
    "HttpToolsProtocol": {
        "__init__": ("self", "config", "server_state", "app_state", "_loop"),
        "connection_made": ("self", "transport"),
        "connection_lost": ("self", "exc"),
        "data_received": ("self", "data"),
        "_should_upgrade": ("self",),
        "on_message_begin": ("self",),
        "on_headers_complete": ("self",),
        "on_message_complete": ("self",),
        "_unset_keepalive_if_required": ("self",),
        "send_400_response": ("self", "msg"),
    },
    "Server": {
        "startup": ("self", "sockets"),
        "capture_signals": ("self",),
        "handle_exit": ("self", "sig", "frame"),
    },
}
"""uvicorn methods overridden or called here, with the parameters they are expected to have."""
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "HttpToolsProtocol": (
        "parser",
        "logger",
        "loop",
        "transport",
        "flow",
        "connections",
        "app",
        "scope",
        "headers",
        "cycle",
    ),
    "RequestResponseCycle": ("disconnected", "response_complete"),
    "Server": ("started", "should_exit"),
}
"""Attributes of uvicorn's objects read or set here (each assigned in uvicorn's own code)."""


def _raw_refusal(status: int, reason: str, code: int, message: str) -> bytes:
    body = to_json({"success": False, "code": code, "message": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


REQUEST_HEAD_TOO_LARGE = _raw_refusal(
    431, "Request Header Fields Too Large", 431, "En-têtes de requête trop grands"
)
TOO_MANY_CONNECTIONS = Response(
    to_json({"success": False, "code": 503, "message": "Trop de connexions simultanées"}),
    status_code=503,
    media_type="application/json",
    headers={"retry-after": "1", "connection": "close"},
)


class _HeadRefused(Exception):
    """Raised from a parser callback: the head is over a limit."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with `limits` (set by `limited_protocol`)."""

    limits: ClassVar[Limits] = Limits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._deadline: asyncio.TimerHandle | None = None
        self._request_started: float | None = None
        """When the request being received began (None between requests)."""
        self._in_head = True
        self._head_bytes = 0
        self._refused = False

    # ---- connection ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._request_started = self.loop.time()  # the first request counts from here
        self._arm_deadline(self.limits.request_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._refused:
            return
        if len(data) <= FEED_SLICE:  # the usual case: a whole request, or a part of one
            if self._feed(data) and self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > self.limits.max_head_bytes:
                    self._refuse("request head over the size limit")
            return
        for start in range(0, len(data), FEED_SLICE):
            piece = data[start : start + FEED_SLICE]
            if not self._feed(piece):
                return
            if self._in_head:
                self._head_bytes += len(piece)
                if self._head_bytes > self.limits.max_head_bytes:
                    self._refuse("request head over the size limit")
                    return

    def _feed(self, piece: bytes) -> bool:
        """Parse `piece`; False once the connection is refused or closed."""
        while True:
            try:
                self.parser.feed_data(piece)
                return True
            except httptools.HttpParserUpgrade as upgrade:
                # The request was parsed (and answered as plain HTTP): read on after it.
                offset = upgrade.args[0] if upgrade.args else len(piece)
                piece = piece[offset if isinstance(offset, int) else len(piece) :]
                if not piece:
                    return True
            except httptools.HttpParserError as exc:
                if isinstance(exc.__context__, _HeadRefused):
                    self._refuse(str(exc.__context__))
                    return False
                message = "Invalid HTTP request received."
                self.logger.warning(message)
                self.send_400_response(message)
                return False

    def _should_upgrade(self) -> bool:
        return False  # the API speaks no WebSocket: an upgrade request is a plain request

    # ---- parser callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if self._request_started is None:
            self._request_started = self.loop.time()
        if self._deadline is None:
            self._arm_deadline(self.limits.request_timeout)

    def on_headers_complete(self) -> None:
        # The head size cap bounds the header list; its length is checked once, here.
        if len(self.headers) > self.limits.max_headers:
            raise _HeadRefused("too many header fields")
        self._in_head = False
        self._head_bytes = 0
        if len(self.connections) > self.limits.max_connections:
            LOGGER.warning("more than %d connections: answered 503", self.limits.max_connections)
            self.app = TOO_MANY_CONNECTIONS
        super().on_headers_complete()
        reset = functools.partial(self._reset, self.cycle)  # this request's, even when pipelined
        self.scope["extensions"] = {RESET_EXTENSION: {"reset": reset}}

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._request_started = None  # the timer, if any, finds nothing to do when it fires

    # ---- limits --------------------------------------------------------------------------------

    # One timer per connection rather than one per request: it is armed when a request begins
    # and none is pending; when it fires, it closes the connection if the request then being
    # received is late, or re-arms for that request's own deadline.

    def _arm_deadline(self, delay: float) -> None:
        self._deadline = self.loop.call_later(delay, self._check_deadline)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _check_deadline(self) -> None:
        self._deadline = None
        if self._request_started is None:
            return
        late = self.loop.time() - self._request_started - self.limits.request_timeout
        if late < 0:
            self._arm_deadline(-late)
            return
        LOGGER.debug("closed a connection that sent no complete request in time")
        if not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, reason: str) -> None:
        """Answer 431 and close (after a short linger, so that the client reads the answer)."""
        self._refused = True
        self._disarm_deadline()
        LOGGER.warning("refused a request: %s", reason)
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an answer is being sent on this connection: no room for ours
            return
        self.transport.write(REQUEST_HEAD_TOO_LARGE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.pause_reading()  # the rest of the head is not read at all
        self.loop.call_later(REFUSAL_LINGER, self.transport.close)

    def _reset(self, cycle: RequestResponseCycle) -> None:
        """The `reset` scenario: close with a TCP reset, no answer (and no 500 from uvicorn)."""
        cycle.disconnected = True
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


def limited_protocol(limits: Limits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class to give uvicorn (`Config(http=...)`) for these limits."""

    class Configured(LimitedHttpToolsProtocol):
        pass

    Configured.limits = limits
    return Configured


# ---- the CLI's server -----------------------------------------------------------------------


class EmulatorServer(uvicorn.Server):
    """uvicorn's server, announcing the URL once listening and exiting 0 on a signal."""

    def __init__(self, config: uvicorn.Config, announce: str) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self.announce, flush=True)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the caught signal after shutting down, which would end the
        # process by that signal; a graceful stop on request is a success here.
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in SHUTDOWN_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def server_started(server: uvicorn.Server) -> bool:
    """Whether the server listens (it sets `started` once its sockets serve)."""
    return bool(server.started)


def stop_server(server: uvicorn.Server) -> None:
    """Ask the server to stop (it finishes in-flight requests first)."""
    server.should_exit = True


def logging_config() -> dict[str, Any]:
    """uvicorn's default logging configuration (a copy), for the command."""
    return copy.deepcopy(LOGGING_CONFIG)
