"""One contract run against a target: the probe plan, then generated requests, recorded.

The run only sends and records; checking and grading happen on the record (grading.py), so
that a recording replayed later is judged exactly like the run that made it. Every exchange is
masked as it enters the record (`Privacy.admit`): nothing after this module sees a real key,
token or phone number.

- The plan's requests are sent by the kit itself: through `BoundedSender` (sender.py: a
  deadline, a size cap, a pace) when the target is a URL, or to an ASGI app in-process
  (`Target.app`, tests).
- `mode="live"`: the probe plan only (plan.py), GET only and paced: what the live API gets.
- `mode="full"`: the plan, then schemathesis's examples, coverage and fuzzing phases
  (engine.py), their requests going through the same bounded sender (`LoopbackProxy`).
- Ctrl-C, SIGTERM or SIGHUP end the run early (`Record.interrupted`); a target that breaks a
  limit ends it too (`Record.stopped`). Either way the record holds what was sent so far.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from smspartner_emulator.recording import (
    NEGATIVE,
    POSITIVE,
    Generation,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)

from smspartner_contract import engine
from smspartner_contract.checks import error_status
from smspartner_contract.facts import Facts, facts_of
from smspartner_contract.model import FULL, LIVE, Record, Settings, Target, Unusable, first_line
from smspartner_contract.plan import Probe, probe_plan
from smspartner_contract.privacy import Privacy
from smspartner_contract.sender import (
    BoundedSender,
    LoopbackProxy,
    Pacer,
    TargetFailure,
    origin_of,
)
from smspartner_contract.spec import SPEC_PATH, spec_data

__all__ = ["FULL", "LIVE", "Interrupted", "Record", "Runner", "Settings", "Target", "Unusable"]

PROBE_SINK = "http://127.0.0.1:1"
"""Where schemathesis's probing phase goes: it sends its own requests with `requests`, outside
the app the run hands it, so the engine's base URL is a closed loopback port (refused at once)
and every request that reaches the target goes through the app: the bounded sender, or the
in-process app of a test."""
MESSAGE_SHOWN = 120
"""Characters of the target's own message repeated in a one-line refusal."""
IN_PROCESS_DEADLINE = 30.0
"""Seconds an in-process app (a test's) gets for one answer."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a run: unwinds like Ctrl-C (the emulator is stopped)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class Interruption:
    """The signal that interrupted the run, kept apart: schemathesis turns any interrupt that
    reaches its phases into its own event, which does not say which signal."""

    signum: int | None = None


INTERRUPTION = Interruption()


def privacy_for(target: Target, spec: Mapping[str, Any]) -> Privacy:
    """The run's masking: the key, the user's credentials (the probes' public values kept)."""
    return Privacy(spec, key=target.api_key, secrets=target.credentials)


def check_usable(interaction: Interaction, base_url: str, facts: Facts) -> None:
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
    envelope = facts.envelope
    found = envelope.of(body)
    if found is None:
        return  # an object, but its flag is not a boolean: the checks report that
    success, code = found
    told = body.get(envelope.message) if isinstance(body, dict) else None
    message = " ".join(str(told).split())[:MESSAGE_SHOWN]
    if success is not False or not isinstance(code, int) or isinstance(code, bool):
        return  # not an error code: the checks say what is wrong with the answer
    key_codes = {s.code for s in facts.probe.errors if s.when.startswith("credential-")}
    if code in key_codes:
        raise Unusable(
            f"the target refuses the API key (code {code}: {message}); check SMSPARTNER_API_KEY"
        )
    if code in envelope.refused_account_codes:
        raise Unusable(f"the target refuses the account (code {code}: {message})")


@contextmanager
def _quiet_threads(record: Record, privacy: Privacy) -> Iterator[None]:
    """An exception in a worker thread becomes one line in the record, not a traceback."""
    previous = threading.excepthook

    def note(args: threading.ExceptHookArgs) -> None:
        what = first_line(args.exc_value) if args.exc_value else args.exc_type.__name__
        record.errors.append(privacy.text(f"worker thread: {what}"))

    threading.excepthook = note
    try:
        yield
    finally:
        threading.excepthook = previous


def _answer_cap(facts: Facts, default: int, override: int | None) -> Any:
    """The body cap of an answer, by the request path (the spec's `x-max-answer-bytes`)."""
    caps = {op.path: op.max_answer_bytes for op in facts.operations if op.max_answer_bytes}

    def cap(path: str) -> int:
        if override is not None:
            return override
        return caps.get(path, default)

    return cap


class Runner:
    """Sends the plan and the phases to one target and keeps the (masked) record."""

    def __init__(
        self,
        target: Target,
        settings: Settings,
        *,
        spec: Mapping[str, Any] | None = None,
        privacy: Privacy | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.spec = spec if spec is not None else spec_data(SPEC_PATH)
        self.facts = facts_of(self.spec)
        self.privacy = privacy or privacy_for(target, self.spec)
        self.origin, self.base_path = origin_of(target.base_url)
        self.sender: BoundedSender | None = None
        self.proxy: LoopbackProxy | None = None
        if target.app is None:
            limits = target.limits
            sender = BoundedSender(
                self.origin,
                limits=limits,
                pace=Pacer(target.per_second),
                describe=self.privacy.text,
                cap_for=_answer_cap(
                    self.facts, limits.max_body, limits.max_body if limits.body_set else None
                ),
                base_path=self.base_path,
            )
            self.sender = sender
        credentials = self._credentials()
        self.probes, gaps = probe_plan(self.spec, credentials=credentials)
        self.record = Record(
            target=self.privacy.text(target.base_url),
            mode=settings.mode,
            rental_token=bool(target.credentials),
            gaps=gaps,
        )

    def _credentials(self) -> dict[str, str]:
        """Credential values by the environment variable the spec names for them."""
        names = {p.credential for op in self.facts.operations for p in op.credentials}
        value = self.target.rental_token
        return {name: value for name in names if name and value}

    def _count(self) -> int:
        if self.sender is not None:
            return self.sender.sent
        return len(self.record.interactions)

    def run(self) -> Record:
        """Plan, then phases (full mode); the record, however the run ended."""
        INTERRUPTION.signum = None
        started = time.monotonic()
        with _quiet_threads(self.record, self.privacy):
            try:
                asyncio.run(self._plan())
                if self.settings.mode == FULL and self.record.stopped is None:
                    self._run_phases()
            except Interrupted as stopped_by:
                self.record.interrupted = int(stopped_by.signum)
            except KeyboardInterrupt:
                self.record.interrupted = int(INTERRUPTION.signum or signal.SIGINT)
        self.record.requests = self._count()
        self.record.seconds = time.monotonic() - started
        return self.record

    # ---- the plan ---------------------------------------------------------------------------

    async def _plan(self) -> None:
        if self.sender is None:
            await self._run_plan()
            return
        async with self.sender.session():
            await self._run_plan()

    async def _send(self, method: str, target: str) -> RecordedResponse:
        if self.sender is not None:
            answer = await self.sender.send(method, target)
            return RecordedResponse(status=answer.status, headers=answer.headers, body=answer.body)
        transport = httpx.ASGITransport(app=self.target.app)
        async with (
            asyncio.timeout(IN_PROCESS_DEADLINE),
            httpx.AsyncClient(transport=transport, base_url=self.origin) as client,
        ):
            response = await client.request(method, target)
        return RecordedResponse(
            status=response.status_code,
            headers=tuple((k.lower(), v) for k, v in response.headers.multi_items()),
            body=response.content,
            message=response.reason_phrase,
        )

    async def _run_plan(self) -> None:
        for index, probe in enumerate(self.probes, start=1):
            query = probe.sent_query(self.facts.key_name, self.target.api_key)
            target = self.base_path + probe.path + (f"?{urlencode(query)}" if query else "")
            started = time.monotonic()
            try:
                response = await self._send(probe.method, target)
            except TargetFailure as failure:
                self.record.stopped = self.privacy.text(str(failure))
                return
            except Exception as exc:  # the in-process app or the transport failed
                self.record.stopped = self.privacy.text(f"{probe.name}: {first_line(exc)}")
                return
            interaction = self.privacy.admit(
                Interaction(
                    id=f"plan-{index:02d}",
                    source=engine.PLAN,
                    probe=probe.name,
                    operation=f"{probe.method} {probe.path}",
                    request=RecordedRequest(method=probe.method, path=probe.path, query=query),
                    response=RecordedResponse(
                        status=response.status,
                        headers=response.headers,
                        body=response.body,
                        message=response.message,
                        elapsed=time.monotonic() - started,
                    ),
                    generation=_probe_generation(probe),
                )
            )
            self.record.interactions.append(interaction)
            if index == 1:
                try:
                    check_usable(interaction, self.record.target, self.facts)
                except Unusable as exc:
                    self.record.stopped = str(exc)
                    self.record.unusable = True
                    return

    # ---- the phases -------------------------------------------------------------------------

    def _engine(self, base_url: str = PROBE_SINK) -> engine.Engine:
        credentials = self._credentials()
        dictionaries = {
            p.name: (credentials[p.credential],)
            for op in self.facts.operations
            for p in op.credentials
            if p.credential in credentials
        }
        statuses = sorted(
            {str(s) for op in self.facts.operations if (s := error_status(self.spec, op.label))}
        )
        return engine.Engine(
            self.spec,
            engine.EngineSettings(
                base_url=base_url + self.base_path,
                api_key=self.target.api_key,
                seed=self.settings.seed,
                max_examples=self.settings.max_examples,
                polite=self.target.polite,
                dictionaries=dictionaries,
                accepted_statuses=tuple(statuses),
                # schemathesis's own client gives up on its timeout (10 s by default) with a
                # bare ReadTimeout: ours (the whole request, said in one line) must come first.
                request_timeout=self.target.limits.deadline + 5 if self.sender else None,
            ),
        )

    def _stopped(self) -> bool:
        failure = self.proxy.failure if self.proxy is not None else None
        if failure is not None and self.record.stopped is None:
            self.record.stopped = self.privacy.text(str(failure))
        return self.record.stopped is not None

    def _run_phases(self) -> None:
        def keep(interaction: Interaction) -> None:
            self.record.interactions.append(self.privacy.admit(interaction))

        try:
            if self.sender is None:
                errors = self._engine().run_phases(
                    self.target.app, keep, self._stopped, self.base_path
                )
            else:
                with LoopbackProxy(self.sender) as proxy:
                    self.proxy = proxy
                    errors = self._engine(proxy.url).run_phases(
                        None, keep, self._stopped, self.base_path
                    )
        except engine.Interrupted:
            raise Interrupted(INTERRUPTION.signum or signal.SIGINT) from None
        if self.proxy is None or self.proxy.failure is None:
            self.record.errors += [self.privacy.text(error) for error in errors]


def _probe_generation(probe: Probe) -> Generation:
    return Generation(
        mode=NEGATIVE if probe.negative else POSITIVE,
        negated=("query",) if probe.negative else (),
        description=f"probe plan: {probe.name}",
    )
