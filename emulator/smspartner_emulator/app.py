"""The Starlette application: two routes under /v1, each picking a prebuilt answer.

Validation order, the same on both endpoints: `_format` (it decides how everything after it
is encoded), then `apiKey`, then `token` (location/status only). Unknown paths are 404 and
other methods on the two paths 405, both as JSON envelopes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from smspartner_emulator.answers import Answer, Answers, Code, Format, build_answers
from smspartner_emulator.fixtures import Fixtures, check_fixtures, default_fixtures
from smspartner_emulator.middleware import AccessLog, Guard
from smspartner_emulator.query import API_KEY, FORMAT, TOKEN, read_params

BASE_PATH = "/v1"
_FORMATS: Mapping[str, Format] = {"json": "json", "xml": "xml"}
_READ_METHODS = frozenset({"GET", "HEAD"})

Chooser = Callable[[Answers, Mapping[str, str]], Answer]


def _check_access(answers: Answers, params: Mapping[str, str]) -> Format | Answer:
    """The requested format, or the error answer when `_format` or `apiKey` is wrong."""
    raw_format = params.get(FORMAT)
    fmt = "json" if raw_format is None else _FORMATS.get(raw_format)
    if fmt is None:
        return answers.bad_format
    key = params.get(API_KEY, "")
    if not key:
        return answers.errors[fmt][Code.API_KEY_REQUIRED]
    if key not in answers.api_keys:
        return answers.errors[fmt][Code.API_KEY_INCORRECT]
    return fmt


def stop_list_answer(answers: Answers, params: Mapping[str, str]) -> Answer:
    """GET /stop-sms/list."""
    access = _check_access(answers, params)
    if isinstance(access, Answer):
        return access
    return answers.stop_list[access]


def location_status_answer(answers: Answers, params: Mapping[str, str]) -> Answer:
    """GET /location/status."""
    access = _check_access(answers, params)
    if isinstance(access, Answer):
        return access
    token = params.get(TOKEN, "")
    if not token:
        return answers.errors[access][Code.TOKEN_REQUIRED]
    rental = answers.rentals.get(token)
    if rental is None:
        return answers.errors[access][Code.RENTAL_NOT_FOUND]
    return rental[access]


class Endpoint:
    """ASGI endpoint of one path: checks the method, then sends the chosen prebuilt answer.

    With a `latency` (seconds) every answer waits that long first, to play a slow API.
    """

    def __init__(self, answers: Answers, choose: Chooser, latency: float = 0.0) -> None:
        self.answers = answers
        self.choose = choose
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        if self.latency:
            await asyncio.sleep(self.latency)
        if method in _READ_METHODS:
            answer = self.choose(self.answers, read_params(scope["query_string"]))
        else:
            answer = self.answers.method_not_allowed
        await answer.for_method(method)(scope, receive, send)


class NotFound:
    """ASGI fallback of the router: any other path (any method, even a malformed one)."""

    def __init__(self, answers: Answers) -> None:
        self.answer = answers.not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websocket or anything else: nothing to answer
            return
        await self.answer.for_method(scope["method"])(scope, receive, send)


def _last_resort(answers: Answers) -> Callable[[Request, Exception], Response]:
    def handler(request: Request, exc: Exception) -> Response:
        return answers.internal_error.get

    return handler


def create_app(
    fixtures: Fixtures | None = None, *, access_log: bool = True, latency: float = 0.0
) -> Starlette:
    """The emulator as an ASGI app; fixtures default to the built-in ones.

    Fixtures built in code are validated like a file (FixturesError on a problem). With
    `access_log`, one line per request goes to the `smspartner_emulator.access` logger.
    `latency` (seconds, >= 0) delays every answer of the two endpoints.
    """
    if not latency >= 0:  # also refuses NaN
        raise ValueError(f"latency must be >= 0 seconds, got {latency}")
    checked = default_fixtures() if fixtures is None else check_fixtures(fixtures)
    answers = build_answers(checked)
    routes = [
        Route(f"{BASE_PATH}/stop-sms/list", Endpoint(answers, stop_list_answer, latency)),
        Route(f"{BASE_PATH}/location/status", Endpoint(answers, location_status_answer, latency)),
    ]
    middleware = [Middleware(AccessLog)] if access_log else []
    middleware.append(Middleware(Guard, answer=answers.internal_error))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={Exception: _last_resort(answers)},
    )
    app.router.redirect_slashes = False  # `/v1/stop-sms/list/` is another path: 404
    app.router.default = NotFound(answers)
    app.state.fixtures = checked
    return app
