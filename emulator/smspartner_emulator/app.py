"""The ASGI application: two endpoints under /v1, each picking a prebuilt answer.

Validation order, the same on both endpoints: `_format` (it decides how everything after it
is encoded), then `apiKey`, then `token` (location/status only). Unknown paths are 404 and
other methods on the two paths 405, both as JSON envelopes. A request first picks its scenario
(`Prefer: scenario=NAME`, else the app's); under `none`, a recorded answer (`replay`) wins
over the fixtures.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from smspartner_client.redact import Redactor
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from smspartner_emulator.answers import (
    Answer,
    Answers,
    Code,
    Format,
    build_answers,
    envelope,
    make_answer,
)
from smspartner_emulator.encoding import to_json
from smspartner_emulator.fixtures import Fixtures, check_fixtures, default_fixtures
from smspartner_emulator.middleware import AccessLog, Guard
from smspartner_emulator.query import API_KEY, FORMAT, TOKEN, read_params
from smspartner_emulator.replay import Replay, load_replay
from smspartner_emulator.scenarios import (
    NONE,
    RESET_EXTENSION,
    Scenario,
    UnknownScenario,
    preferred,
    resolve,
)

BASE_PATH = "/v1"
_FORMATS: Mapping[str, Format] = {"json": "json", "xml": "xml"}
_READ_METHODS = frozenset({"GET", "HEAD"})
SCENARIOS_CACHED = 32
"""Answer sets kept built (one per scenario name in use); the least recently used go first."""

Chooser = Callable[[Answers, Mapping[str, str]], Answer]


def _check_access(answers: Answers, params: Mapping[str, str]) -> Format | Answer:
    """The requested format, or the error answer when `_format` or `apiKey` is wrong."""
    raw_format = params.get(FORMAT)
    fmt = "json" if raw_format is None else _FORMATS.get(raw_format)
    if fmt is None:
        return answers.bad_format
    if answers.any_key:
        return fmt
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


ENDPOINTS: Mapping[str, Chooser] = {
    "/stop-sms/list": stop_list_answer,
    "/location/status": location_status_answer,
}
"""The two endpoints, by path below BASE_PATH."""


class Play(NamedTuple):
    """A scenario and the answers it gives."""

    scenario: Scenario
    answers: Answers


def _unknown_scenario(error: UnknownScenario) -> Answer:
    return make_answer(to_json(envelope(int(Code.BAD_FORMAT), str(error))), 400, "application/json")


def _endpoint_path(scope: Scope) -> str | None:
    """The path below BASE_PATH (`/stop-sms/list`), or None outside it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path[len(BASE_PATH) :] if path.startswith(BASE_PATH + "/") else None


def _reset(scope: Scope) -> None:
    """Reset the connection through the server (the `reset` scenario), or raise in-process."""
    reset = scope.get("extensions", {}).get(RESET_EXTENSION, {}).get("reset")
    if reset is None:
        raise ConnectionResetError("scenario `reset`: no answer (served in-process, no socket)")
    reset()


class Emulator:
    """The ASGI core: picks the scenario of a request, then its prebuilt answer.

    `scenario` (a name) is played when a request names none; set it at any time (the pytest
    plugin does, for one test). `latency` (seconds) delays every answer of the two endpoints.
    """

    def __init__(
        self,
        fixtures: Fixtures,
        *,
        latency: float = 0.0,
        replay: Replay | None = None,
        scenario: str = NONE,
    ) -> None:
        self.fixtures = fixtures
        self.latency = latency
        self.replay = replay
        self._play = functools.lru_cache(maxsize=SCENARIOS_CACHED)(self._build_play)
        self._scenario = NONE
        self.scenario = scenario

    @property
    def scenario(self) -> str:
        return self._scenario

    @scenario.setter
    def scenario(self, name: str) -> None:
        self._play(name)  # UnknownScenario now rather than at the next request
        self._scenario = name

    def _build_play(self, name: str) -> Play:
        scenario = resolve(name)
        return Play(scenario, build_answers(self.fixtures, scenario.edit, any_key=scenario.any_key))

    @property
    def answers(self) -> Answers:
        """The documented answers (scenario `none`)."""
        return self._play(NONE).answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._refuse_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        name = preferred(scope["headers"])
        try:
            play = self._play(self._scenario if name is None else name)
        except UnknownScenario as error:
            await _unknown_scenario(error).for_method(method)(scope, receive, send)
            return
        if play.scenario.delay:
            await asyncio.sleep(play.scenario.delay)
        if play.scenario.reset:
            _reset(scope)
            return
        answer = await self._answer(scope, method, play)
        await answer.for_method(method)(scope, receive, send)

    async def _answer(self, scope: Scope, method: str, play: Play) -> Answer:
        path = _endpoint_path(scope)
        choose = None if path is None else ENDPOINTS.get(path)
        if choose is not None and self.latency:
            await asyncio.sleep(self.latency)
        if self.replay is not None and path is not None and play.scenario.name == NONE:
            recorded = self.replay.answer(method, path, scope["query_string"])
            if recorded is not None:
                return recorded
        if choose is None:
            return play.answers.not_found
        if method not in _READ_METHODS:
            return play.answers.method_not_allowed
        return choose(play.answers, read_params(scope["query_string"]))

    async def _refuse_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No WebSocket here: the 404 envelope where the server can send one, else a close."""
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        response = self.answers.not_found.get
        await send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "websocket.http.response.body", "body": response.body})


def _last_resort(answers: Answers) -> Callable[[Request, Exception], Response]:
    def handler(request: Request, exc: Exception) -> Response:
        return answers.internal_error.get

    return handler


def create_app(
    fixtures: Fixtures | None = None,
    *,
    access_log: bool = True,
    latency: float = 0.0,
    scenario: str | None = None,
    replay: str | Path | None = None,
) -> Starlette:
    """The emulator as an ASGI app; fixtures default to the built-in ones.

    Fixtures built in code are validated like a file (FixturesError on a problem). With
    `access_log`, one line per request goes to the `smspartner_emulator.access` logger.
    `latency` (seconds, >= 0) delays every answer of the two endpoints. `scenario` is played
    for every request that names none (UnknownScenario, a ValueError, for an unknown name);
    `replay` is a cassette whose recorded answers are played (ReplayError if unusable).
    `app.state.emulator` is the `Emulator`: set its `scenario` to change scenario later.
    """
    if not latency >= 0:  # also refuses NaN
        raise ValueError(f"latency must be >= 0 seconds, got {latency}")
    checked = default_fixtures() if fixtures is None else check_fixtures(fixtures)
    recorded = None if replay is None else load_replay(replay, checked.api_keys)
    emulator = Emulator(checked, latency=latency, replay=recorded, scenario=scenario or NONE)
    redactor = _redactor(checked)
    answers = emulator.answers
    middleware = [Middleware(AccessLog, redactor=redactor)] if access_log else []
    middleware.append(Middleware(Guard, answer=answers.internal_error, redactor=redactor))
    app = Starlette(middleware=middleware, exception_handlers={Exception: _last_resort(answers)})
    app.router.redirect_slashes = False  # `/v1/stop-sms/list/` is another path: 404
    app.router.default = emulator
    app.state.fixtures = checked
    app.state.emulator = emulator
    return app


def _redactor(fixtures: Fixtures) -> Redactor:
    """Masks the fixtures' keys and rental tokens (and phone numbers) in log lines."""
    return Redactor(secrets=fixtures.api_keys, tokens=[rental.token for rental in fixtures.rentals])
