"""Walking a decoded answer along the spec's schema: which schema node each value reaches.

JSON objects are walked by property, positional XML lists by position (`prefixItems`), arrays by
`items`, through `$ref`s and alternatives (`anyOf`, `oneOf`, `allOf`). The walk is a loop over an
explicit stack (no recursion), bounded in depth, and linear in the size of the value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from smspartner_contract import refs

MAX_DEPTH = 48
"""Schema levels followed at most (the spec nests about 10, `$ref`s included)."""


def reach(
    spec: Mapping[str, Any], value: Any, schema: Any
) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    """(value, schema node) for every node `value` reaches."""
    stack: list[tuple[Any, Any, int]] = [(value, schema, 0)]
    while stack:
        item, node, depth = stack.pop()
        if depth > MAX_DEPTH or not isinstance(node, Mapping):
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
