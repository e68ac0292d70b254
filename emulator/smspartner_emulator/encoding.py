"""Encode an answer as the API does: compact JSON, or JMS-serializer-style XML.

The XML form has no element names: `<result>` holds one `<entry>` per field in field order,
objects and lists nest `<entry>` elements, strings are CDATA and numbers and booleans bare.
Only the types the answers use are accepted (str, int, bool, list, dict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

Value = str | int | bool | Sequence["Value"] | Mapping[str, "Value"]
"""What an answer is made of (dicts keep the field order)."""

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_INDENT = "  "


def to_json(answer: Mapping[str, Value]) -> bytes:
    """Compact UTF-8 JSON, keys in the order given."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def cdata(text: str) -> str:
    """`text` in CDATA; a `]]>` inside is split across two sections so it survives."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _children(value: Value) -> list[Value] | None:
    """The nested values of a list or object, or None for a scalar."""
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, str):
        return None
    if isinstance(value, Sequence):
        return list(value)
    return None


def _scalar(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return cdata(value)
    raise TypeError(f"cannot encode {type(value).__name__} as XML")


def _entry(value: Value, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    children = _children(value)
    if children is None:
        lines.append(f"{pad}<entry>{_scalar(value)}</entry>")
    elif not children:
        lines.append(f"{pad}<entry/>")
    else:
        lines.append(f"{pad}<entry>")
        for child in children:
            _entry(child, depth + 1, lines)
        lines.append(f"{pad}</entry>")


def to_xml(answer: Mapping[str, Value]) -> bytes:
    """UTF-8 XML with the declaration, `<result>` root and 2-space indentation."""
    lines = [XML_DECLARATION, "<result>"]
    for value in answer.values():
        _entry(value, 1, lines)
    lines.append("</result>")
    return ("\n".join(lines) + "\n").encode("utf-8")
