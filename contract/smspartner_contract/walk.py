"""Walking a decoded answer along the spec's schema: which schema node each value reaches.

JSON objects are walked by property, positional XML lists by position (`prefixItems`), arrays by
`items`, through `$ref`s and alternatives (`anyOf`, `oneOf`, `allOf`). The walk is a loop over an
explicit stack (no recursion), bounded in depth, and linear in the size of the value; `enter`
lets a caller skip a schema subtree it has nothing to look for in (`under` says what a subtree
holds), so that a 100,000-entry STOP list costs one visit per entry, not one per node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from smspartner_contract import refs

MAX_DEPTH = 48
"""Schema levels followed at most (the spec nests about 10, `$ref`s included)."""
_UNDER: dict[tuple[int, int, str], tuple[Any, frozenset[str]]] = {}
Pick = Callable[[Mapping[str, Any]], str | None]
"""What to look for on a schema node: a name for what was found there, or None."""


def _children(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Iterator[Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        with contextlib.suppress(refs.RefError):
            yield refs.at(spec, ref)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        yield from node.get(key, [])
    yield from node.get("properties", {}).values()
    if isinstance(node.get("items"), Mapping):
        yield node["items"]


def under(
    spec: Mapping[str, Any], node: Any, pick: Callable[[Mapping[str, Any]], str | None]
) -> frozenset[str]:
    """What `pick` finds on `node` and every schema below it (through `$ref`s), remembered
    per spec, node and `pick`."""
    if not isinstance(node, Mapping):
        return frozenset()
    key = (id(spec), id(node), getattr(pick, "__qualname__", repr(pick)))
    known = _UNDER.get(key)
    if known is not None and known[0] is node:
        return known[1]
    found: set[str] = set()
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, Mapping) or id(current) in seen:
            continue
        seen.add(id(current))
        picked = pick(current)
        if picked is not None:
            found.add(picked)
        stack.extend(_children(spec, current))
    if len(_UNDER) > 4096:
        _UNDER.clear()
    result = frozenset(found)
    _UNDER[key] = (node, result)
    return result


def reach(
    spec: Mapping[str, Any],
    value: Any,
    schema: Any,
    enter: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    """(value, schema node) for every node `value` reaches (and `enter` lets in)."""
    stack: list[tuple[Any, Any, int]] = [(value, schema, 0)]
    while stack:
        item, node, depth = stack.pop()
        if depth > MAX_DEPTH or not isinstance(node, Mapping):
            continue
        if enter is not None and not enter(node):
            continue
        yield item, node
        ref = node.get("$ref")
        if isinstance(ref, str):
            with contextlib.suppress(refs.RefError):
                stack.append((item, refs.at(spec, ref), depth + 1))
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend((item, member, depth + 1) for member in node.get(key, []))
        if isinstance(item, dict):
            for name, sub in node.get("properties", {}).items():
                if name in item:
                    stack.append((item[name], sub, depth + 1))
        elif isinstance(item, list):
            prefix = node.get("prefixItems", [])
            rest = node.get("items")
            for index, element in enumerate(item):
                if index < len(prefix):
                    stack.append((element, prefix[index], depth + 1))
                elif isinstance(rest, Mapping):
                    stack.append((element, rest, depth + 1))


Step = str | int
STAR = "*"
_PATHS: dict[tuple[int, int, str], tuple[Any, tuple[tuple[tuple[Step, ...], str], ...]]] = {}


def paths_to(
    spec: Mapping[str, Any], schema: Any, pick: Pick
) -> tuple[tuple[tuple[Step, ...], str], ...]:
    """(path, what `pick` found) for every schema node below `schema` that `pick` finds
    something on: object fields by name, positional XML entries by index, array items as `*`.
    Remembered per spec, schema and `pick`: the walk is over the schema, never the answer."""
    if not isinstance(schema, Mapping):
        return ()
    key = (id(spec), id(schema), getattr(pick, "__qualname__", repr(pick)))
    known = _PATHS.get(key)
    if known is not None and known[0] is schema:
        return known[1]
    found: dict[tuple[Step, ...], str] = {}
    stack: list[tuple[Any, tuple[Step, ...], int]] = [(schema, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if not isinstance(node, Mapping) or depth > MAX_DEPTH:
            continue
        picked = pick(node)
        if picked is not None:
            found.setdefault(path, picked)
        ref = node.get("$ref")
        if isinstance(ref, str):
            with contextlib.suppress(refs.RefError):
                stack.append((refs.at(spec, ref), path, depth + 1))
        for key_word in ("anyOf", "oneOf", "allOf"):
            stack.extend((member, path, depth + 1) for member in node.get(key_word, []))
        for name, sub in node.get("properties", {}).items():
            stack.append((sub, (*path, str(name)), depth + 1))
        for index, sub in enumerate(node.get("prefixItems", [])):
            stack.append((sub, (*path, index), depth + 1))
        if isinstance(node.get("items"), Mapping):
            stack.append((node["items"], (*path, STAR), depth + 1))
    if len(_PATHS) > 4096:
        _PATHS.clear()
    result = tuple(found.items())
    _PATHS[key] = (schema, result)
    return result


def values_at(value: Any, path: tuple[Step, ...]) -> Iterator[Any]:
    """The values of a decoded answer at a path of `paths_to` (`*`: every item)."""
    current = [value]
    for step in path:
        following: list[Any] = []
        for item in current:
            if step == STAR:
                if isinstance(item, list):
                    following.extend(item)
            elif isinstance(step, int):
                if isinstance(item, list) and step < len(item):
                    following.append(item[step])
            elif isinstance(item, dict) and step in item:
                following.append(item[step])
        current = following
    yield from current
