"""What a run saw: per operation the statuses, media types and documented codes (coverage),
and which guesses of the ledger its answers exercised (the ground for a `confirmed` verdict).

A guess is exercised by an answer that reaches it: a value at a field whose schema carries the
mark, an error envelope for the error-status guess of its operation, an XML answer for the
media-type guess of its response, a request with an unsupported `_format` for that guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from smspartner_emulator.recording import Interaction

from smspartner_contract.checks import JSON, XML, decode_body, envelope_of, lenient_decode
from smspartner_contract.ledger import (
    UNCONFIRMED,
    at,
    error_response,
    operations,
    parameter_enums,
    resolve,
)
from smspartner_contract.plan import documented_codes

_MAX_DEPTH = 32
PHONE_SCHEMA = "#/components/schemas/InternationalPhoneNumber"
MIN_PHONE_LENGTH = 6
"""Shorter values under a phone field (a count, "0") are not masked wherever they appear."""


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
    return None if response is None else decode_body(response.media_type, response.body)


def _lenient(interaction: Interaction) -> tuple[str, Any] | None:
    """The body decoded as JSON, else as positional XML, whatever its media type says."""
    response = interaction.response
    return None if response is None else lenient_decode(response.body)


def any_envelope(interaction: Interaction) -> tuple[bool, Any] | None:
    """(success, code) of an answer shaped like the API's, whatever its media type says."""
    return envelope_of(_lenient(interaction))


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


def _reach(
    spec: Mapping[str, Any], value: Any, schema: Any
) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    """(value, schema node) for every node `value` reaches, through `$ref`s and alternatives,
    walking JSON objects by property and positional XML lists by position."""
    stack: list[tuple[Any, Any, int]] = [(value, schema, 0)]
    while stack:
        item, node, depth = stack.pop()
        if depth > _MAX_DEPTH or not isinstance(node, Mapping):
            continue
        yield item, node
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


def _marks_reached(spec: Mapping[str, Any], value: Any, schema: Any, found: set[str]) -> None:
    """Add the ids of the marked schemas that `value` reaches."""
    for _, node in _reach(spec, value, schema):
        mark = node.get(UNCONFIRMED)
        if isinstance(mark, Mapping) and isinstance(mark.get("id"), str):
            found.add(str(mark["id"]))


def _keyed_phones(value: Any) -> Iterator[str]:
    """Strings under any JSON key that names a phone number (a renamed field included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if "phone" in str(key).lower() and isinstance(sub, str | int):
                    yield str(sub)
                else:
                    stack.append(sub)
        elif isinstance(item, list):
            stack.extend(item)


def phone_numbers(spec: Mapping[str, Any], interaction: Interaction) -> set[str]:
    """The phone numbers an answer carries, whatever their form: the values of the spec's
    phone-number fields (JSON or XML) and of any JSON key naming a phone. Patterns find the
    usual forms; these values are masked by value too, so no form the patterns miss leaks."""
    decoded = decode_answer(interaction) or _lenient(interaction)
    operation = _operation(spec, interaction.operation)
    if decoded is None:
        return set()
    found = set(_keyed_phones(decoded[1])) if decoded[0] == "json" else set()
    media = XML if decoded[0] == "xml" else JSON
    for response in (operation or {}).get("responses", {}).values():
        schema = resolve(spec, response).get("content", {}).get(media, {}).get("schema")
        for value, node in _reach(spec, decoded[1], schema):
            if node.get("$ref") == PHONE_SCHEMA and isinstance(value, str | int):
                found.add(str(value))
    return {number for number in found if number.strip()}


def learn_phone_numbers(spec: Mapping[str, Any], record: Any, redactor: Any) -> None:
    """Have `redactor` mask, by value, every phone number the record's answers carry."""
    for interaction in record.interactions:
        for number in phone_numbers(spec, interaction):
            if len(number.strip()) >= MIN_PHONE_LENGTH:
                redactor.add(number, "phone")


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
    if shape[0] is True:
        reference = operation.get("responses", {}).get("200")
    else:
        reference = (error_response(operation) or ("", None))[1]
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
