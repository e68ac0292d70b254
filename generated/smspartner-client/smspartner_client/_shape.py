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
rental status text reaches the model as the string it is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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


__all__ = ["Problem", "first_problem", "json_type"]
