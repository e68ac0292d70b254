"""One contract run: schemathesis's engine on the spec against a target, findings collected.

The same function serves `make contract` (a URL) and the pytest suite (an ASGI app, in-process).
Check choices, each with its reason:

- all built-in checks that fit a read-only API run: not_a_server_error,
  status_code_conformance, content_type_conformance, response_headers_conformance,
  response_schema_conformance (XML too, see xml_bodies), negative_data_rejection (its default
  statuses include 400, the spec's error status: no adjustment), positive_data_acceptance,
  unsupported_method and allow_header_conformance (loopback targets only: they send other
  methods; a polite run against someone else's host sends GET only);
- `ignored_auth` is replaced by our `auth_enforced`: it insists on 401/403 (a set hard-coded
  in schemathesis 4.32.5, `AUTH_REJECTION_STATUSES`; this check has no `expected-statuses`),
  while the spec says HTTP 400 with code 1 (no key) or 10 (wrong key);
- `positive_data_acceptance` also accepts 400: a schema-valid but unknown rental token is
  refused with HTTP 400 code 32, this API's "not found" (the rental token dictionary makes
  half of the requests use a known token, which must give 200);
- use_after_free, ensure_resource_availability, object_level_authorization and
  missing_required_header need writes, several identities or required headers this API does
  not have: they stay enabled and find nothing to do;
- our `additive_drift` and `nb_data_consistency` run too (see checks.py); an XML answer that
  only breaks `response_schema_conformance` by trailing entries is reported as additive.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import schemathesis
from schemathesis.engine import Status, events, from_schema

from contract_tests.contract import checks, xml_bodies
from contract_tests.spec_loader import SPEC_PATH

BREAKING = "breaking"
ADDITIVE = "additive"
POLITE_RATE = "2/s"
_KEY_IN_QUERY = re.compile(r"(?i)(apikey=)[^&#'\"\s<>]*")


def mask(text: str, secret: str | None = None) -> str:
    """`text` with every `apiKey=` value, and the key itself, replaced by `***`.

    The `apiKey=` value runs to the next `&`, quote, space or bracket: a key may hold `:;,()`,
    so those are masked with it rather than risk showing a key's tail.
    """
    masked = _KEY_IN_QUERY.sub(r"\1***", text)
    if secret:
        forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
        for form in sorted(forms, key=len, reverse=True):
            masked = masked.replace(form, "***")
    return masked


@dataclass(frozen=True)
class Target:
    """Where to run: a base URL (ending in /v1), the key, a known rental, an optional ASGI app."""

    base_url: str
    api_key: str
    rental_token: str | None = None
    app: Any = None
    polite: bool = False
    """GET requests only (no method probing): for any host that is not ours."""
    rate_limit: str | None = None
    """schemathesis rate limit, e.g. `2/s` (the runner sets it for non-loopback hosts)."""


@dataclass(frozen=True)
class Finding:
    """One failed check, as the summary shows it."""

    operation: str
    check: str
    code: str
    title: str
    message: str
    field: str
    category: str
    curl: str


@dataclass
class Outcome:
    """What a run found, and how much it did."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    checks: int = 0
    phases: set[str] = field(default_factory=set)
    """Phases that ran a scenario (examples, coverage, fuzzing)."""
    checked: set[tuple[str, str]] = field(default_factory=set)
    """(operation, check) pairs that ran at least once."""
    seconds: float = 0.0

    @property
    def breaking(self) -> list[Finding]:
        return [f for f in self.findings if f.category == BREAKING]

    @property
    def additive(self) -> list[Finding]:
        return [f for f in self.findings if f.category == ADDITIVE]


def config_for(target: Target, *, max_examples: int, seed: int) -> dict[str, Any]:
    """The schemathesis configuration of a run (as the dict a schemathesis.toml would hold)."""
    config: dict[str, Any] = {
        "base-url": target.base_url,
        "seed": seed,
        "workers": 1,
        "auth": {"openapi": {"apiKey": {"api_key": target.api_key}}},
        # No example database: a run depends on the spec, the target and the seed only.
        "generation": {"max-examples": max_examples, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "ignored_auth": {"enabled": False},
            "positive_data_acceptance": {"expected-statuses": ["2XX", "400"]},
            "unsupported_method": {"enabled": not target.polite},
        },
        "output": {"sanitization": {"enabled": True}},
    }
    if target.rental_token:
        config["dictionaries"] = {"rental-tokens": {"values": [target.rental_token]}}
        config["parameters"] = {"query.token": {"dictionary": "rental-tokens", "probability": 0.5}}
    if target.polite:
        config["phases"]["coverage"] = {"unexpected-methods": []}
    if target.rate_limit:
        config["rate-limit"] = target.rate_limit
    return config


def _field(failure: Any) -> str:
    path = getattr(failure, "instance_path", None)
    if path is not None:
        return "/" + "/".join(str(part) for part in path) if list(path) else "(whole body)"
    own = getattr(failure, "field", None)
    if isinstance(own, str):
        return own
    if "deserialize" in str(failure.message):
        return "(whole body: not decodable)"
    return "-"


def _xml_names(path: str, method: str, response: Any, where: str) -> str:
    """`/3/0/1` of an XML answer becomes `/3/0/1 (JSON /data/0/phoneNumber)`."""
    if response is None or not where.startswith("/"):
        return where
    kind = (response.headers.get("content-type") or [""])[0]
    if not str(kind).startswith(checks.XML):
        return where
    named = [
        f"{pointer} (JSON {checks.json_twin(path, method, response.status_code, pointer)})"
        for pointer in where.split(", ")
    ]
    return ", ".join(named)


def curl_line(method: str, uri: str, secret: str) -> str:
    """A command reproducing a request, with the key masked."""
    return f"curl -X {method} '{mask(uri, secret)}'"


def _findings(event: events.ScenarioFinished, secret: str) -> list[Finding]:
    found = []
    recorder = event.recorder
    method, _, path = (event.label or "").partition(" ")
    for case_id, nodes in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            failure = info.failure
            if (
                node.name == "response_schema_conformance"
                and interaction is not None
                and interaction.response is not None
                and checks.explained_by_additive(path, method, interaction.response)
            ):
                continue  # only trailing XML entries: `additive_drift` reports them as additive
            where = _field(failure)
            probe_uri = getattr(failure, "probe_uri", None)
            if isinstance(probe_uri, str):
                curl = curl_line("GET", probe_uri, secret)
            elif interaction is not None:
                curl = curl_line(interaction.request.method, interaction.request.uri, secret)
            else:
                curl = "-"
            if interaction is not None:
                where = _xml_names(path, method, interaction.response, where)
            found.append(
                Finding(
                    operation=event.label or "?",
                    check=node.name,
                    code=failure.code,
                    title=mask(failure.title, secret),
                    message=mask(failure.message, secret),
                    field=where,
                    category=ADDITIVE if failure.code == checks.ADDITIVE_CODE else BREAKING,
                    curl=curl,
                )
            )
    return found


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.operation, finding.check, finding.field), finding)
    return list(seen.values())


def run_contract(target: Target, *, max_examples: int = 25, seed: int = 20261123) -> Outcome:
    """Run the examples, coverage and fuzzing phases with every fitting check."""
    xml_bodies.register()
    checks.register()
    checks.reset()
    start = time.perf_counter()
    config = schemathesis.Config.from_dict(config_for(target, max_examples=max_examples, seed=seed))
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    if target.app is not None:
        schema.app = target.app
    outcome = Outcome()
    findings: list[Finding] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.requests += len(event.recorder.interactions)
            if event.status != Status.SKIP:
                outcome.phases.add(str(event.phase.value))
            for nodes in event.recorder.checks.values():
                outcome.checks += len(nodes)
                outcome.checked.update((event.label or "?", node.name) for node in nodes)
            findings += _findings(event, target.api_key)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(
                mask(f"{event.label}: {_error_text(event.value)}", target.api_key)
            )
        elif isinstance(event, events.FatalError):
            outcome.errors.append(mask(_error_text(event.exception), target.api_key))
    outcome.findings = _dedupe(findings)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def is_loopback(base_url: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1), not for names like them."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def operations_of(findings: list[Finding]) -> Mapping[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.operation, []).append(finding)
    return grouped
