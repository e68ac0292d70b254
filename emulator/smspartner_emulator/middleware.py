"""Two thin ASGI wrappers: the access log (key masked) and the last-resort guard.

Plain ASGI rather than BaseHTTPMiddleware: they add one function call per request.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smspartner_emulator.answers import Answer
from smspartner_emulator.query import masked_query, printable

ACCESS_LOGGER = logging.getLogger("smspartner_emulator.access")
ERROR_LOGGER = logging.getLogger("smspartner_emulator.errors")


def _path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    return printable(text)


class AccessLog:
    """One INFO line per request: method, path, query (`apiKey=***`), status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            query = masked_query(scope.get("query_string", b""))
            ACCESS_LOGGER.info(
                "%s %s%s %d %.2fms",
                printable(str(scope.get("method", ""))),
                _path(scope),
                f"?{query}" if query else "",
                status,
                (time.perf_counter() - start) * 1000,
            )


class Guard:
    """Turns any exception into the JSON envelope (code 500) and one log line, no traceback.

    Tests prove no input reaches it; it exists so that a bug never shows a stack to a client.
    """

    def __init__(self, app: ASGIApp, answer: Answer) -> None:
        self.app = app
        self.answer = answer

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
        except Exception as exc:
            ERROR_LOGGER.error("unhandled %s while answering %s", type(exc).__name__, _path(scope))
            if not started:
                await self.answer.for_method(str(scope.get("method", "")))(scope, receive, send)
