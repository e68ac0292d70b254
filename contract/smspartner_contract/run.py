"""One contract run against a target: the probe plan, then schemathesis's phases, recorded.

The run only sends and records; checking and grading happen on the record (validate.py,
grading.py), so that a recording replayed later is judged exactly like the run that made it.

- Every request goes through `Forwarder` (sender.py: a deadline, a size cap, a pace) when the
  target is a URL; a test may hand an ASGI app instead (`Target.app`), called in-process.
- `mode="live"`: the probe plan only (plan.py), GET only and paced: what the live API gets.
- `mode="full"`: the plan, then schemathesis's examples, coverage and fuzzing phases (engine
  checks off: the record is checked afterwards). Stateful testing does not apply to two
  independent reads.
- Ctrl-C, SIGTERM or SIGHUP end the run early (`Record.interrupted`); a target that breaks a
  limit ends it too (`Record.stopped`). Either way the record holds what was sent so far.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.schemas import BaseSchema
from smspartner_client.redact import Redactor
from smspartner_emulator.recording import API_KEY_PLACEHOLDER, Interaction

from smspartner_contract import checks, xml_bodies
from smspartner_contract.checks import UNKNOWN_TOKEN, WRONG_KEY
from smspartner_contract.plan import Probe, probe_plan
from smspartner_contract.sender import (
    BoundedSender,
    Forwarder,
    Limits,
    Pacer,
    TargetFailure,
    origin_of,
)
from smspartner_contract.spec import SPEC_PATH, spec_data
from smspartner_contract.validate import request_record, response_record

LIVE, FULL = "live", "full"
PROBE_SINK = "http://127.0.0.1:1"
"""Where schemathesis's probing phase goes: it sends its own requests with `requests`, outside
the app the run hands it, so the engine's base URL is a closed loopback port (refused at once)
and every request that reaches the target goes through the app: the bounded sender, or the
in-process app of a test."""
KEY_ERRORS = frozenset({1, 10})
ACCOUNT_ERRORS = frozenset({20, 30, 40, 96})
MESSAGE_SHOWN = 120
"""Characters of the target's own message repeated in a one-line refusal."""
"""Account disabled or blocked, API access denied, IP not authorized: no run can be made."""


class Unusable(Exception):
    """The target cannot be checked; the message is the one line printed (exit 2)."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a run: unwinds like Ctrl-C (the emulator is stopped)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class Interruption:
    """The signal that interrupted the run, kept apart: schemathesis turns any interrupt that
    reaches its phases into its own `Interrupted` event, which does not say which signal."""

    signum: int | None = None


INTERRUPTION = Interruption()


@dataclass(frozen=True)
class Target:
    """What to run against: a base URL ending in /v1, the key, a known rental."""

    base_url: str
    api_key: str
    rental_token: str | None = None
    app: Any = None
    """An ASGI app called in-process instead of the URL (tests)."""
    polite: bool = False
    """GET requests only: no method probing of someone else's API."""
    per_second: float | None = None
    """Pace of a polite run (requests per second); None: as fast as the target answers."""
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class Settings:
    """How to run: live (the plan) or full (plan and phases), examples per operation, seed."""

    mode: str = FULL
    max_examples: int = 100
    seed: int = 20261123


@dataclass
class Record:
    """What a run sent and got (also what a cassette holds, for a replay)."""

    target: str
    mode: str
    rental_token: bool
    interactions: list[Interaction] = field(default_factory=list)
    requests: int = 0
    gaps: list[str] = field(default_factory=list)
    """What the plan could not reach (no rental token)."""
    errors: list[str] = field(default_factory=list)
    """Problems that did not stop the run (a check that could not run, an engine error)."""
    stopped: str | None = None
    """Why the run ended early, in one line: the target is not usable (not the API, the key
    refused) or broke a limit (no answer in time, too large, too deep, rate limited)."""
    interrupted: int | None = None
    """The signal that interrupted the run (2 for Ctrl-C), None if it was not."""
    unusable: bool = False
    """The first probe showed the target is not the API or refuses the key: nothing it
    answered is judged (exit 2 whatever the checks said)."""
    seconds: float = 0.0


def redactor_for(target: Target | None = None) -> Redactor:
    """The run's masking: the key, the rental token (the probes' public values are kept).

    Without a target (a replay, a comparison: the values are placeholders already), `apiKey=`
    values and phone numbers are still found by pattern.
    """
    if target is None:
        return Redactor(keep=[WRONG_KEY, UNKNOWN_TOKEN])
    tokens = [target.rental_token] if target.rental_token else []
    # the cassette's key placeholder is kept: keys are found in any letter case, and
    # `REDACTED-API-KEY` holds eight characters of a key such as `demo-api-key`
    keep = [WRONG_KEY, UNKNOWN_TOKEN, API_KEY_PLACEHOLDER]
    return Redactor(secrets=[target.api_key], tokens=tokens, keep=keep)


def schema_config(
    base_url: str,
    *,
    api_key: str = "",
    settings: Settings | None = None,
    target: Target | None = None,
) -> dict[str, Any]:
    """The schemathesis configuration (the dict a schemathesis.toml would hold).

    Validation and replay load the spec with the same check settings as the run:
    `positive_data_acceptance` also accepts 400 (an unknown rental is HTTP 400 code 32, this
    API's "not found"); `negative_data_rejection` keeps its defaults (they include 400).
    """
    settings = settings or Settings()
    config: dict[str, Any] = {
        "base-url": base_url,
        "seed": settings.seed,
        "workers": 1,
        # No example database: a run depends on the spec, the target and the seed only.
        "generation": {"max-examples": settings.max_examples, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,  # the engine only sends; every record is checked afterwards
            "positive_data_acceptance": {"expected-statuses": ["2XX", "400"]},
        },
        "output": {"sanitization": {"enabled": True}},
    }
    if api_key:
        config["auth"] = {"openapi": {"apiKey": {"api_key": api_key}}}
    if target is not None:
        # schemathesis's own client gives up on its timeout (10 s by default) with a bare
        # ReadTimeout: ours (the whole request, said in one line) must come first.
        config["request-timeout"] = target.limits.deadline + 5
    if target is not None and target.rental_token:
        config["dictionaries"] = {"rental-tokens": {"values": [target.rental_token]}}
        config["parameters"] = {"query.token": {"dictionary": "rental-tokens", "probability": 0.5}}
    if target is not None and target.polite:
        config["phases"]["coverage"] = {"unexpected-methods": []}
    return config


def load_schema(config: dict[str, Any], spec: dict[str, Any] | None = None) -> BaseSchema:
    """The spec (or a view of it) as a schemathesis schema, our checks and XML decoder known."""
    xml_bodies.register()
    checks.register()
    return schemathesis.openapi.from_dict(
        spec if spec is not None else spec_data(SPEC_PATH),
        config=schemathesis.Config.from_dict(config),
    )


def _probe_meta(probe: Probe) -> dict[str, Any]:
    """Generation metadata of a probe, as schemathesis records it (its checks read the mode)."""
    mode = "negative" if probe.negative else "positive"
    return {
        "generation": {"time": 0.0, "mode": mode},
        "components": {"QUERY": mode},
        "phase": {
            "name": "examples",
            "data": {
                "type": "ExamplesPhaseData",
                "description": f"probe plan: {probe.name}",
                "location": None,
                "parameter": None,
                "parameter_location": None,
                "mutations": [],
            },
        },
    }


def check_usable(interaction: Interaction, base_url: str) -> None:
    """The first probe's answer shows the target is the API and takes the key, or Unusable."""
    response = interaction.response
    url = f"{base_url}{interaction.request.path}"
    if response is None:
        raise Unusable(f"{url} did not answer ({interaction.error})")
    try:
        body = json.loads(response.body)
    except (ValueError, RecursionError):
        kind = response.media_type or "(no content type)"
        raise Unusable(
            f"{url} answered HTTP {response.status} {kind}, not the API's JSON "
            "(is SMSPARTNER_BASE_URL the API's base URL, ending in /v1?)"
        ) from None
    if response.status == 404:
        raise Unusable(f"{url} does not exist (HTTP 404): SMSPARTNER_BASE_URL must end in /v1")
    if not isinstance(body, dict):
        raise Unusable(
            f"{url} answered JSON {type(body).__name__}, not the API's object envelope "
            "(is SMSPARTNER_BASE_URL the API's base URL?)"
        )
    code, told = body.get("code"), body.get("message")
    message = " ".join(str(told).split())[:MESSAGE_SHOWN]
    if not isinstance(code, int) or isinstance(code, bool):
        return  # not an error code: the checks say what is wrong with the answer
    if body.get("success") is False and code in KEY_ERRORS:
        raise Unusable(
            f"the target refuses the API key (code {code}: {message}); check SMSPARTNER_API_KEY"
        )
    if body.get("success") is False and code in ACCOUNT_ERRORS:
        raise Unusable(f"the target refuses the account (code {code}: {message})")


@contextmanager
def _quiet_threads(record: Record, redactor: Redactor) -> Iterator[None]:
    """An exception in a worker thread becomes one line in the record, not a traceback."""
    previous = threading.excepthook

    def note(args: threading.ExceptHookArgs) -> None:
        what = first_line(args.exc_value) if args.exc_value else args.exc_type.__name__
        record.errors.append(redactor.mask(f"worker thread: {what}"))

    threading.excepthook = note
    try:
        yield
    finally:
        threading.excepthook = previous


class Runner:
    """Sends the plan and the phases to one target and keeps the record."""

    def __init__(self, target: Target, settings: Settings) -> None:
        self.target = target
        self.settings = settings
        self.redactor = redactor_for(target)
        self.origin, self.base_path = origin_of(target.base_url)
        self.forwarder: Forwarder | None = None
        if target.app is None:
            sender = BoundedSender(
                self.origin,
                limits=target.limits,
                pace=Pacer(target.per_second),
                describe=self.redactor.mask,
            )
            self.forwarder = Forwarder(sender)
        spec = spec_data(SPEC_PATH)
        self.probes, gaps = probe_plan(spec, rental_token=target.rental_token)
        self.record = Record(
            target=target.base_url,
            mode=settings.mode,
            rental_token=target.rental_token is not None,
            gaps=gaps,
        )
        engine_url = PROBE_SINK + self.base_path
        self.schema = load_schema(
            schema_config(engine_url, api_key=target.api_key, settings=settings, target=target)
        )
        self.schema.app = target.app if target.app is not None else self.forwarder

    def _failure(self) -> TargetFailure | None:
        return self.forwarder.failure if self.forwarder is not None else None

    def _count(self) -> int:
        if self.forwarder is not None:
            return self.forwarder.sender.sent
        return len(self.record.interactions)

    def run(self) -> Record:
        """Plan, then phases (full mode); the record, however the run ended."""
        INTERRUPTION.signum = None
        started = time.monotonic()
        with _quiet_threads(self.record, self.redactor):
            try:
                self._run_plan()
                if self.settings.mode == FULL and self.record.stopped is None:
                    self._run_phases()
            except Interrupted as stopped_by:
                self.record.interrupted = int(stopped_by.signum)
            except KeyboardInterrupt:
                self.record.interrupted = int(signal.SIGINT)
        self.record.requests = self._count()
        self.record.seconds = time.monotonic() - started
        return self.record

    def _run_plan(self) -> None:
        for index, probe in enumerate(self.probes, start=1):
            operation = self.schema[probe.path][probe.method]
            query = dict(probe.sent_query(self.target.api_key))
            case = operation.Case(query=query)
            try:
                response = case.call()
            except TargetFailure as failure:
                self.record.stopped = str(failure)
                return
            except Exception as exc:  # the in-process app or the transport failed
                stopped_by = self._failure()
                text = str(stopped_by) if stopped_by else f"{probe.name}: {type(exc).__name__}"
                self.record.stopped = self.redactor.mask(text)
                return
            interaction = Interaction(
                id=f"plan-{index:02d}",
                source="plan",
                probe=probe.name,
                operation=operation.label,
                request=request_record(str(response.request.url), probe.method, self.base_path),
                response=response_record(response),
                meta=_probe_meta(probe),
            )
            self.record.interactions.append(interaction)
            if index == 1:
                try:
                    check_usable(interaction, self.target.base_url)
                except Unusable as exc:
                    self.record.stopped = self.redactor.mask(str(exc))
                    self.record.unusable = True
                    return

    def _run_phases(self) -> None:
        stream = from_schema(self.schema).execute()
        numbers: dict[str, int] = {}
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                self._keep_scenario(event, numbers)
            elif isinstance(event, events.NonFatalError):
                text = self.redactor.mask(f"{event.label}: {first_line(event.value)}")
                if self._failure() is None:
                    self.record.errors.append(text)
            elif isinstance(event, events.FatalError):
                self.record.errors.append(self.redactor.mask(first_line(event.exception)))
            elif isinstance(event, events.Interrupted) and self.record.stopped is None:
                raise Interrupted(INTERRUPTION.signum or signal.SIGINT)  # not our own stop()
            failure = self._failure()
            if failure is not None and self.record.stopped is None:
                self.record.stopped = str(failure)
                stream.stop()

    def _keep_scenario(self, event: events.ScenarioFinished, numbers: dict[str, int]) -> None:
        recorder = event.recorder
        for case_id, exchange in recorder.interactions.items():
            node = recorder.cases.get(case_id)
            if node is None:
                continue
            case = node.value
            meta = case.meta.to_dict() if case.meta is not None else None
            source = str(meta["phase"]["name"]) if meta else str(event.phase.value)
            numbers[source] = numbers.get(source, 0) + 1
            response = exchange.response
            self.record.interactions.append(
                Interaction(
                    id=f"{source}-{numbers[source]:03d}",
                    source=source,
                    operation=case.operation.label,
                    request=request_record(
                        exchange.request.uri, exchange.request.method, self.base_path
                    ),
                    response=response_record(response) if response is not None else None,
                    meta=meta,
                    error=None if response is not None else "no answer",
                )
            )


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message`: an exception told in one line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
