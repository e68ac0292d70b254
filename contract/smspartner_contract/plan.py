"""The probe plan: the fewest requests that reach every documented outcome and every guess.

Derived from the spec, its facts (`x-documented-errors`, `x-answer-format`, `x-credential`,
`x-probe`) and its ledger, in a fixed order; the first probe is a success request of the
operation marked `x-probe`, and doubles as the check that the target is the API and takes
the key:

- per operation, each answer format on a request the docs say succeeds; a required parameter
  takes the user's credential (`x-credential`: skipped, and said, without one) or the spec's
  example;
- per operation, each documented error situation once (no key, a wrong key, a required
  parameter missing or unknown); the formats alternate, shifted by one per operation, so that
  every error response is seen in every format and each key situation in both formats across
  the operations;
- per parameter whose unsupported values are a guess of the ledger, one request with a value
  outside its enum, on the probe operation (the guess is shared).

`expected_requests(spec, credentials=...)` says how many requests that is, for tests and docs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smspartner_contract import refs
from smspartner_contract.checks import UNKNOWN_VALUE, WRONG_KEY
from smspartner_contract.facts import Operation, Parameter, facts_of
from smspartner_contract.facts import iter_operations as operations

UNSUPPORTED_VALUE = "yaml"
"""A value outside a guessed enum (what it gets is that parameter's guess)."""


@dataclass(frozen=True)
class Probe:
    """One request of the plan."""

    name: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    """Parameters other than the key; `key` says which key (if any) goes with them."""
    key: str
    """"real" (the run's key), "wrong" (WRONG_KEY) or "none"."""
    negative: bool = False
    """The request breaks the spec on purpose (an unsupported value)."""

    def sent_query(self, key_name: str, api_key: str) -> tuple[tuple[str, str], ...]:
        keys = {"real": ((key_name, api_key),), "wrong": ((key_name, WRONG_KEY),), "none": ()}
        return (*keys[self.key], *self.query)


def _example(spec: Mapping[str, Any], operation: Mapping[str, Any], name: str) -> str | None:
    for raw in operation.get("parameters", []):
        parameter = refs.resolve(spec, raw)
        if parameter.get("name") == name and parameter.get("example") is not None:
            return str(parameter["example"])
    return None


def _value(
    spec: Mapping[str, Any],
    raw_operation: Mapping[str, Any],
    parameter: Parameter,
    credentials: Mapping[str, str],
) -> str | None:
    """The value a success request gives a required parameter, or None when none is known."""
    if parameter.credential is not None:
        return credentials.get(parameter.credential)
    return _example(spec, raw_operation, parameter.name)


def _raw(spec: Mapping[str, Any], operation: Operation) -> Mapping[str, Any]:
    return next(
        op for m, p, op in operations(spec) if m == operation.method and p == operation.path
    )


def probe_plan(
    spec: Mapping[str, Any], *, credentials: Mapping[str, str]
) -> tuple[list[Probe], list[str]]:
    """The probes, and what the plan could not reach (said in the reports)."""
    facts = facts_of(spec)
    ordered = [facts.probe, *(op for op in facts.operations if op is not facts.probe)]
    probes: list[Probe] = []
    gaps: list[str] = []
    for number, operation in enumerate(ordered):
        raw = _raw(spec, operation)
        label = operation.label
        chosen = operation.format_parameter
        formats = list(chosen.formats) if chosen is not None else [""]
        required = [p for p in operation.parameters if p.required]
        values = {p.name: _value(spec, raw, p, credentials) for p in required}
        missing = [p for p in required if values[p.name] is None]
        if missing:
            needed = ", ".join(p.credential or f"an example for `{p.name}`" for p in missing)
            gaps.append(
                f"{label}: no success answer requested (set {needed}): its success answer and "
                "the guesses only it carries are not exercised"
            )
        else:
            known = tuple((name, str(value)) for name, value in values.items())
            for fmt in formats:
                chosen_format = ((chosen.name, fmt),) if chosen is not None else ()
                probes.append(
                    Probe(
                        f"{label}, {fmt or 'default'}",
                        operation.method,
                        operation.path,
                        (*known, *chosen_format),
                        "real",
                    )
                )
        for index, situation in enumerate(operation.errors):
            # Shifted by the operation's rank: each code is seen in every format across the
            # operations, and each error response in every media type.
            fmt = formats[(index + number) % len(formats)]
            chosen_format = ((chosen.name, fmt),) if chosen is not None and fmt else ()
            given = {p.name: values[p.name] or UNKNOWN_VALUE for p in required}
            key = {"credential-missing": "none", "credential-wrong": "wrong"}.get(
                situation.when, "real"
            )
            if situation.when == "parameter-missing":
                given.pop(situation.parameter or "", None)
            elif situation.when == "parameter-unknown":
                given[situation.parameter or ""] = UNKNOWN_VALUE
            elif key != "real":
                # The key situations carry the user's values (or the unknown one): only the
                # key is wrong.
                pass
            what = f"{situation.describe(facts.key_name)} (code {situation.code})"
            probes.append(
                Probe(
                    f"{label} {what}, {fmt or 'default'}",
                    operation.method,
                    operation.path,
                    (*tuple(given.items()), *chosen_format),
                    key,
                )
            )
    probe = ordered[0]
    for parameter in probe.parameters:
        if parameter.guess is None or parameter.enum is None:
            continue
        value = UNSUPPORTED_VALUE if UNSUPPORTED_VALUE not in parameter.enum else "unsupported"
        probes.append(
            Probe(
                f"{probe.label} with an unsupported {parameter.name} ({value!r})",
                probe.method,
                probe.path,
                ((parameter.name, value),),
                "real",
                negative=True,
            )
        )
    return probes, gaps


def expected_requests(spec: Mapping[str, Any], *, credentials: Mapping[str, str]) -> int:
    """How many requests the plan sends (a run without retries)."""
    return len(probe_plan(spec, credentials=credentials)[0])


def documented_codes(spec: Mapping[str, Any], label: str) -> list[int]:
    """The error codes the docs give an operation (`x-documented-errors`)."""
    operation = facts_of(spec).operation(label)
    return [] if operation is None else [situation.code for situation in operation.errors]
