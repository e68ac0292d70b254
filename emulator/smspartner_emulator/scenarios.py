"""Scenarios: the emulator misbehaving on purpose, per request or for the whole process.

- `none`: the documented behaviour (the default).
- Faults: `rate_limited`, `server_error`, `slow`, `truncated`, `reset` (see FAULTS).
- Drifts: every entry of the drift catalogue (`smspartner_emulator.drift`), by its name.

A request picks one with the standard `Prefer` header (RFC 7240), `Prefer: scenario=NAME`;
`smspartner-emulator --scenario NAME` (or `create_app(scenario=NAME)`) sets the one used when
a request names none. Names joined with `+` combine (`slow+field_renamed`): their edits apply
left to right. A scenario is a change of the prebuilt answers (an `Edit` of every draft), a
delay, or a reset of the connection; the answers of a scenario are built on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smspartner_emulator.answers import MEDIA_TYPES, Draft, Edit, envelope
from smspartner_emulator.drift import CATALOGUE, Drift
from smspartner_emulator.query import printable

NONE = "none"
RESET_EXTENSION = "smspartner.reset"
"""ASGI scope extension of our server: `scope["extensions"][RESET_EXTENSION]["reset"]()` resets
the connection (the `reset` scenario)."""
SEPARATOR = "+"
MAX_COMBINED = 4
"""Most scenarios one name may combine (it bounds the answer sets a client can make us build)."""
PREFER_NAME = "scenario"
SLOW_SECONDS = 2.0
"""How long `slow` waits before answering (within httpx's default 5 s timeout)."""
RETRY_AFTER_SECONDS = 1
RATE_LIMITED_CODE = 429
RATE_LIMITED_MESSAGE = "Trop de requêtes, réessayez plus tard"
BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class UnknownScenario(ValueError):
    """A scenario name the emulator does not know; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        shown = printable(name[:60])
        super().__init__(
            f"unknown scenario {shown!r}; known: {', '.join(SCENARIOS)} "
            f"(combine up to {MAX_COMBINED} with {SEPARATOR!r})"
        )


@dataclass(frozen=True)
class Scenario:
    """What a scenario does: change every answer, wait `delay` seconds, or reset."""

    name: str
    description: str
    edit: Edit | None = dataclasses.field(default=None, compare=False, repr=False)
    any_key: bool = False
    delay: float = 0.0
    reset: bool = False


def _rate_limited(one: Draft) -> Draft:
    return Draft(
        data=envelope(RATE_LIMITED_CODE, RATE_LIMITED_MESSAGE),
        fmt=one.fmt,
        status=429,
        role="error",
        media_type=MEDIA_TYPES[one.fmt],
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _bad_gateway(one: Draft) -> Draft:
    return dataclasses.replace(
        one,
        status=502,
        role="error",
        media_type="text/html; charset=utf-8",
        headers={},
        page=BAD_GATEWAY_PAGE,
        cut=False,
    )


def _json_cut(one: Draft) -> Draft:
    return dataclasses.replace(one, cut=True) if one.fmt == "json" else one


FAULTS: tuple[Scenario, ...] = (
    Scenario(
        "rate_limited",
        f"HTTP 429, `Retry-After: {RETRY_AFTER_SECONDS}` and the envelope with code 429",
        edit=_rate_limited,
    ),
    Scenario("server_error", "HTTP 502 with an HTML page (a proxy's error)", edit=_bad_gateway),
    Scenario("slow", f"the usual answer, after {SLOW_SECONDS:g} s", delay=SLOW_SECONDS),
    Scenario(
        "truncated",
        "JSON answers cut in half (well-framed HTTP, broken JSON)",
        edit=_json_cut,
    ),
    Scenario("reset", "the connection is reset, no answer at all", reset=True),
)


def _from_drift(drift: Drift) -> Scenario:
    return Scenario(
        drift.name,
        f"{drift.description} ({drift.category} drift)",
        edit=drift.edit,
        any_key=drift.any_key,
    )


SCENARIOS: Mapping[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(NONE, "the documented behaviour: no fault, no drift (the default)"),
        *FAULTS,
        *(_from_drift(drift) for drift in CATALOGUE.values()),
    )
}


def _chain(edits: Iterable[Edit]) -> Edit:
    steps = tuple(edits)

    def edit(one: Draft) -> Draft:
        for step in steps:
            one = step(one)
        return one

    return edit


def resolve(name: str) -> Scenario:
    """The scenario `name` stands for (`a+b` combines); UnknownScenario otherwise."""
    found = SCENARIOS.get(name)
    if found is not None:
        return found
    parts = name.split(SEPARATOR)
    if not 1 < len(parts) <= MAX_COMBINED or len(set(parts)) != len(parts) or NONE in parts:
        raise UnknownScenario(name)
    chosen = [SCENARIOS.get(part) for part in parts]
    known = [scenario for scenario in chosen if scenario is not None]
    if len(known) != len(chosen):
        raise UnknownScenario(name)
    edits = [scenario.edit for scenario in known if scenario.edit is not None]
    return Scenario(
        name=name,
        description="; ".join(scenario.description for scenario in known),
        edit=_chain(edits) if edits else None,
        any_key=any(scenario.any_key for scenario in known),
        delay=sum(scenario.delay for scenario in known),
        reset=any(scenario.reset for scenario in known),
    )


def preferred(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The `scenario` preference of a request's `Prefer` headers (the first one wins), or None.

    Header names are lowercase, as ASGI servers give them.
    """
    for name, value in headers:
        if name != b"prefer":
            continue
        for preference in value.decode("latin-1").split(","):
            token, equals, word = preference.split(";", 1)[0].partition("=")
            if token.strip().lower() == PREFER_NAME:
                return word.strip().strip('"') if equals else ""
    return None


def listing() -> list[str]:
    """One line per scenario: its name and what it does (`--list-scenarios`)."""
    width = max(len(name) for name in SCENARIOS)
    return [f"{name:<{width}}  {scenario.description}" for name, scenario in SCENARIOS.items()]
