"""The ASGI application: two endpoints under /v1 (and any a test adds), prebuilt answers.

Validation order, the same on every endpoint: `_format` (it decides how everything after it
is encoded), then `apiKey`, then the endpoint's own parameters (`token` on location/status).
Unknown paths are 404 and other methods than GET and HEAD on a known path 405, both as JSON
envelopes. A request first picks its scenario (`Prefer: scenario=NAME`, else the app's); under
`none`, a recorded answer (`replay`) wins over the fixtures.

Cost per request: a request under a scenario whose answers exist costs a few dict lookups and
two ASGI messages built in advance; nothing is encoded. The answers of a scenario are built
once, when first named: by `create_app` for its `scenario`, by the thread that sets
`Emulator.scenario`, and in a worker thread (`BUILDER`, one at a time) when a request names a
new one, so that the event loop keeps serving other clients while a big stop list is encoded.
Built answer sets are kept (SCENARIOS_CACHED names, SCENARIO_BYTES of bodies of their own: an
answer a scenario leaves alone is shared with `none`), the least recently used dropped first.

Adding an endpoint (`create_app(routes={"/me": handler})`): a test can serve an operation the
emulator does not know, e.g. one it adds to a copy of the spec. `handler(call)` gets a
`RouteCall` (`params`: every query parameter, decoded, the last of a name winning; `format`:
"json" or "xml"; `fixtures`, whose `extra` holds the fixtures file's other top-level sections,
e.g. `fixtures.extra["me"]`) and returns the answer's data (a mapping, sent with HTTP 200) or
a `RouteError(code, message, status=400)` (sent as the error envelope). The emulator does the
rest as for its own endpoints: `_format` and `apiKey` are checked first (codes 400, 1, 10),
HEAD and 405 are handled, the scenario in play changes the answer (a drift or a fault applies
to the new endpoint too), and the answer is encoded in JSON or XML. A handler is called once
per distinct request (path, parameters) and scenario, in the worker thread; its answers are
kept (ROUTE_ANSWERS_CACHED): it should be a function of its call. An exception in a handler
is answered with the 500 envelope and one log line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from smspartner_client.redact import Redactor
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from smspartner_emulator.answers import (
    Answer,
    Answers,
    Code,
    Format,
    build_answers,
    draft,
    envelope,
    make_answer,
)
from smspartner_emulator.encoding import Value, to_json
from smspartner_emulator.fixtures import (
    Fixtures,
    check_fixtures,
    default_fixtures,
    replace_stop_list,
    synthetic_stop_list,
)
from smspartner_emulator.middleware import (
    UNKNOWN_SCENARIO,
    AccessLog,
    BufferedAccessLog,
    log_unhandled,
    raw_path,
)
from smspartner_emulator.query import API_KEY, FORMAT, TOKEN, read_pairs, read_params
from smspartner_emulator.replay import Recording, Replay, load_replay
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
SCENARIO_BYTES = 512 * 1024 * 1024
"""Bodies kept for scenarios other than `none` and the app's own (those not shared)."""
ROUTE_ANSWERS_CACHED = 1024
"""Answers of added routes kept, by scenario, path and parameters."""
BUILDER = "smspartner-scenarios"
"""Name of the worker thread that builds answer sets and added routes' answers."""

Chooser = Callable[[Answers, Mapping[str, str]], Answer]


@dataclass(frozen=True)
class RouteCall:
    """What an added route's handler gets: the request's parameters, its format, the data."""

    params: Mapping[str, str] = field(repr=False)  # holds `apiKey`: never shown
    format: Format
    fixtures: Fixtures


@dataclass(frozen=True)
class RouteError:
    """What a handler returns for an error: sent as the envelope `{success, code, message}`."""

    code: int
    message: str
    status: int = 400


Handler = Callable[[RouteCall], "Mapping[str, Value] | RouteError"]
"""An added route: its answer's data, or a RouteError."""


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
    return _unknown_answer(str(error))


@functools.lru_cache(maxsize=64)
def _unknown_answer(message: str) -> Answer:
    """The 400 envelope naming the known scenarios (kept: a client repeats its mistake)."""
    return make_answer(to_json(envelope(int(Code.BAD_FORMAT), message)), 400, "application/json")


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


def _route_answer(handler: Handler, call: RouteCall, scenario: Scenario) -> Answer:
    """Call an added route's handler and encode its answer (in the worker thread)."""
    result = handler(call)
    if isinstance(result, RouteError):
        one = draft(envelope(result.code, result.message), call.format, result.status, "error")
    else:
        one = draft(result, call.format, 200, "success")
    if scenario.edit is not None:
        one = scenario.edit(one)
    return make_answer(one.parts(), one.status, one.media_type, one.headers)


class Emulator:
    """The ASGI core: picks the scenario of a request, then its prebuilt answer.

    `scenario` (a name) is played when a request names none; set it at any time (the pytest
    plugin does, for one test): its answers are built in the setting thread, before it
    returns. `latency` (seconds) delays every answer of the endpoints.
    """

    def __init__(
        self,
        fixtures: Fixtures,
        *,
        latency: float = 0.0,
        replay: Replay | None = None,
        scenario: str = NONE,
        routes: Mapping[str, Handler] | None = None,
        access_log: AccessLog | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.fixtures = fixtures
        self.latency = latency
        self.replay = replay
        self.routes: Mapping[str, Handler] = dict(routes or {})
        self.access_log = access_log
        self.redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._plays: OrderedDict[str, Play] = OrderedDict()
        self._own_bytes = 0
        self._building: dict[str, concurrent.futures.Future[Play]] = {}
        self._builder: concurrent.futures.ThreadPoolExecutor | None = None
        self._route_answers: OrderedDict[tuple[str, str, tuple[tuple[str, str], ...]], Answer]
        self._route_answers = OrderedDict()
        self.builds = 0
        """Answer sets built so far (`none` included): what a test counts."""
        base = self._build(resolve(NONE), None)
        self._base = base.answers
        self._plays[NONE] = base
        self._scenario = NONE
        self.scenario = scenario

    # ---- answer sets -------------------------------------------------------------------------

    @property
    def scenario(self) -> str:
        return self._scenario

    @scenario.setter
    def scenario(self, name: str) -> None:
        self.play(name)  # UnknownScenario now rather than at the next request
        self._scenario = name

    @property
    def answers(self) -> Answers:
        """The documented answers (scenario `none`)."""
        return self._base

    def cached(self) -> tuple[str, ...]:
        """The scenarios whose answers are built and kept, least recently used first."""
        with self._lock:
            return tuple(self._plays)

    def _build(self, scenario: Scenario, base: Answers | None) -> Play:
        answers = build_answers(self.fixtures, scenario.edit, any_key=scenario.any_key, base=base)
        with self._lock:
            self.builds += 1
        return Play(scenario, answers)

    def _store(self, name: str, play: Play) -> Play:
        with self._lock:
            known = self._plays.get(name)
            if known is not None:
                return known
            self._plays[name] = play
            self._own_bytes += play.answers.own_bytes
            self._evict(name)
            return play

    def _evict(self, newest: str) -> None:
        """Drop the least recently used sets beyond the limits (never `none`, the app's own
        or the one just built, even when it alone is over the byte limit)."""
        for name in list(self._plays):
            if len(self._plays) <= SCENARIOS_CACHED and self._own_bytes <= SCENARIO_BYTES:
                return
            if name in (NONE, self._scenario, newest):
                continue
            self._own_bytes -= self._plays.pop(name).answers.own_bytes

    def _cached(self, name: str) -> Play | None:
        play = self._plays.get(name)
        if play is not None and name != NONE and name != self._scenario:
            with self._lock:
                if name in self._plays:
                    self._plays.move_to_end(name)
        return play

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._builder is None:
                self._builder = concurrent.futures.ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=BUILDER
                )
            return self._builder

    def _future(self, name: str) -> concurrent.futures.Future[Play]:
        """The build of `name` in the worker thread (an existing one if under way)."""
        scenario = resolve(name)  # UnknownScenario at once, on the caller's thread
        executor = self._executor()
        with self._lock:
            future = self._building.get(name)
            if future is None:
                future = executor.submit(self._build_and_store, name, scenario)
                self._building[name] = future
        return future

    def _build_and_store(self, name: str, scenario: Scenario) -> Play:
        try:
            return self._store(name, self._build(scenario, self._base))
        finally:
            with self._lock:
                self._building.pop(name, None)

    def play(self, name: str) -> Play:
        """The answers of scenario `name`, built in this thread if needed (UnknownScenario)."""
        play = self._cached(name)
        if play is not None:
            return play
        with self._lock:
            under_way = self._building.get(name)
        if under_way is not None:
            return under_way.result()
        return self._store(name, self._build(resolve(name), self._base))

    async def play_async(self, name: str) -> Play:
        """The answers of scenario `name`, built in the worker thread if needed."""
        play = self._cached(name)
        if play is not None:
            return play
        return await asyncio.wrap_future(self._future(name))

    # ---- requests ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                await self._refuse_websocket(scope, receive, send)
            elif kind == "lifespan":
                await _lifespan(receive, send)
            return
        log = self.access_log
        started = time.perf_counter() if log is not None and log.enabled() else 0.0
        method: str = scope["method"]
        name = preferred(scope["headers"])
        play = self._cached(self._scenario if name is None else name)
        shown = UNKNOWN_SCENARIO
        try:
            if play is None:
                play = await self.play_async(self._scenario if name is None else name)
            shown = play.scenario.name
            answer = await self._answer(scope, method, play)
        except UnknownScenario as error:
            answer = _unknown_scenario(error)
        except ConnectionResetError:
            raise
        except Exception as exc:  # a bug, or an added route's handler: the envelope, one line
            log_unhandled(exc, scope, self.redactor)
            answer = self._base.internal_error
        if answer is not None:
            await answer.send(method, send)
        if started and log is not None:
            status = answer.status if answer is not None else 0
            query: bytes = scope.get("query_string", b"")
            elapsed = time.perf_counter() - started
            log.note(method, raw_path(scope), query, status, elapsed, shown)

    async def _answer(self, scope: Scope, method: str, play: Play) -> Answer | None:
        """The answer to send, or None when the connection was reset instead."""
        if play.scenario.delay:
            await asyncio.sleep(play.scenario.delay)
        if play.scenario.reset:
            _reset(scope)
            return None
        path = _endpoint_path(scope)
        choose = None if path is None else ENDPOINTS.get(path)
        handler = None if path is None or choose is not None else self.routes.get(path)
        known = choose is not None or handler is not None
        if known and self.latency:
            await asyncio.sleep(self.latency)
        query: bytes = scope["query_string"]
        if self.replay is not None and path is not None and play.scenario.name == NONE:
            recorded = self.replay.answer(method, path, query)
            if recorded is not None:
                return recorded
        if not known:
            return play.answers.not_found
        if method not in _READ_METHODS:
            return play.answers.method_not_allowed
        if choose is not None:
            return choose(play.answers, read_params(query))
        if handler is None or path is None:  # `known` says it is not
            return play.answers.not_found
        return await self._route(handler, path, play, query)

    async def _route(self, handler: Handler, path: str, play: Play, query: bytes) -> Answer:
        params = dict(read_pairs(query))
        access = _check_access(play.answers, params)
        if isinstance(access, Answer):
            return access
        key = (play.scenario.name, path, tuple(sorted(params.items())))
        found = self._route_answers.get(key)
        if found is None:
            call = RouteCall(params, access, self.fixtures)
            job = self._executor().submit(_route_answer, handler, call, play.scenario)
            found = await asyncio.wrap_future(job)
            with self._lock:
                self._route_answers[key] = found
                while len(self._route_answers) > ROUTE_ANSWERS_CACHED:
                    self._route_answers.popitem(last=False)
        return found

    async def _refuse_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No WebSocket here: the 404 envelope where the server can send one, else a close."""
        await receive()  # websocket.connect
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        answer = self.answers.not_found
        await send(
            {
                "type": "websocket.http.response.start",
                "status": answer.status,
                "headers": list(answer.raw_headers),
            }
        )
        await send({"type": "websocket.http.response.body", "body": answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: acknowledge both."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class EmulatorApp(Starlette):
    """A Starlette app (for `app.state`) whose whole stack is the `Emulator`.

    Starlette's own middleware (error pages, routing) is not used: the emulator answers every
    path itself and turns any error into its 500 envelope, at no cost per request.
    """

    def __init__(self, emulator: Emulator) -> None:
        super().__init__()
        self.emulator = emulator

    def build_middleware_stack(self) -> ASGIApp:
        return self.emulator


class AccessLogStream:
    """`create_app(access_log=AccessLogStream(sys.stderr))`: write the access log to a
    stream in batches (the command's choice), rather than as logging records."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream


def create_app(
    fixtures: Fixtures | None = None,
    *,
    access_log: bool | AccessLogStream = True,
    latency: float = 0.0,
    scenario: str | None = None,
    replay: str | Path | Recording | None = None,
    routes: Mapping[str, Handler] | None = None,
    stop_list_size: int | None = None,
) -> EmulatorApp:
    """The emulator as an ASGI app; fixtures default to the built-in ones.

    Fixtures built in code are validated like a file (FixturesError on a problem). With
    `access_log`, one line per request goes to the `smspartner_emulator.access` logger (or,
    given an `AccessLogStream`, to its stream in batches). `latency` (seconds, >= 0) delays
    every answer of the endpoints. `scenario` is played for every request that names none
    (UnknownScenario, a ValueError, for an unknown name); `replay` is a cassette (a path, or a
    `Recording` already read) whose recorded answers are played (ReplayError if unusable).
    `routes` adds endpoints below /v1 (see the module's docstring; ValueError for a path that
    does not start with `/` or that the emulator already serves). `stop_list_size` replaces
    the fixtures' stop list with a synthetic one of that many entries (`synthetic_stop_list`:
    deterministic, numbers no real person has; ValueError beyond MAX_STOP_LIST_SIZE).
    `app.state.emulator` is the `Emulator`: set its `scenario` to change scenario later.
    """
    if not latency >= 0:  # also refuses NaN
        raise ValueError(f"latency must be >= 0 seconds, got {latency}")
    for path in routes or {}:
        if not path.startswith("/") or path in ENDPOINTS:
            raise ValueError(f"route {path!r}: expected a new path below /v1, like '/me'")
    checked = default_fixtures() if fixtures is None else check_fixtures(fixtures)
    if stop_list_size is not None:
        checked = replace_stop_list(checked, synthetic_stop_list(stop_list_size))
    recorded = None if replay is None else load_replay(replay, checked.api_keys)
    redactor = _redactor(checked)
    log: AccessLog | None = None
    if isinstance(access_log, AccessLogStream):
        log = BufferedAccessLog(redactor, access_log.stream)
    elif access_log:
        log = AccessLog(redactor)
    emulator = Emulator(
        checked,
        latency=latency,
        replay=recorded,
        scenario=scenario or NONE,
        routes=routes,
        access_log=log,
        redactor=redactor,
    )
    app = EmulatorApp(emulator)
    app.state.fixtures = checked
    app.state.emulator = emulator
    return app


def _redactor(fixtures: Fixtures) -> Redactor:
    """Masks the fixtures' keys and rental tokens (and phone numbers) in log lines."""
    return Redactor(secrets=fixtures.api_keys, tokens=[rental.token for rental in fixtures.rentals])


__all__ = [
    "BASE_PATH",
    "ENDPOINTS",
    "AccessLogStream",
    "Emulator",
    "EmulatorApp",
    "Handler",
    "Play",
    "RouteCall",
    "RouteError",
    "create_app",
]
