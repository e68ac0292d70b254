"""`make contract`: the spec against the emulator (default) or `SMSPARTNER_BASE_URL`.

Environment: SMSPARTNER_BASE_URL (e.g. https://api.smspartner.fr/v1), SMSPARTNER_API_KEY,
SMSPARTNER_RENTAL_TOKEN (a known rental, so location/status is checked on a 200),
SMSPARTNER_CONTRACT_EXAMPLES (fuzzing examples per operation, 100), SMSPARTNER_CONTRACT_SEED.
Exit status: 0 the target matches the spec; 1 breaking drift; 3 additive drift only;
2 the run could not be made or completed (one line on stderr says why).
Reports: build/contract/summary.md and build/contract/junit.xml.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from contract_tests.contract.emulator_process import EmulatorError, started_emulator
from contract_tests.contract.report import write_reports
from contract_tests.contract.run import (
    POLITE_RATE,
    Outcome,
    Target,
    is_loopback,
    mask,
    run_contract,
)

REPORT_DIR = Path("build/contract")
DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
EXIT_OK, EXIT_BREAKING, EXIT_UNUSABLE, EXIT_ADDITIVE = 0, 1, 2, 3
PREFLIGHT_TIMEOUT = 10.0
KEY_ERRORS = frozenset({1, 10})
_USERINFO = re.compile(r"//[^/?#]*@")


class Unusable(Exception):
    """The target cannot be checked; the message is the one line printed."""


def preflight(base_url: str, api_key: str) -> None:
    """One GET of the stop list: the target is reachable, speaks the API and takes the key."""
    url = f"{base_url.rstrip('/')}/stop-sms/list"
    try:
        response = httpx.get(url, params={"apiKey": api_key}, timeout=PREFLIGHT_TIMEOUT)
    except httpx.TimeoutException:
        raise Unusable(f"{base_url} did not answer within {PREFLIGHT_TIMEOUT:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
        reason = str(exc) or type(exc).__name__
        raise Unusable(f"cannot reach {base_url}: {mask(reason, api_key)}") from None
    kind = response.headers.get("content-type", "(none)").split(";")[0]
    if kind != "application/json":
        raise Unusable(
            f"{url} answered HTTP {response.status_code} {kind}, not the API's JSON "
            "(is SMSPARTNER_BASE_URL the API's base URL, ending in /v1?)"
        )
    try:
        body = response.json()
    except ValueError:
        raise Unusable(f"{url} answered invalid JSON (HTTP {response.status_code})") from None
    if response.status_code == 404:
        raise Unusable(f"{url} does not exist (HTTP 404): SMSPARTNER_BASE_URL must end in /v1")
    if not isinstance(body, dict):
        raise Unusable(
            f"{url} answered JSON {type(body).__name__}, not the API's object envelope "
            "(is SMSPARTNER_BASE_URL the API's base URL?)"
        )
    if body.get("success") is False:
        code, message = body.get("code"), body.get("message")
        if code in KEY_ERRORS:
            raise Unusable(
                f"the target refuses the API key (code {code}: {message}); check SMSPARTNER_API_KEY"
            )
        raise Unusable(f"the target answered error code {code} ({message}) to a plain request")


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
    if url.userinfo:
        raise Unusable(
            "SMSPARTNER_BASE_URL carries user:password@ credentials; remove them "
            "(the API key goes in SMSPARTNER_API_KEY)"
        )
    return str(url).rstrip("/")


@contextmanager
def target_from(env: Mapping[str, str]) -> Iterator[Target]:
    """The target the environment names, or an emulator started for the run."""
    base_url = env.get("SMSPARTNER_BASE_URL", "").strip()
    if not base_url:
        try:
            with started_emulator() as url:
                yield Target(url, DEMO_KEY, DOCS_TOKEN)
        except EmulatorError as exc:
            raise Unusable(str(exc)) from None
        return
    base_url = checked_base_url(base_url)
    api_key = env.get("SMSPARTNER_API_KEY", "")
    if not api_key:
        raise Unusable("SMSPARTNER_BASE_URL is set but SMSPARTNER_API_KEY is empty")
    token = env.get("SMSPARTNER_RENTAL_TOKEN") or None
    ours = is_loopback(base_url)
    yield Target(
        base_url,
        api_key,
        token,
        polite=not ours,
        rate_limit=None if ours else POLITE_RATE,
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise Unusable(f"{name} must be a whole number, got {text!r}") from None
    if value < 1:
        raise Unusable(f"{name} must be at least 1, got {value}")
    return value


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    secret = env.get("SMSPARTNER_API_KEY", "")
    try:
        examples = _int(env, "SMSPARTNER_CONTRACT_EXAMPLES", 100)
        seed = _int(env, "SMSPARTNER_CONTRACT_SEED", 20261123)
        with target_from(env) as target:
            preflight(target.base_url, target.api_key)
            where = f"polite: {POLITE_RATE}, GET only" if target.polite else "loopback"
            shown = mask(target.base_url, secret)
            print(f"contract: checking {shown} ({where}), {examples} examples/operation")
            outcome = run_contract(target, max_examples=examples, seed=seed)
            text = write_reports(outcome, target.base_url, REPORT_DIR, target.api_key)
    except Unusable as exc:
        print(f"contract: {mask(str(exc), secret)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception as exc:  # the last resort: one masked line, not a traceback
        reason = (str(exc).strip().splitlines() or [""])[0]
        print(f"contract: unexpected {type(exc).__name__}: {mask(reason, secret)}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(text)
    print(f"reports: {REPORT_DIR}/summary.md, {REPORT_DIR}/junit.xml")
    status = exit_status(outcome)
    if status == EXIT_UNUSABLE:
        print(f"contract: {outcome.errors[0]}", file=sys.stderr)
    return status


def exit_status(outcome: Outcome) -> int:
    """Breaking drift wins; a run cut short by errors cannot vouch for anything else."""
    if outcome.breaking:
        return EXIT_BREAKING
    if outcome.errors:
        return EXIT_UNUSABLE
    if outcome.additive:
        return EXIT_ADDITIVE
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
