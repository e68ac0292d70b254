"""What a run saw: per operation the statuses, media types and documented codes (coverage),
and which guesses of the ledger its answers exercised (the ground for a `confirmed` verdict).

A guess is exercised by an answer that reaches it: a value at a field whose schema carries the
mark, an error envelope for the error-status guess of its operation, an XML answer for the
media-type guess of its response, a request with an unsupported `_format` for that guess.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smspartner_contract.cassette import Interaction
from smspartner_contract.checks import JSON, XML, XML_TYPES
from smspartner_contract.ledger import UNCONFIRMED, at, operations, parameter_enums, resolve
from smspartner_contract.plan import documented_codes
from smspartner_contract.positional_xml import PositionalXmlError, decode

_MAX_DEPTH = 32


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


def decode_answer(interaction: Interaction) -> tuple[str, Any] | None:
    """("json"|"xml", value) of an answer's body, by its media type; None if it does not decode."""
    response = interaction.response
    if response is None:
        return None
    try:
        if response.media_type == JSON or response.media_type.endswith("+json"):
            return "json", json.loads(response.body)
        if response.media_type in XML_TYPES:
            return "xml", decode(response.body)
    except (ValueError, PositionalXmlError, RecursionError):
        return None
    return None


def envelope_of(decoded: tuple[str, Any] | None) -> tuple[bool, Any] | None:
    """(success, code) of a decoded body shaped like the API's answers, else None."""
    if decoded is None:
        return None
    kind, body = decoded
    if kind == "json" and isinstance(body, dict) and isinstance(body.get("success"), bool):
        return body["success"], body.get("code")
    if kind == "xml" and isinstance(body, list) and body and isinstance(body[0], bool):
        return body[0], body[1] if len(body) > 1 else None
    return None


def any_envelope(interaction: Interaction) -> tuple[bool, Any] | None:
    """(success, code) of an answer shaped like the API's, whatever its media type says."""
    response = interaction.response
    if response is None:
        return None
    try:
        return envelope_of(("json", json.loads(response.body)))
    except (ValueError, RecursionError):
        pass
    try:
        return envelope_of(("xml", decode(response.body)))
    except PositionalXmlError:
        return None


def _operation(spec: Mapping[str, Any], label: str) -> Mapping[str, Any] | None:
    return next((op for m, p, op in operations(spec) if f"{m} {p}" == label), None)


def coverage(
    spec: Mapping[str, Any], interactions: list[Interaction]
) -> dict[str, OperationCoverage]:
    """Per operation label, what the answers were."""
    seen = {
        f"{m} {p}": OperationCoverage(documented=tuple(documented_codes(spec, op)))
        for m, p, op in operations(spec)
    }
    for interaction in interactions:
        response = interaction.response
        entry = seen.get(interaction.operation)
        if response is None or entry is None or interaction.request.method != "GET":
            continue
        entry.statuses[response.status] += 1
        entry.media_types[response.header("content-type") or "(none)"] += 1
        entry.answers[(response.status, response.media_type or "(none)")] += 1
        found = envelope_of(decode_answer(interaction))
        if found is None:
            continue
        success, code = found
        if success is False and isinstance(code, int) and not isinstance(code, bool):
            entry.codes[code] += 1
        elif success is True and 200 <= response.status < 300:
            entry.success += 1
    return seen


def _marks_reached(spec: Mapping[str, Any], value: Any, schema: Any, found: set[str]) -> None:
    """Add the ids of the marked schemas that `value` reaches (walking JSON or positional XML)."""
    stack: list[tuple[Any, Any, int]] = [(value, schema, 0)]
    while stack:
        item, node, depth = stack.pop()
        if depth > _MAX_DEPTH or not isinstance(node, Mapping):
            continue
        mark = node.get(UNCONFIRMED)
        if isinstance(mark, Mapping) and isinstance(mark.get("id"), str):
            found.add(str(mark["id"]))
        ref = node.get("$ref")
        if isinstance(ref, str):
            stack.append((item, at(spec, ref.removeprefix("#")), depth + 1))
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend((item, member, depth + 1) for member in node.get(key, []))
        if isinstance(item, dict):
            for name, sub in node.get("properties", {}).items():
                if name in item:
                    stack.append((item[name], sub, depth + 1))
        elif isinstance(item, list):
            prefix = node.get("prefixItems", [])
            for index, element in enumerate(item):
                if index < len(prefix):
                    stack.append((element, prefix[index], depth + 1))
                elif isinstance(node.get("items"), Mapping):
                    stack.append((element, node["items"], depth + 1))


def exercised(spec: Mapping[str, Any], interaction: Interaction) -> dict[str, str | None]:
    """The guesses this exchange exercised: id -> None when it held, or what was seen instead
    (a media-type guess is settled by the media type itself, not by a finding)."""
    found: dict[str, str | None] = {}
    response = interaction.response
    operation = _operation(spec, interaction.operation)
    if response is None or operation is None or interaction.request.method != "GET":
        return found
    query = dict(interaction.request.query)
    for name, (ident, enum) in parameter_enums(spec).items():
        if name in query and query[name] not in enum:
            found[ident] = None
            return found  # what such an answer is, is that guess only
    decoded = decode_answer(interaction)
    shape = envelope_of(decoded)
    if decoded is None or shape is None:
        return found
    responses = operation.get("responses", {})
    wanted = "200" if shape[0] is True else next((s for s in responses if s != "200"), "")
    reference = responses.get(wanted)
    if reference is None:
        return found
    resolved = resolve(spec, reference)
    mark = resolved.get(UNCONFIRMED)
    if shape[0] is False and isinstance(mark, Mapping):
        found[str(mark.get("id"))] = None
    media = XML if decoded[0] == "xml" else JSON
    content = resolved.get("content", {}).get(media, {})
    media_mark = content.get(UNCONFIRMED)
    if decoded[0] == "xml" and isinstance(media_mark, Mapping):
        seen = response.header("content-type") or "(none)"
        found[str(media_mark.get("id"))] = None if response.media_type == media else seen
    if "schema" in content:
        reached: set[str] = set()
        _marks_reached(spec, decoded[1], content["schema"], reached)
        found.update(dict.fromkeys(reached))
    return found
