"""Where in an answer: a place written as the spec's own path, the same for every entry.

A failure is seen at a concrete place (`/data/41/source` in JSON, `/3/41/1` in positional
XML); a finding is about a place of the spec: `/data/*/source`, the same whether the STOP list
has 40 entries or 100,000. XML positions are named by the field their position stands for in
the JSON twin of the schema (`/3/0/1` of the stop list is `/data/*/phoneNumber`); an entry past
the documented positions is `+N` (`/data/*/+3`: a fourth entry in each STOP entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smspartner_contract import refs

STAR = "*"


def _resolved(spec: Mapping[str, Any], node: Any) -> Any:
    try:
        return refs.resolve(spec, node)
    except refs.RefError:
        return None


def _step(spec: Mapping[str, Any], node: Any, part: str | int) -> tuple[str, Any]:
    """The name of one step from `node` and the schema it leads to (None: off the spec)."""
    node = _resolved(spec, node)
    if not isinstance(node, Mapping):
        return (STAR if str(part).isdigit() else str(part)), None
    properties = node.get("properties", {})
    if isinstance(part, str) and not part.isdigit() and part != STAR:
        return part, properties.get(part)
    if str(part) == STAR or str(part).isdigit():
        items = node.get("items")
        prefix = node.get("prefixItems")
        if isinstance(prefix, list) and str(part).isdigit():
            index = int(part)
            if index < len(prefix):
                return str(index), prefix[index]
            return f"+{index}", None
        if isinstance(items, Mapping):
            return STAR, items
        if str(part).isdigit() and properties:
            return f"+{part}", None
        return STAR, None
    return str(part), None


def spec_path(spec: Mapping[str, Any], schema: Any, pointer: Iterable[str | int]) -> list[str]:
    """The steps of `pointer` as the spec names them (positions kept for XML, see `named`)."""
    names: list[str] = []
    node = schema
    for part in pointer:
        name, node = _step(spec, node, part)
        names.append(name)
    return names


def named(
    spec: Mapping[str, Any], xml_schema: Any, json_schema: Any, steps: list[str]
) -> list[str]:
    """Positional steps (`3`, `*`, `1`) renamed after the JSON twin's fields (`data`, `*`,
    `phoneNumber`); a position past the twin's fields stays `+N`."""
    out: list[str] = []
    node = json_schema
    for step in steps:
        resolved = _resolved(spec, node)
        fields = list(resolved.get("properties", {})) if isinstance(resolved, Mapping) else []
        if step.isdigit() and int(step) < len(fields):
            out.append(fields[int(step)])
            node = resolved["properties"][fields[int(step)]]
        elif step == STAR and isinstance(resolved, Mapping):
            out.append(STAR)
            node = resolved.get("items")
        else:
            out.append(step if not step.isdigit() else f"+{step}")
            node = None
    return out


def as_text(steps: Iterable[str]) -> str:
    """`/data/*/source`, or `(whole answer)` for no step."""
    parts = list(steps)
    return "/" + "/".join(parts) if parts else "(whole answer)"
