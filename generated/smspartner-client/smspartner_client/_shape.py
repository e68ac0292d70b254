"""Types that do not lie: the JSON types of an answer, checked before it becomes a model.

The generated models copy JSON values into typed attributes without looking at them, so an
answer with `"id": "19"` would give a `StopEntry` whose `id: int` holds a string. Before a model
is built, `first_problem` walks the answer along `SHAPES` (the JSON types, required fields and
`const` values of the spec's schemas, derived by `make generate`) and names the first field that
is missing or of another JSON type.

Strict: JSON types (`integer` is neither a boolean nor `1.0`; NaN and Infinity are no numbers),
required fields, `const` values that the docs state. Lenient on purpose: unknown fields (kept in
`additional_properties`), and everything the spec marks as a guess or that is not a type:
patterns, formats, ranges and enums (a national phone number, an epoch date string or a new
status text the docs do not list reaches the model as the string it is).

Two ways to the same verdict. `conforms` answers yes or no, fast: each schema is compiled once
into a checker, and an array of flat objects (every field a scalar, all required, such as the
STOP list's entries) is checked column by column in C (`set(map(type, ...))`), with no Python
code per entry; it also guarantees the nesting limit, since it looks into every value the
schema does not type (unknown fields, untyped properties). Walking a million entries field by
field in Python took 12 s; the columns take a fraction of the time `json.loads` takes. Only when
`conforms` says no does `first_problem` walk the answer to name the first field that is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ._body import MAX_JSON_DEPTH, too_deep
from ._shapes import SHAPES

_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}


def json_type(value: Any) -> str:
    """The JSON type of a parsed value (`NaN`/`Infinity` for the non-JSON floats)."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity"
    return _NAMES.get(type(value), type(value).__name__)


def _is(value: Any, kind: str) -> bool:
    if kind == "number":
        return json_type(value) in ("integer", "number")
    return json_type(value) == kind


@dataclass(frozen=True)
class Problem:
    """The first field of an answer that does not have its documented type."""

    field: str
    """Where: `data[0].phoneNumber` (JSON names and indexes; "" for the whole answer)."""
    expected: str
    """What the spec says: `string`, `integer`, `true`, `object or null`..."""
    got: str
    """What came: a JSON type, `nothing` (missing) or `another integer` (never the value)."""

    def __str__(self) -> str:
        where = f"`{self.field}`" if self.field else "the answer"
        return f"{where}: expected {self.expected}, got {self.got}"


def _literal(value: Any) -> str:
    """A JSON literal as the spec writes it: `true`, `null`, `200`."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return repr(value)


def _expected(shape: dict[str, Any]) -> str:
    if "$ref" in shape:
        return _expected(SHAPES[shape["$ref"]])
    if "const" in shape:
        return _literal(shape["const"])
    if "anyOf" in shape:
        return " or ".join(dict.fromkeys(_expected(option) for option in shape["anyOf"]))
    kind = shape.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    return str(kind) if kind else "any value"


def _other(value: Any, const: Any) -> str:
    """What came instead of `const`: its JSON type, or the value for a boolean or null only
    (other values may be personal data or a secret the server echoed)."""
    if json_type(value) != json_type(const):
        return json_type(value)
    if value is None or isinstance(value, bool):
        return _literal(value)
    return f"another {json_type(value)}"


def _check(value: Any, shape: dict[str, Any], path: str) -> Problem | None:
    if "$ref" in shape:
        return _check(value, SHAPES[shape["$ref"]], path)
    if "anyOf" in shape:
        if any(_check(value, option, path) is None for option in shape["anyOf"]):
            return None
        return Problem(path, _expected(shape), json_type(value))
    kinds = shape.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is(value, kind) for kind in allowed):
            return Problem(path, _expected({"type": kinds}), json_type(value))
    if "const" in shape:
        const = shape["const"]
        if json_type(value) != json_type(const) or value != const:
            return Problem(path, _expected(shape), _other(value, const))
    if isinstance(value, dict):
        properties: dict[str, Any] = shape.get("properties", {})
        required = shape.get("required", [])
        for name in dict.fromkeys([*properties, *required]):  # in the spec's order
            subshape = properties.get(name, {})
            if name not in value:
                if name in required:
                    return Problem(_join(path, name), _expected(subshape), "nothing")
                continue
            problem = _check(value[name], subshape, _join(path, name))
            if problem is not None:
                return problem
    if isinstance(value, list) and "items" in shape:
        for index, item in enumerate(value):
            problem = _check(item, shape["items"], f"{path}[{index}]")
            if problem is not None:
                return problem
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def first_problem(data: Any, schema: str) -> Problem | None:
    """The first field of `data` (parsed JSON) that the spec's `schema` types otherwise."""
    return _check(data, {"$ref": schema}, "")


# ---- the fast verdict -------------------------------------------------------------------------

Columns = dict[int, tuple[dict[str, list[Any]], bool]]
"""What `conforms` leaves for the model builder (`_models.build`), by `id()` of each array of
flat entries it checked: the entries' values by field (the columns it took out to check
them), and whether no entry has more fields than the schema's."""
Checker = Callable[[Any, int, "Columns | None"], bool]
"""`checker(value, depth, columns)`: whether `value`, found `depth` levels deep (1: the answer
itself), has its JSON types and nests no deeper than `MAX_JSON_DEPTH`; the columns of its
arrays of flat entries go to `columns` (unless None)."""

_PYTHON_TYPES: dict[str, frozenset[type]] = {
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "string": frozenset({str}),
    "boolean": frozenset({bool}),
    "null": frozenset({type(None)}),
    "array": frozenset({list}),
    "object": frozenset({dict}),
}
_SCALARS = frozenset({"integer", "number", "string", "boolean", "null"})
_MISSING = object()
_CHECKERS: dict[str, Checker] = {}


def _resolved(shape: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in shape and seen < 64:
        shape = SHAPES[shape["$ref"]]
        seen += 1
    return shape


def _allowed(shape: dict[str, Any]) -> frozenset[type] | None:
    kinds = shape.get("type")
    if kinds is None:
        return None
    names = kinds if isinstance(kinds, list) else [kinds]
    return frozenset().union(*(_PYTHON_TYPES.get(name, frozenset()) for name in names))


def _finite(values: Any) -> bool:
    return all(map(math.isfinite, (value for value in values if type(value) is float)))


def flat_fields(shape: dict[str, Any]) -> tuple[tuple[str, frozenset[type]], ...] | None:
    """(field, Python types) of an object schema whose fields are all required scalars of one
    declared type (no `const`, no `anyOf`), in the spec's order; None for any other schema."""
    shape = _resolved(shape)
    properties: dict[str, Any] = shape.get("properties", {})
    if shape.get("type") != "object" or set(shape.get("required", [])) != set(properties):
        return None
    fields = []
    for name, sub in properties.items():
        sub = _resolved(sub)
        kinds = sub.get("type")
        names = kinds if isinstance(kinds, list) else [kinds]
        if not names or not set(names) <= _SCALARS or {"const", "anyOf"} & sub.keys():
            return None
        allowed = _allowed(sub)
        if allowed is None:
            return None
        fields.append((name, allowed))
    return tuple(fields)


def _flat_list(fields: tuple[tuple[str, frozenset[type]], ...], each: Checker) -> Checker:
    """An array of flat objects, column by column; entries with more fields than the schema's
    are checked one by one (their unknown fields may nest)."""
    width = len(fields)

    def check(value: list[Any], depth: int, sink: Columns | None) -> bool:
        if not value:
            return True
        if depth + 1 > MAX_JSON_DEPTH or set(map(type, value)) != {dict}:
            return False
        columns: dict[str, list[Any]] = {}
        try:
            for name, allowed in fields:
                column = columns[name] = list(map(itemgetter(name), value))
                kinds = set(map(type, column))
                if not kinds <= allowed or (float in kinds and not _finite(column)):
                    return False
        except KeyError:
            return False
        uniform = set(map(len, value)) == {width}
        if not uniform and not all(each(item, depth + 1, None) for item in value if len(item) != width):
            return False
        if sink is not None:
            sink[id(value)] = (columns, uniform)
        return True

    return check


def _compile(shape: dict[str, Any]) -> Checker:
    if "$ref" in shape:
        name = shape["$ref"]
        return lambda value, depth, sink: checker(name)(value, depth, sink)
    if "anyOf" in shape:
        options = [_compile(option) for option in shape["anyOf"]]
        return lambda value, depth, sink: any(option(value, depth, None) for option in options)
    allowed = _allowed(shape)
    const = shape.get("const", _MISSING)
    properties = {name: _compile(sub) for name, sub in shape.get("properties", {}).items()}
    required = tuple(shape.get("required", ()))
    items_shape = shape.get("items")
    entries: Checker
    if isinstance(items_shape, dict):
        each = _compile(items_shape)
        fields = flat_fields(items_shape)
        if fields is not None:
            entries = _flat_list(fields, each)
        else:

            def entries(value: list[Any], depth: int, sink: Columns | None) -> bool:
                return all(each(item, depth + 1, sink) for item in value)

    else:

        def entries(value: list[Any], depth: int, sink: Columns | None) -> bool:
            return not too_deep(value, MAX_JSON_DEPTH - depth + 1)

    def check(value: Any, depth: int, sink: Columns | None) -> bool:
        kind = type(value)
        if allowed is not None:
            if kind not in allowed:
                return False
            if kind is float and not math.isfinite(value):
                return False
        if const is not _MISSING and (json_type(value) != json_type(const) or value != const):
            return False
        if kind is dict:
            if depth > MAX_JSON_DEPTH:
                return False
            for name in required:
                if name not in value:
                    return False
            for name, sub in properties.items():
                if name in value and not sub(value[name], depth + 1, sink):
                    return False
            if value.keys() - properties.keys():
                extra = [item for key, item in value.items() if key not in properties]
                return not too_deep(extra, MAX_JSON_DEPTH - depth + 1)
            return True
        if kind is list:
            return depth <= MAX_JSON_DEPTH and entries(value, depth, sink)
        return True

    return check


def checker(schema: str) -> Checker:
    """The compiled checker of the spec's schema `schema` (built on first use)."""
    found = _CHECKERS.get(schema)
    if found is None:
        found = _CHECKERS[schema] = _compile(SHAPES[schema])
    return found


_PARTIAL: dict[str, Checker] = {}
_ENTRIES: dict[str, Checker] = {}


def fields_conform(fields: dict[str, Any], schema: str) -> bool:
    """Whether the fields present in `fields` (the start of an answer read as a stream) have
    the JSON types the object schema `schema` gives them; required fields are not asked for."""
    found = _PARTIAL.get(schema)
    if found is None:
        found = _PARTIAL[schema] = _compile({**_resolved(SHAPES[schema]), "required": []})
    return found(fields, 1, None)


def entries_conform(entries: list[Any], schema: str, depth: int, columns: Columns | None = None) -> bool:
    """Whether every item of `entries`, an array found `depth` levels deep, conforms to the
    schema `schema` (column by column for flat entries, see `conforms`)."""
    found = _ENTRIES.get(schema)
    if found is None:
        found = _ENTRIES[schema] = _compile({"type": "array", "items": {"$ref": schema}})
    return found(entries, depth, columns)


def conforms(data: Any, schema: str, depth: int = 1, columns: Columns | None = None) -> bool:
    """Whether `data` (parsed JSON, found `depth` levels deep) has the JSON types of the spec's
    `schema` and nests no deeper than `MAX_JSON_DEPTH`. No means: look with `first_problem`
    and `too_deep` for what is wrong (or, rarely, nothing: `conforms` is strict where
    `first_problem` is not, e.g. an optional field of a flat entry left out). The columns of
    the arrays of flat entries it checked go to `columns`, for `_models.build`."""
    return checker(schema)(data, depth, columns)


__all__ = [
    "Checker",
    "Columns",
    "Problem",
    "checker",
    "conforms",
    "entries_conform",
    "fields_conform",
    "first_problem",
    "flat_fields",
    "json_type",
]
