"""When, and after how long, the client tries a call again: retries built on tenacity.

Both endpoints are idempotent reads. A call is tried again after a transport failure of one
attempt (refused, reset or closed connection, protocol error, a timeout of that attempt) and
after an answer 429, 502, 503 or 504, at most `max_retries` times (2 by default, as in the
OpenAI and Anthropic SDKs; 0 turns retrying off). The wait is the answer's `Retry-After` when
it has one, else an exponential back-off with jitter (0.5 s, 1 s, 2 s... up to 8 s, plus up to
0.5 s at random). A `Retry-After` shorter than `MIN_RETRY_AFTER` (0.5 s: `0`, `0.1`) is not
taken at its word, so that a server saying "now" cannot make the client hammer it: the
back-off applies instead, a floor of 0.5 s, 1 s, 2 s... between attempts. The client stops, and
hands back the last outcome, when

- retries are exhausted;
- `Retry-After` asks for more than `max_retry_after` seconds (the client's cap);
- the wait would reach the call's total deadline (a call never outlives it because of retries).

The last outcome is then what the caller gets: the typed error of the failure, or the answer,
whose 429 becomes `RateLimited` and whose 5xx becomes `UnexpectedStatus` (or `ApiError`).

Why tenacity, rather than stamina or httpx-retries:

- tenacity evaluates its stop condition after computing the next wait
  (`RetryCallState.upcoming_sleep`), so "would this wait pass the deadline?" and "is this
  `Retry-After` over the cap?" are decided before sleeping; retries are driven by the outcome
  of a whole attempt (body read and decoded), sync (`Retrying`) and async (`AsyncRetrying`)
  alike.
- stamina (an opinionated layer on tenacity) checks its total `timeout` only after an attempt
  (tenacity's `stop_after_delay`), so its last back-off can run past the deadline, and its
  back-off hook cannot see the jittered wait it is about to sleep; we would have computed the
  waits ourselves and kept little of it.
- httpx-retries retries inside the httpx transport, below the client: it sees neither the
  body (a body cut short or over the cap is never retried), nor the call's deadline, and it is
  not a dependency of this kit yet.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tenacity

from ._deadline import Deadline
from .errors import DeadlineExceeded, SmsPartnerError, TransportError, parse_retry_after
from .types import Answer

RETRY_STATUSES = frozenset({429, 502, 503, 504})
"""Answers worth another attempt: rate limited, bad gateway, unavailable, gateway timeout."""
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
JITTER = 0.5
MIN_RETRY_AFTER = 0.5
"""A `Retry-After` under this many seconds is ignored: the back-off (at least 0.5 s, doubling)
applies instead."""

Outcome = Answer | SmsPartnerError
"""What one attempt gives: the answer read whole, or the typed error of its failure (or, for
a streamed answer, the answer left open: never tried again)."""
R = TypeVar("R")
"""The outcome of one attempt, whatever its type."""

logger = logging.getLogger("smspartner_client")


def backoff(attempt: int) -> float:
    """The wait after failed attempt number `attempt` (1-based) when the server names none."""
    exponential = min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0 ** min(attempt - 1, 32))
    return exponential + random.uniform(0.0, JITTER)


def should_retry(outcome: object) -> bool:
    if isinstance(outcome, SmsPartnerError):
        return isinstance(outcome, TransportError) and not isinstance(outcome, DeadlineExceeded)
    return isinstance(outcome, Answer) and outcome.status_code in RETRY_STATUSES


def _server_wait(outcome: object) -> float | None:
    if isinstance(outcome, Answer):
        return parse_retry_after(outcome.headers.get("retry-after"))
    return None


class _Run:
    """The retry state of one call: its tenacity settings, its attempts, why it stopped."""

    def __init__(self, max_retries: int, max_retry_after: float, deadline: Deadline) -> None:
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.deadline = deadline
        self.attempts = 0
        self.note = ""

    def _last(self, state: tenacity.RetryCallState) -> Any:
        return state.outcome.result()  # type: ignore[union-attr]

    def wait(self, state: tenacity.RetryCallState) -> float:
        server = _server_wait(self._last(state))
        if server is not None and server >= MIN_RETRY_AFTER:
            return server
        return backoff(state.attempt_number)

    def stop(self, state: tenacity.RetryCallState) -> bool:
        if self.max_retries == 0:
            return True
        server = _server_wait(self._last(state))
        if server is not None and server > self.max_retry_after:
            self.note = (
                f"Retry-After {server:g} s is over the client's {self.max_retry_after:g} s cap"
            )
        elif state.attempt_number > self.max_retries:
            self.note = f"gave up after {state.attempt_number} attempts"
        elif state.upcoming_sleep >= self.deadline.remaining():
            self.note = (
                f"waiting {state.upcoming_sleep:.1f} s more would pass the call's "
                f"{self.deadline.seconds:g} s deadline"
            )
        return bool(self.note)

    def give_up(self, state: tenacity.RetryCallState) -> Any:
        return self._last(state)

    def before_sleep(self, state: tenacity.RetryCallState) -> None:
        outcome = self._last(state)
        if isinstance(outcome, Answer):
            request, what = outcome.request, f"HTTP {outcome.status_code}"
        else:
            request, what = getattr(outcome, "request", ""), type(outcome).__name__
        logger.info(
            "%s: %s; trying again in %.2f s (attempt %d of %d)",
            request,
            what,
            state.upcoming_sleep,
            state.attempt_number + 1,
            self.max_retries + 1,
        )

    def settings(self) -> dict[str, Any]:
        return {
            "retry": tenacity.retry_if_result(should_retry),
            "wait": self.wait,
            "stop": self.stop,
            "retry_error_callback": self.give_up,
            "before_sleep": self.before_sleep,
        }

    def finish(self, outcome: R) -> R:
        outcome.attempts = self.attempts  # type: ignore[attr-defined]
        outcome.retry_note = self.note  # type: ignore[attr-defined]
        return outcome


def run(
    attempt: Callable[[], R], *, max_retries: int, max_retry_after: float, deadline: Deadline
) -> R:
    """`attempt()` until its outcome is final (see the module docstring); the last outcome
    (an `Answer`, a `SmsPartnerError`, or an answer left open to stream), with `attempts` and
    `retry_note` set."""
    state = _Run(max_retries, max_retry_after, deadline)

    def counted() -> R:
        state.attempts += 1
        return attempt()

    outcome: R = tenacity.Retrying(**state.settings())(counted)
    return state.finish(outcome)


async def run_async(
    attempt: Callable[[], Awaitable[R]],
    *,
    max_retries: int,
    max_retry_after: float,
    deadline: Deadline,
) -> R:
    """The async `run`."""
    state = _Run(max_retries, max_retry_after, deadline)

    async def counted() -> R:
        state.attempts += 1
        return await attempt()

    outcome: R = await tenacity.AsyncRetrying(**state.settings())(counted)
    return state.finish(outcome)


__all__ = [
    "MIN_RETRY_AFTER",
    "RETRY_STATUSES",
    "Outcome",
    "backoff",
    "run",
    "run_async",
    "should_retry",
]
