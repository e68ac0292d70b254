"""The kit's own checks, for what schemathesis's built-in ones cannot say about this API.

Each is a pure function of one recorded exchange (the request sent, the answer, its decoded
body) and the spec, so a recording is judged offline exactly as the run that made it. None
needs schemathesis, and none names an operation, a parameter or a code of the API: the
situations and codes come from the spec's `x-documented-errors`, the counted fields from
`x-counts` (facts.py).

- `documented_error_codes`: each documented error situation gets its documented code: no key,
  the run's wrong key, a required parameter missing or carrying the run's unknown value. The
  HTTP status is not judged here (it is a guess: `status_code_conformance` and the ledger
  grade it). schemathesis's `ignored_auth` cannot say this: it insists on 401/403.
- `additive_drift`: JSON fields the spec does not describe, and positional XML entries past the
  documented positions. The spec leaves objects open, so schema checks cannot see them.
- `count_consistency`: an integer marked `x-counts: FIELD` equals the number of entries of its
  sibling array `FIELD` (the STOP list's `nbData`, read as the number of entries of `data`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from smspartner_contract import refs
from smspartner_contract.diff import json_type
from smspartner_contract.exchange import JSON, XML, Exchange
from smspartner_contract.facts import Facts, Operation, facts_of
from smspartner_contract.model import CheckFailure

WRONG_KEY = "contract-run-wrong-key"
"""The deliberately wrong key the probe plan sends (public: never masked)."""
UNKNOWN_VALUE = "contract-run-unknown-value"
"""The value the plan sends to a parameter the docs say can be unknown (public)."""
ADDITIVE_CODE, CODES_CODE, COUNT_CODE = "ST990", "ST991", "ST992"
ADDITIVE, CODES, COUNT = "additive_drift", "documented_error_codes", "count_consistency"
CHECK_NAMES = (CODES, ADDITIVE, COUNT)
MEDIA = {JSON: "application/json", XML: "application/xml"}
STAR = "*"
_SPEC_URI = "urn:smspartner-spec"


# ---- the spec as the checks read it -------------------------------------------------------------


def response_of(spec: Mapping[str, Any], label: str, status: int) -> Mapping[str, Any] | None:
    """The spec's response of an operation (`GET /path`) for a status, or None."""
    method, _, path = label.partition(" ")
    operation = spec.get("paths", {}).get(path, {}).get(method.lower())
    if not isinstance(operation, Mapping):
        return None
    response = operation.get("responses", {}).get(str(status))
    return None if response is None else refs.resolve(spec, response)


def error_status(spec: Mapping[str, Any], label: str) -> int | None:
    """The documented status of an operation's error answer: its first one that is not 2xx."""
    method, _, path = label.partition(" ")
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    for status in operation.get("responses", {}):
        if str(status).isdigit() and not str(status).startswith("2"):
            return int(status)
    return None


def media_schema(
    spec: Mapping[str, Any], label: str, status: int, media: str
) -> Mapping[str, Any] | None:
    """The spec's schema of one answer (operation, status, media type), or None."""
    response = response_of(spec, label, status)
    if response is None:
        return None
    found = response.get("content", {}).get(media)
    return None if found is None else found.get("schema")


def judged_status(spec: Mapping[str, Any], exchange: Exchange, facts: Facts) -> int:
    """The status whose schema judges the answer: an error envelope at a success status is
    compared with the error schema, not the success one."""
    response = exchange.response
    assert response is not None
    status = response.status
    if 200 <= status < 300 and exchange.is_error(facts.envelope):
        return error_status(spec, exchange.operation) or status
    return status


_KNOWN: dict[tuple[int, int], tuple[Any, tuple[set[str], list[Mapping[str, Any]]]]] = {}


def _known(spec: Mapping[str, Any], schema: Any) -> tuple[set[str], list[Mapping[str, Any]]]:
    """Property names of an object schema and its alternatives (anyOf/oneOf/allOf), remembered
    per schema node (every STOP entry asks the same question)."""
    key = (id(spec), id(schema))
    found = _KNOWN.get(key)
    if found is not None and found[0] is schema:
        return found[1]
    if len(_KNOWN) > 4096:
        _KNOWN.clear()
    result = _known_now(spec, schema)
    _KNOWN[key] = (schema, result)
    return result


def _known_now(spec: Mapping[str, Any], schema: Any) -> tuple[set[str], list[Mapping[str, Any]]]:
    schema = refs.resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return set(), []
    names = set(schema.get("properties", {}))
    parts = [schema]
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key, []):
            more, members = _known(spec, member)
            names |= more
            parts += members
    return names, parts


def undocumented_fields(
    spec: Mapping[str, Any], value: Any, schema: Any, pointer: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(pointer, value) of each object key in `value` that `schema` does not describe, once
    per place it occurs (array items as `*` in the pointer)."""
    stack: list[tuple[Any, Any, tuple[str, ...]]] = [(value, schema, pointer)]
    while stack:
        item, node, here = stack.pop()
        names, parts = _known(spec, node)
        if isinstance(item, dict):
            if not names:
                continue
            for key, sub in item.items():
                if key not in names:
                    yield (*here, str(key)), sub
                    continue
                for part in parts:
                    if key in part.get("properties", {}):
                        stack.append((sub, part["properties"][key], (*here, str(key))))
                        break
        elif isinstance(item, list):
            items = next((p["items"] for p in parts if isinstance(p.get("items"), Mapping)), None)
            if items is not None:
                stack.extend((sub, items, (*here, STAR)) for sub in item)


def extra_entries(
    spec: Mapping[str, Any], value: Any, schema: Any, pointer: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(pointer, value) of the positional XML entries past the fields `schema` describes."""
    stack: list[tuple[Any, Any, tuple[str, ...]]] = [(value, schema, pointer)]
    resolved: dict[int, Any] = {}  # a schema is resolved once, not once per entry
    while stack:
        item, node, here = stack.pop()
        key = id(node)
        if key not in resolved:
            resolved[key] = refs.resolve(spec, node)
        node = resolved[key]
        if not isinstance(item, list) or not isinstance(node, Mapping):
            continue
        prefix = node.get("prefixItems", [])
        rest = node.get("items")
        for index, sub in enumerate(item):
            if index < len(prefix):
                stack.append((sub, prefix[index], (*here, str(index))))
            elif rest is False and "prefixItems" in node:
                yield (*here, str(index)), sub
            elif isinstance(rest, Mapping):
                stack.append((sub, rest, (*here, STAR)))


def without_extra_entries(spec: Mapping[str, Any], value: Any, schema: Any) -> Any:
    """`value` cut back to the positional entries `schema` describes."""
    schema = refs.resolve(spec, schema)
    if not isinstance(value, list) or not isinstance(schema, Mapping):
        return value
    prefix = schema.get("prefixItems", [])
    rest = schema.get("items")
    kept = []
    for index, item in enumerate(value):
        if index < len(prefix):
            kept.append(without_extra_entries(spec, item, prefix[index]))
        elif rest is False and "prefixItems" in schema:
            break
        elif isinstance(rest, Mapping):
            kept.append(without_extra_entries(spec, item, rest))
        else:
            kept.append(item)
    return kept


def only_trailing_entries(spec: Mapping[str, Any], exchange: Exchange, facts: Facts) -> bool:
    """True when an XML answer breaks its schema by trailing entries only (additive drift:
    the positional schemas say `items: false`, which schemathesis reports as a schema fault)."""
    decoded = exchange.decoded
    response = exchange.response
    if decoded is None or decoded[0] != XML or response is None:
        return False
    status = judged_status(spec, exchange, facts)
    schema = media_schema(spec, exchange.operation, status, response.media_type)
    if schema is None or "$ref" not in schema:
        return False
    body = decoded[1]
    if next(extra_entries(spec, body, schema), None) is None:
        return False
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(dict(spec), default_specification=DRAFT202012)
    )
    validator = Draft202012Validator({"$ref": _SPEC_URI + schema["$ref"]}, registry=registry)
    return bool(validator.is_valid(without_extra_entries(spec, body, schema)))


def as_named(spec: Mapping[str, Any], value: Any, schema: Any) -> Any:
    """A positional XML value as the JSON object its twin schema describes (field order)."""
    plans: dict[int, _Naming] = {}

    def named(value: Any, schema: Any) -> Any:
        plan = plans.get(id(schema))
        if plan is None:  # once per schema, not once per entry of a million-entry list
            plan = plans[id(schema)] = _Naming.of(spec, schema)
        if plan.fields and isinstance(value, list):
            return {
                name: named(item, field)
                for (name, field), item in zip(plan.fields, value, strict=False)
            }
        if plan.items is not None and isinstance(value, list):
            return [named(item, plan.items) for item in value]
        return value

    return named(value, schema)


@dataclass(frozen=True)
class _Naming:
    """What `as_named` needs of one schema: its fields in order, or its items' schema."""

    fields: tuple[tuple[str, Any], ...]
    items: Mapping[str, Any] | None

    @classmethod
    def of(cls, spec: Mapping[str, Any], schema: Any) -> _Naming:
        node = refs.resolve(spec, schema)
        if not isinstance(node, Mapping):
            return cls((), None)
        properties = node.get("properties", {})
        items = node.get("items")
        return cls(tuple(properties.items()), items if isinstance(items, Mapping) else None)


# ---- the checks ---------------------------------------------------------------------------------


def additive_drift(spec: Mapping[str, Any], exchange: Exchange) -> list[CheckFailure]:
    """Undocumented JSON fields and trailing XML entries, counted per place."""
    decoded = exchange.decoded
    response = exchange.response
    if decoded is None or response is None:
        return []
    facts = facts_of(spec)
    kind, body = decoded
    status = judged_status(spec, exchange, facts)
    schema = media_schema(spec, exchange.operation, status, response.media_type)
    if schema is None:
        schema = media_schema(spec, exchange.operation, status, MEDIA[kind])
    if schema is None:
        return []
    found: Counter[tuple[str, ...]] = Counter()
    types: dict[tuple[str, ...], str] = {}
    extra = undocumented_fields if kind == JSON else extra_entries
    for pointer, value in extra(spec, body, schema):
        found[pointer] += 1
        types.setdefault(pointer, json_type(value))
    what = "a field the spec does not describe" if kind == JSON else "an XML entry past the spec's"
    return [
        CheckFailure(
            check=ADDITIVE,
            title="Additive drift: undocumented field",
            message=f"{what}: /{'/'.join(pointer)}",
            pointer=pointer,
            keyword="additionalProperties" if kind == JSON else "items",
            observed=types[pointer],
            code=ADDITIVE_CODE,
            count=count,
        )
        for pointer, count in sorted(found.items())
    ]


def _counters(spec: Mapping[str, Any], schema: Any) -> list[tuple[str, str]]:
    """(integer field, counted array field) pairs of an object schema (`x-counts`)."""
    schema = refs.resolve(spec, schema)
    pairs = []
    for name, sub in (schema.get("properties", {}) if isinstance(schema, Mapping) else {}).items():
        counted = refs.resolve(spec, sub).get("x-counts") if isinstance(sub, Mapping) else None
        if isinstance(counted, str):
            pairs.append((str(name), counted))
    return pairs


def count_consistency(spec: Mapping[str, Any], exchange: Exchange) -> list[CheckFailure]:
    """An `x-counts` integer equals the number of entries of the array it counts."""
    decoded = exchange.decoded
    response = exchange.response
    facts = facts_of(spec)
    if decoded is None or response is None or not 200 <= response.status < 300:
        return []
    found = exchange.envelope(facts.envelope, lenient=False)
    if found is None or found[0] is not True:
        return []
    schema = media_schema(spec, exchange.operation, response.status, MEDIA[JSON])
    if schema is None:
        return []
    body = decoded[1]
    if decoded[0] == XML:
        body = as_named(spec, body, schema)
    if not isinstance(body, dict):
        return []
    failures = []
    names = list(refs.resolve(spec, schema).get("properties", {}))
    for field, counted in _counters(spec, schema):
        count, data = body.get(field), body.get(counted)
        countable = isinstance(count, int) and not isinstance(count, bool)
        if countable and isinstance(data, list) and count != len(data):
            where: tuple[str, ...] = (field,)
            if decoded[0] == XML and field in names:
                where = (str(names.index(field)),)
            failures.append(
                CheckFailure(
                    check=COUNT,
                    title=f"{field} disagrees with {counted}",
                    message=f"{field} is {count} but {counted} holds {len(data)} entries",
                    pointer=where,
                    keyword="x-counts",
                    expected=f"{field} = {len(data)} (the number of entries in {counted})",
                    observed=f"{field} = {count}",
                    code=COUNT_CODE,
                )
            )
    return failures


def expected_code(
    operation: Operation, key_name: str, query: Mapping[str, str]
) -> tuple[int, str] | None:
    """(documented code, the situation in words) of a request, when the docs document it."""
    chosen = operation.format_parameter
    if chosen is not None:
        value = query.get(chosen.name)
        if value is not None and value not in chosen.formats:
            return None  # what an unsupported format gets is a guess, not a documented code
    key = query.get(key_name)
    candidates = []
    if not key:
        candidates.append(operation.situation("credential-missing"))
    elif key == WRONG_KEY:
        candidates.append(operation.situation("credential-wrong"))
    else:
        for parameter in operation.parameters:
            if parameter.name not in query and parameter.required:
                candidates.append(operation.situation("parameter-missing", parameter.name))
            elif query.get(parameter.name) == UNKNOWN_VALUE:
                candidates.append(operation.situation("parameter-unknown", parameter.name))
    situation = next((s for s in candidates if s is not None), None)
    if situation is None:
        return None
    return situation.code, situation.describe(key_name)


def documented_error_codes(spec: Mapping[str, Any], exchange: Exchange) -> list[CheckFailure]:
    """Each documented situation gets its documented code (any HTTP status)."""
    facts = facts_of(spec)
    response = exchange.response
    operation = facts.operation(exchange.operation)
    if response is None or operation is None or exchange.interaction.request.method != "GET":
        return []
    query = dict(exchange.interaction.request.query)
    wanted = expected_code(operation, facts.key_name, query)
    if wanted is None:
        return []
    code, situation = wanted
    found = exchange.envelope(facts.envelope, lenient=False)
    if found is None:
        return []  # not decodable: the content-type and schema checks report it
    success, seen_code = found
    if success is True:
        seen = f"HTTP {response.status} with {facts.envelope.success}: true"
    elif seen_code != code:
        seen = f"{facts.envelope.code} {seen_code!r}"
    else:
        return []
    return [
        CheckFailure(
            check=CODES,
            title="Documented error code not answered",
            message=f"A request {situation} got {seen}; the docs give error code {code}",
            pointer=(facts.envelope.code,),
            keyword="x-documented-errors",
            expected=f"error code {code} ({situation})",
            observed=seen,
            code=CODES_CODE,
        )
    ]


OURS = {
    CODES: documented_error_codes,
    ADDITIVE: additive_drift,
    COUNT: count_consistency,
}


def run_ours(spec: Mapping[str, Any], exchange: Exchange) -> tuple[list[CheckFailure], list[str]]:
    """(failures, errors) of the kit's checks on one exchange."""
    failures: list[CheckFailure] = []
    errors: list[str] = []
    if exchange.response is None:
        return failures, errors
    for name, check in OURS.items():
        try:
            failures += check(spec, exchange)
        except RecursionError:
            errors.append(f"{name}: the answer is nested too deeply to check")
        except Exception as exc:  # a check that crashes on an answer is reported, not raised
            errors.append(f"{name}: {type(exc).__name__}")
    return failures, errors
