"""The target of a run, from the environment: a base URL and key, or an emulator started here.

Only a person reaches the live API: by setting `SMSPARTNER_BASE_URL` and `SMSPARTNER_API_KEY`.
A host that is not `localhost` or a loopback address gets the live behaviour: the probe plan
only (unless `SMSPARTNER_CONTRACT_FUZZ=1`), GET only, at most `POLITE_PER_SECOND` requests a
second. `SMSPARTNER_CONTRACT_MODE=live` asks for that behaviour against a loopback target.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from smspartner_contract.facts import facts_of
from smspartner_contract.model import FULL, LIVE, Limits, Settings, Target, Unusable
from smspartner_contract.spec import spec_data

POLITE_PER_SECOND = 2.0
_USERINFO = re.compile(r"//[^/?#]*@")


@dataclass(frozen=True)
class Plan:
    """What the environment asks for: target settings, run settings, an emulator scenario."""

    base_url: str | None
    api_key: str
    rental_token: str | None
    settings: Settings
    fuzz: bool
    scenario: str | None
    limits: Limits = field(default_factory=Limits)


def is_loopback(base_url: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1), not for names like them."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_base_url(raw: str) -> str:
    """`raw` normalised (no trailing slash), or Unusable saying what is wrong with it.

    Messages never repeat a `user:password@` part: credentials have no place in this URL.
    """
    shown = _USERINFO.sub("//", raw, count=1)
    try:
        url = httpx.URL(raw)
        host, port = url.host, url.port  # both decode lazily and may raise
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise Unusable(f"SMSPARTNER_BASE_URL is not a valid URL ({exc}): {shown!r}") from None
    if url.scheme not in ("http", "https"):
        raise Unusable(f"SMSPARTNER_BASE_URL is not an http(s) URL: {shown!r}")
    if not host:
        raise Unusable(f"SMSPARTNER_BASE_URL names no host: {shown!r}")
    if port is not None and not 0 < port < 65536:
        raise Unusable(f"SMSPARTNER_BASE_URL has an invalid port {port}: {shown!r}")
    if url.query or url.fragment:
        raise Unusable(
            f"SMSPARTNER_BASE_URL has a query or a fragment; give the base only: {shown!r}"
        )
    if url.userinfo:
        raise Unusable(
            "SMSPARTNER_BASE_URL carries user:password@ credentials; remove them "
            "(the API key goes in SMSPARTNER_API_KEY)"
        )
    return str(url).rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise Unusable(f"{name} must be a whole number, got {text!r}") from None
    if value < 1:
        raise Unusable(f"{name} must be at least 1, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, top: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise Unusable(f"{name} must be a number of seconds, got {text!r}") from None
    if not 0 < value <= top:  # also refuses NaN
        raise Unusable(f"{name} must be more than 0 and at most {top:g} seconds, got {text}")
    return value


def limits_from(env: Mapping[str, str]) -> Limits:
    """The run's request limits; `SMSPARTNER_CONTRACT_DEADLINE` (seconds) and
    `SMSPARTNER_CONTRACT_MAX_BODY` (bytes: then the cap of every answer, the spec's caps of
    answers that grow without bound included) change the two a user may want to change."""
    default = Limits()
    deadline = _seconds(env, "SMSPARTNER_CONTRACT_DEADLINE", default.deadline, 600.0)
    given = "SMSPARTNER_CONTRACT_MAX_BODY" in env and env["SMSPARTNER_CONTRACT_MAX_BODY"].strip()
    max_body = _int(env, "SMSPARTNER_CONTRACT_MAX_BODY", default.max_body)
    if max_body < 1024:
        raise Unusable(f"SMSPARTNER_CONTRACT_MAX_BODY must be at least 1024 bytes, got {max_body}")
    return Limits(
        deadline=deadline,
        connect=min(default.connect, deadline),
        max_body=max_body,
        body_set=bool(given),
    )


def credential_variables(spec: Mapping[str, Any] | None = None) -> list[str]:
    """The environment variables the spec names for the user's credentials (`x-credential`)."""
    facts = facts_of(spec if spec is not None else spec_data())
    found = (p.credential for op in facts.operations for p in op.credentials)
    return sorted({name for name in found if name})


def plan_from(env: Mapping[str, str], spec: Mapping[str, Any] | None = None) -> Plan:
    """Read and check every setting of the environment (Unusable on the first bad one)."""
    raw_url = env.get("SMSPARTNER_BASE_URL", "").strip()
    base_url = checked_base_url(raw_url) if raw_url else None
    api_key = env.get("SMSPARTNER_API_KEY", "").strip()
    if base_url is not None and not api_key:
        raise Unusable("SMSPARTNER_BASE_URL is set but SMSPARTNER_API_KEY is empty")
    mode = env.get("SMSPARTNER_CONTRACT_MODE", "").strip().lower()
    if mode not in ("", LIVE, FULL):
        raise Unusable(f"SMSPARTNER_CONTRACT_MODE must be `live` or `full`, got {mode!r}")
    fuzz = env.get("SMSPARTNER_CONTRACT_FUZZ", "").strip() not in ("", "0")
    ours = base_url is None or is_loopback(base_url)
    if mode == FULL and not ours and not fuzz:
        raise Unusable(
            "SMSPARTNER_CONTRACT_MODE=full against someone else's host needs "
            "SMSPARTNER_CONTRACT_FUZZ=1 (it sends hundreds of requests)"
        )
    if not mode:
        mode = FULL if ours or fuzz else LIVE
    scenario = env.get("SMSPARTNER_CONTRACT_SCENARIO", "").strip() or None
    if scenario and base_url is not None:
        raise Unusable(
            "SMSPARTNER_CONTRACT_SCENARIO applies to the emulator the run starts: "
            "unset SMSPARTNER_BASE_URL, or start the emulator with --scenario"
        )
    settings = Settings(
        mode=mode,
        max_examples=_int(env, "SMSPARTNER_CONTRACT_EXAMPLES", Settings().max_examples),
        seed=_int(env, "SMSPARTNER_CONTRACT_SEED", Settings().seed),
    )
    token = next(
        (value for name in credential_variables(spec) if (value := env.get(name, "").strip())),
        None,
    )
    return Plan(base_url, api_key, token, settings, fuzz, scenario, limits_from(env))


def emulator_credentials() -> tuple[str, str]:
    """The key and the documented rental of the emulator's built-in fixtures."""
    from smspartner_emulator import default_fixtures

    fixtures = default_fixtures()
    return fixtures.api_keys[0], fixtures.rentals[-1].token


def target_for(plan: Plan, base_url: str) -> Target:
    """The target of a plan once its base URL is known (the emulator's, if it was started)."""
    polite = plan.settings.mode == LIVE or not is_loopback(base_url)
    key, token = (
        emulator_credentials() if plan.base_url is None else (plan.api_key, plan.rental_token)
    )
    return Target(
        base_url,
        key,
        token,
        polite=polite,
        per_second=POLITE_PER_SECOND if polite else None,
        limits=plan.limits,
    )


@contextmanager
def resolved_target(plan: Plan) -> Iterator[Target]:
    """The plan's target; without a base URL an emulator is started and stopped around it."""
    if plan.base_url is not None:
        yield target_for(plan, plan.base_url)
        return
    from smspartner_emulator.process import EmulatorStartError, started_emulator

    extra = ("--scenario", plan.scenario) if plan.scenario else ()
    try:
        with started_emulator("--log-level", "warning", *extra) as emulator:
            yield target_for(plan, emulator.url)
    except EmulatorStartError as exc:
        raise Unusable(str(exc)) from None
