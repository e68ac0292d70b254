"""What a run saw: per operation the statuses, media types and documented codes (coverage),
and which guesses of the ledger its answers exercised (the ground for a `confirmed` verdict).

A guess is exercised by an answer that reaches it: a value at a field whose schema carries the
mark, an error envelope for the error-status guess of its operation, an XML answer for the
media-type guess of its response, a request with an unsupported value for that guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smspartner_contract.checks import MEDIA, error_status, response_of
from smspartner_contract.exchange import XML, Exchange
from smspartner_contract.facts import facts_of
from smspartner_contract.ledger import UNCONFIRMED, mark_at
from smspartner_contract.walk import reach, under


@dataclass
class OperationCoverage:
    """What one operation answered during a run."""

    statuses: Counter[int] = field(default_factory=Counter)
    media_types: Counter[str] = field(default_factory=Counter)
    answers: Counter[tuple[int, str]] = field(default_factory=Counter)
    """(status, media type without parameters) of every answer."""
    codes: Counter[int] = field(default_factory=Counter)
    """Error codes seen in envelopes (any code, documented or not)."""
    documented: tuple[int, ...] = ()
    """The error codes the docs give this operation."""
    success: int = 0
    """Answers that were the documented success (a 2xx with `success: true`)."""

    @property
    def missing_codes(self) -> list[int]:
        return [code for code in self.documented if code not in self.codes]

    def as_dict(self) -> dict[str, Any]:
        return {
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "media_types": dict(sorted(self.media_types.items())),
            "answers": {f"{s} {m}": n for (s, m), n in sorted(self.answers.items())},
            "error_codes": {str(k): v for k, v in sorted(self.codes.items())},
            "documented_error_codes": list(self.documented),
            "missing_documented_error_codes": self.missing_codes,
            "success_answers": self.success,
        }


def coverage(
    spec: Mapping[str, Any], exchanges: Sequence[Exchange]
) -> dict[str, OperationCoverage]:
    """Per operation label, what the answers were."""
    facts = facts_of(spec)
    seen = {
        op.label: OperationCoverage(documented=tuple(s.code for s in op.errors))
        for op in facts.operations
    }
    for exchange in exchanges:
        response = exchange.response
        entry = seen.get(exchange.operation)
        if response is None or entry is None or exchange.interaction.request.method != "GET":
            continue
        entry.statuses[response.status] += 1
        entry.media_types[response.header("content-type") or "(none)"] += 1
        entry.answers[(response.status, response.media_type or "(none)")] += 1
        found = exchange.envelope(facts.envelope, lenient=False)
        if found is None:
            continue
        success, code = found
        if success is False and isinstance(code, int) and not isinstance(code, bool):
            entry.codes[code] += 1
        elif success is True and 200 <= response.status < 300:
            entry.success += 1
    return seen


def _mark_id(node: Mapping[str, Any]) -> str | None:
    mark = node.get(UNCONFIRMED)
    return (
        str(mark["id"]) if isinstance(mark, Mapping) and isinstance(mark.get("id"), str) else None
    )


def _marks_reached(spec: Mapping[str, Any], value: Any, schema: Any, found: set[str]) -> None:
    """Add the ids of the marked schemas that `value` reaches (a subtree whose marks are all
    found already is not walked again: the 2nd to 100,000th STOP entries cost nothing)."""

    def enter(node: Mapping[str, Any]) -> bool:
        return not under(spec, node, _mark_id) <= found

    for _, node in reach(spec, value, schema, enter):
        mark = _mark_id(node)
        if mark is not None:
            found.add(mark)


def exercised(spec: Mapping[str, Any], exchange: Exchange) -> dict[str, str | None]:
    """The guesses this exchange exercised: id -> None when it held, or what was seen instead
    (a media-type guess is settled by the media type itself, not by a finding)."""
    found: dict[str, str | None] = {}
    facts = facts_of(spec)
    response = exchange.response
    operation = facts.operation(exchange.operation)
    if response is None or operation is None or exchange.interaction.request.method != "GET":
        return found
    query = dict(exchange.interaction.request.query)
    for parameter in operation.parameters:
        guessed = parameter.guess and parameter.enum is not None and parameter.name in query
        if guessed and query[parameter.name] not in (parameter.enum or ()):
            found[str(parameter.guess)] = None
            return found  # what such an answer is, is that guess only
    decoded = exchange.decoded
    shape = exchange.envelope(facts.envelope, lenient=False)
    if decoded is None or shape is None:
        return found
    if shape[0] is True:
        raw = response_of(spec, exchange.operation, 200)
        reference = _raw_response(spec, exchange.operation, "200")
    else:
        status = error_status(spec, exchange.operation)
        raw = None if status is None else response_of(spec, exchange.operation, status)
        reference = None if status is None else _raw_response(spec, exchange.operation, str(status))
    if raw is None:
        return found
    mark = mark_at(spec, reference)
    if shape[0] is False and mark is not None:
        found[mark] = None
    content = raw.get("content", {}).get(MEDIA[decoded[0]], {})
    media_mark = content.get(UNCONFIRMED)
    if decoded[0] == XML and isinstance(media_mark, Mapping):
        seen = response.header("content-type") or "(none)"
        ok = response.media_type == MEDIA[XML]
        found[str(media_mark.get("id"))] = None if ok else seen
    if "schema" in content:
        reached: set[str] = set()
        _marks_reached(spec, decoded[1], content["schema"], reached)
        found.update(dict.fromkeys(reached))
    return found


def _raw_response(spec: Mapping[str, Any], label: str, status: str) -> Any:
    method, _, path = label.partition(" ")
    return (
        spec.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {}).get(status)
    )
