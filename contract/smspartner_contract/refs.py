"""Local `$ref`s of the spec: the one resolver of the kit (ledger, checks, generator, gate).

A reference is a JSON pointer into the same document (`#/components/schemas/StopEntry`).
Following one can loop (`A` -> `B` -> `A`, or a schema that references itself): every
resolution keeps the pointers it has followed and stops with `RefError`, a one-line message
naming the loop, instead of running for ever. A pointer to nothing is a `RefError` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_HOPS = 64
"""References followed in a row at most (a longer chain is refused like a loop)."""


class RefError(ValueError):
    """A `$ref` that cannot be followed (a loop, a missing target); the message is one line."""


def unescape(part: str) -> str:
    """A JSON-pointer part as a key (`~1` is `/`, `~0` is `~`)."""
    return part.replace("~1", "/").replace("~0", "~")


def escape(key: str) -> str:
    """A key as a JSON-pointer part (`~` and `/` escaped)."""
    return key.replace("~", "~0").replace("/", "~1")


_FOUND: dict[int, tuple[Any, dict[str, Any]]] = {}
"""Nodes found per document (the document is kept, so its id is not reused): a walk over a
100,000-entry answer follows the same few references a million times."""


def forget(document: Any) -> None:
    """Drop what `at` remembers of `document` (after it was changed in place)."""
    _FOUND.pop(id(document), None)


def at(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (`/components/schemas/Error` or `#/components/...`)."""
    entry = _FOUND.get(id(document))
    if entry is None or entry[0] is not document:
        if len(_FOUND) > 64:
            _FOUND.clear()
        entry = (document, {})
        _FOUND[id(document)] = entry
    found = entry[1]
    if pointer in found:
        return found[pointer]
    node = _at(document, pointer)
    found[pointer] = node
    return node


def _at(document: Any, pointer: str) -> Any:
    node: Any = document
    for part in pointer.removeprefix("#").strip("/").split("/"):
        if part == "":
            continue
        try:
            node = node[unescape(part)] if isinstance(node, Mapping) else node[int(part)]
        except (KeyError, IndexError, ValueError, TypeError):
            raise RefError(f"$ref {pointer!r}: no such node") from None
    return node


def resolve(document: Any, node: Any) -> Any:
    """`node`, or what its chain of local `$ref`s ends at; RefError on a loop or a dead end."""
    seen: list[str] = []
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = str(node["$ref"])
        if not ref.startswith("#"):
            raise RefError(f"$ref {ref!r}: only local references (#/...) are supported")
        if ref in seen or len(seen) >= MAX_HOPS:
            raise RefError(f"$ref loop: {' -> '.join([*seen, ref])}")
        seen.append(ref)
        node = at(document, ref)
    return node


def target_name(ref: str) -> str:
    """The last part of a reference: `StopEntry` for `#/components/schemas/StopEntry`."""
    return unescape(ref.rsplit("/", 1)[-1])
