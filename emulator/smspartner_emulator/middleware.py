"""Two thin ASGI wrappers: the access log (secrets masked) and the last-resort guard.

Plain ASGI rather than BaseHTTPMiddleware: they add one function call per request.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smspartner_emulator.answers import Answer
from smspartner_emulator.query import masked_text, request_line

if TYPE_CHECKING:
    from smspartner_client.redact import Redactor

ACCESS_LOGGER = logging.getLogger("smspartner_emulator.access")
ERROR_LOGGER = logging.getLogger("smspartner_emulator.errors")
LINES_CACHED = 1024
"""Masked request lines kept (a client repeats the same few requests; masking costs ~30 us)."""


def _raw_path(scope: Scope) -> bytes:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw
    return str(scope.get("path", "")).encode("utf-8", "surrogateescape")


class AccessLog:
    """One INFO line per request: method, path, query, status, duration; secrets masked."""

    def __init__(self, app: ASGIApp, redactor: Redactor) -> None:
        self.app = app
        self.line = functools.lru_cache(maxsize=LINES_CACHED)(
            functools.partial(request_line, redactor=redactor)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not ACCESS_LOGGER.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            line = self.line(
                str(scope.get("method", "")), _raw_path(scope), scope.get("query_string", b"")
            )
            ACCESS_LOGGER.info("%s %d %.2fms", line, status, (time.perf_counter() - start) * 1000)


class Guard:
    """Turns any exception into the JSON envelope (code 500) and one log line, no traceback.

    Tests prove no input reaches it; it exists so that a bug never shows a stack to a client.
    `ConnectionResetError` goes through: it is the `reset` scenario asking for no answer at all
    where the server cannot reset the connection (an in-process client).
    """

    def __init__(self, app: ASGIApp, answer: Answer, redactor: Redactor) -> None:
        self.app = app
        self.answer = answer
        self.redactor = redactor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except ConnectionResetError:
            raise
        except Exception as exc:
            path = masked_text(_raw_path(scope), self.redactor)
            ERROR_LOGGER.error("unhandled %s while answering %s", type(exc).__name__, path)
            if not started:
                await self.answer.for_method(str(scope.get("method", "")))(scope, receive, send)
