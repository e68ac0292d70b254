"""The probe plan: the fewest requests that reach every documented outcome and every guess.

Derived from the spec and its ledger, in a fixed order (the first probe doubles as the check
that the target is the API and takes the key):

- per operation, each `_format` value on a request the docs say succeeds (the stop list; the
  rental of `SMSPARTNER_RENTAL_TOKEN`, skipped without one);
- per operation, each documented error situation once: no `apiKey` (code 1), a wrong key
  (10), and for an operation with a required query parameter, that parameter missing (31)
  and unknown (32); the formats alternate (JSON, XML, ..., shifted by one per operation) so
  that every error response is seen in both media types (their `*-error-xml-media-type`
  guesses get a verdict) and codes 1 and 10 are each seen in both formats;
- per guessed parameter (`_format`), one request with a value outside its enum, on the first
  operation (the guess is shared).

Against the emulator with a rental token that is 11 requests: 4 successes (2 operations x 2
formats), 6 documented errors (1 and 10 on both operations, 31, 32), 1 unsupported `_format`.
Each one is needed: the successes carry every guessed field and both success media types, the
errors every documented code and both error media types, the last the `_format` guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smspartner_contract.checks import API_KEY, UNKNOWN_TOKEN, WRONG_KEY
from smspartner_contract.ledger import operations, parameter_enums, resolve

UNSUPPORTED_FORMAT = "yaml"
"""A `_format` value the API does not offer (what it gets is the `format-unsupported` guess)."""


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
    """The request breaks the spec on purpose (an unsupported `_format`)."""

    def sent_query(self, api_key: str) -> tuple[tuple[str, str], ...]:
        keys = {"real": ((API_KEY, api_key),), "wrong": ((API_KEY, WRONG_KEY),), "none": ()}
        return (*keys[self.key], *self.query)


def _formats(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[str]:
    for parameter in operation.get("parameters", []):
        parameter = resolve(spec, parameter)
        if parameter.get("name") == "_format":
            return [str(value) for value in resolve(spec, parameter["schema"]).get("enum", [])]
    return []


def required_query(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[str]:
    return [
        str(parameter["name"])
        for parameter in (resolve(spec, p) for p in operation.get("parameters", []))
        if parameter.get("in") == "query" and parameter.get("required")
    ]


def documented_codes(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[int]:
    """The error codes the docs give an operation: 1 and 10 (the key), 31 and 32 (a required
    query parameter: the rental token)."""
    return [1, 10] + ([31, 32] if required_query(spec, operation) else [])


def probe_plan(
    spec: Mapping[str, Any], *, rental_token: str | None
) -> tuple[list[Probe], list[str]]:
    """The probes, and what the plan could not reach (said in the reports)."""
    probes: list[Probe] = []
    gaps: list[str] = []
    unsupported = parameter_enums(spec)
    for number, (method, path, operation) in enumerate(operations(spec)):
        label = f"{method} {path}"
        formats = _formats(spec, operation) or ["json"]
        required = required_query(spec, operation)
        if required and rental_token is None:
            gaps.append(
                f"{label}: no success answer requested (set SMSPARTNER_RENTAL_TOKEN to a rental "
                "of the account): its 200 and the guesses only it carries are not exercised"
            )
        else:
            known = tuple((name, rental_token or "") for name in required)
            for fmt in formats:
                probes.append(
                    Probe(f"{label}, {fmt}", method, path, (*known, ("_format", fmt)), "real")
                )
        situations: list[tuple[str, tuple[tuple[str, str], ...], str]] = [
            ("without apiKey (code 1)", (), "none"),
            ("with a wrong apiKey (code 10)", (), "wrong"),
        ]
        for name in required:
            situations.append((f"without {name} (code 31)", (), "real"))
            situations.append(
                (f"with an unknown {name} (code 32)", ((name, UNKNOWN_TOKEN),), "real")
            )
        for index, (what, query, key) in enumerate(situations):
            # Shifted by the operation's rank: each code is seen in both formats across the
            # operations, and each error response in both media types.
            fmt = formats[(index + number) % len(formats)]
            # The key situations carry the rental (or the unknown one): only the key is wrong.
            base = tuple((n, rental_token or UNKNOWN_TOKEN) for n in required if key != "real")
            probes.append(
                Probe(
                    f"{label} {what}, {fmt}", method, path, (*base, *query, ("_format", fmt)), key
                )
            )
    first_method, first_path, _ = next(operations(spec))
    for name, (_, enum) in sorted(unsupported.items()):
        value = UNSUPPORTED_FORMAT if UNSUPPORTED_FORMAT not in enum else "unsupported"
        probes.append(
            Probe(
                f"{first_method} {first_path} with an unsupported {name} ({value!r})",
                first_method,
                first_path,
                ((name, value),),
                "real",
                negative=True,
            )
        )
    return probes, gaps
