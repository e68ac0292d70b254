"""The runner's plain data: what to run against, how, and what a run recorded.

No behaviour here and no heavy imports: the writers, the grading and the command line share
these types without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smspartner_emulator.recording import Interaction

LIVE, FULL = "live", "full"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one request of a run (see the README's limits table)."""

    deadline: float = 20.0
    """Seconds for a whole request: connection, headers and body."""
    connect: float = 10.0
    """Seconds to open the connection (within the deadline)."""
    max_body: int = 4 * MIB
    """Largest answer body, counted after decompression (an operation whose answer grows
    without bound has its own cap in the spec: `x-max-answer-bytes`)."""
    body_set: bool = False
    """`max_body` was set by the user (SMSPARTNER_CONTRACT_MAX_BODY): it then caps every
    answer, the spec's caps included."""
    max_depth: int = 64
    """Deepest nesting of a JSON or XML answer (the real ones nest 4 levels)."""
    max_wait: float = 30.0
    """Longest `Retry-After` of a 429 the run waits out; longer ends the run."""
    retries_429: int = 2
    """How many times one request is sent again after a 429 with `Retry-After`."""
    max_run_bytes: int = 1024 * MIB
    """All the answers of a run together (what the record, the checks and the recording hold):
    a live run against a 1,000,000-entry STOP list reads about 230 MB (JSON and XML)."""
    outage_wait: float = 1.0
    """Seconds before the one new try of a request answered 502, 503 or 504."""


class Unusable(Exception):
    """The target cannot be checked; the message is the one line printed (exit 2)."""


@dataclass(frozen=True)
class Target:
    """What to run against: a base URL ending in /v1, the key, the user's credentials."""

    base_url: str
    api_key: str
    rental_token: str | None = None
    """The value of the spec's credential parameter (`x-credential`), when the user gave one."""
    app: Any = None
    """An ASGI app called in-process instead of the URL (tests)."""
    polite: bool = False
    """GET requests only: no method probing of someone else's API."""
    per_second: float | None = None
    """Pace of a polite run (requests per second); None: as fast as the target answers."""
    limits: Limits = field(default_factory=Limits)

    @property
    def credentials(self) -> tuple[str, ...]:
        return (self.rental_token,) if self.rental_token else ()


@dataclass(frozen=True)
class Settings:
    """How to run: live (the plan) or full (plan and phases), examples per operation, seed."""

    mode: str = FULL
    max_examples: int = 100
    seed: int = 20261123


@dataclass
class Record:
    """What a run sent and got, masked as it came in (also what a recording holds)."""

    target: str
    mode: str
    rental_token: bool
    interactions: list[Interaction] = field(default_factory=list)
    requests: int = 0
    gaps: list[str] = field(default_factory=list)
    """What the plan could not reach (no credential given)."""
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
    replay_of: Any = None
    """For a replay: the `Cassette` it replays (its date, target and mode), else None."""

    @property
    def complete(self) -> bool:
        """Whether the run went to its end with a usable target (a baseline for compare)."""
        return (
            not self.unusable
            and self.stopped is None
            and self.interrupted is None
            and bool(self.interactions)
        )


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one answer, in the kit's words (schemathesis's or ours)."""

    check: str
    title: str
    message: str
    """The failure's first line."""
    pointer: tuple[str | int, ...] | None = None
    """Where in the decoded body (JSON names or XML positions; `*` for every item)."""
    keyword: str | None = None
    """The JSON Schema keyword that failed (`required`, `type`, `pattern`...)."""
    expected: str = ""
    observed: str = ""
    code: str = ""
    count: int = 1
    """How many places of the answer showed it (an added field: one per entry)."""


@dataclass
class Checked:
    """What the checks said of one answer."""

    failures: list[CheckFailure] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Checks that could not run on this answer (an exception other than a failure)."""


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message`: an exception told in one line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
