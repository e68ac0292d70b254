"""Encode an answer as the API does: compact JSON, or JMS-serializer-style XML.

The XML form has no element names: `<result>` holds one `<entry>` per field in field order,
objects and lists nest `<entry>` elements, strings are CDATA and numbers and booleans bare.
Only the types the answers use are accepted (str, int, bool, sequences, mappings).

Big lists (a stop list of a million entries) are encoded CHUNK items at a time, and an answer
is a list of parts of about PART_BYTES (`json_parts`, `xml_parts`; `to_json` and `to_xml` join
them): memory beyond the result stays small, a list may be any sequence computed on demand
(`Fixtures.stop_list` of `--stop-list-size`), and no single call holds the interpreter for
long (joining or copying 150 MB at once takes a quarter of a second), so an answer set built
in a worker thread does not stall the event loop serving other clients. The parts are sent as
they are, one ASGI message each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import cast, overload

Value = str | int | bool | Sequence["Value"] | Mapping[str, "Value"]
"""What an answer is made of (dicts keep the field order)."""

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
CHUNK = 1000
"""Items of a top-level list encoded in one go (by `FastItems`: Python code, which lets other
threads run every few milliseconds)."""
PLAIN_CHUNK = 200
"""Items of other lists given to the C JSON encoder at once (it holds the interpreter)."""
PART_BYTES = 256 * 1024
"""Size an encoded answer's parts reach before a new one starts."""
_INDENT = "  "
_PADS = [_INDENT * depth for depth in range(64)]
json_string: Callable[[str], str] = json.encoder.encode_basestring
"""A string as JSON text, non-ASCII kept (as `ensure_ascii=False` writes it)."""
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda v: _listed(v))


class FastItems(Sequence[Value]):
    """A list that encodes its own items, faster than item by item (the stop list's entries).

    `json_items` gives items `start:stop` as JSON separated by commas (no brackets),
    `xml_items` the same items as XML `<entry>` lines at `depth`, each line ending in `\\n`.
    """

    def json_items(self, start: int, stop: int) -> str:
        raise NotImplementedError

    def xml_items(self, start: int, stop: int, depth: int) -> str:
        raise NotImplementedError


def pad(depth: int) -> str:
    """The indentation of an XML line at `depth`."""
    return _PADS[depth] if depth < len(_PADS) else _INDENT * depth


def _listed(value: object) -> list[Value]:
    """A sequence that is not a list or tuple (computed on demand), for the JSON encoder."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)  # type: ignore[return-value]
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _chunks(items: Sequence[Value]) -> Iterator[list[Value]]:
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        yield chunk if isinstance(chunk, list) else list(chunk)


class _Parts:
    """Text gathered into UTF-8 parts of about PART_BYTES."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pending: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.pending.append(text)
        self.size += len(text)
        if self.size >= PART_BYTES:
            self.cut()

    def cut(self) -> None:
        if self.pending:
            self.parts.append("".join(self.pending).encode("utf-8"))
            self.pending = []
            self.size = 0

    def done(self) -> list[bytes]:
        self.cut()
        return self.parts


def _json_list(items: Sequence[Value], out: _Parts) -> None:
    if len(items) <= PLAIN_CHUNK and isinstance(items, list | tuple):
        out.add(_JSON.encode(items))
        return
    out.add("[")
    size = len(items)
    step = CHUNK if isinstance(items, FastItems) else PLAIN_CHUNK
    for at in range(0, size, step):
        if isinstance(items, FastItems):
            text = items.json_items(at, min(at + step, size))
        else:
            chunk = items[at : at + step]
            text = _JSON.encode(chunk if isinstance(chunk, list) else list(chunk))[1:-1]
        out.add("," + text if at else text)
    out.add("]")


def json_parts(answer: Mapping[str, Value]) -> list[bytes]:
    """Compact UTF-8 JSON, keys in the order given, in parts."""
    out = _Parts()
    out.add("{")
    for number, (key, value) in enumerate(answer.items()):
        out.add(("," if number else "") + _JSON.encode(str(key)) + ":")
        if _is_list(value):
            _json_list(value, out)  # type: ignore[arg-type]
        else:
            out.add(_JSON.encode(value))
    out.add("}")
    return out.done()


def to_json(answer: Mapping[str, Value]) -> bytes:
    """Compact UTF-8 JSON, keys in the order given."""
    return b"".join(json_parts(answer))


def cdata(text: str) -> str:
    """`text` in CDATA; a `]]>` inside is split across two sections so it survives."""
    if "]]>" in text:
        text = text.replace("]]>", "]]]]><![CDATA[>")
    return "<![CDATA[" + text + "]]>"


def _scalar(value: Value) -> str | None:
    """The XML text of a scalar, or None for a list or mapping."""
    kind = type(value)
    if kind is str:
        return cdata(value)  # type: ignore[arg-type]
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, str):
        return cdata(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Mapping | Sequence):
        return None
    raise TypeError(f"cannot encode {type(value).__name__} as XML")


def _entry(value: Value, depth: int, lines: list[str]) -> None:
    here = pad(depth)
    text = _scalar(value)
    if text is not None:
        lines.append(f"{here}<entry>{text}</entry>")
        return
    children: Collection[Value] = (
        value.values() if isinstance(value, Mapping) else cast(Sequence[Value], value)
    )
    if not children:
        lines.append(f"{here}<entry/>")
        return
    lines.append(f"{here}<entry>")
    inner = pad(depth + 1)
    for child in children:
        text = _scalar(child)
        if text is None:
            _entry(child, depth + 1, lines)
        else:
            lines.append(f"{inner}<entry>{text}</entry>")
    lines.append(f"{here}</entry>")


def _xml_list(items: Sequence[Value], out: _Parts) -> None:
    """A top-level list, CHUNK items at a time."""
    if not items:
        out.add(f"{_INDENT}<entry/>\n")
        return
    out.add(f"{_INDENT}<entry>\n")
    if isinstance(items, FastItems):
        size = len(items)
        for at in range(0, size, CHUNK):
            out.add(items.xml_items(at, min(at + CHUNK, size), 2))
    else:
        for chunk in _chunks(items):
            lines: list[str] = []
            for item in chunk:
                _entry(item, 2, lines)
            out.add("\n".join(lines) + "\n")
    out.add(f"{_INDENT}</entry>\n")


def xml_parts(answer: Mapping[str, Value]) -> list[bytes]:
    """UTF-8 XML with the declaration, `<result>` root and 2-space indentation, in parts."""
    out = _Parts()
    out.add(f"{XML_DECLARATION}\n<result>\n")
    for value in answer.values():
        if isinstance(value, FastItems) or (_is_list(value) and len(value) > CHUNK):  # type: ignore[arg-type]
            _xml_list(value, out)  # type: ignore[arg-type]
            continue
        lines: list[str] = []
        _entry(value, 1, lines)
        out.add("\n".join(lines) + "\n")
    out.add("</result>\n")
    return out.done()


def to_xml(answer: Mapping[str, Value]) -> bytes:
    """UTF-8 XML with the declaration, `<result>` root and 2-space indentation."""
    return b"".join(xml_parts(answer))


class Mapped(Sequence[Value]):
    """`items` with `change` applied to each mapping among them, computed on demand.

    How a drift changes every entry of a big list without copying it: the encoder asks for
    CHUNK items at a time.
    """

    def __init__(self, items: Sequence[Value], change: Callable[[dict[str, Value]], Value]) -> None:
        self.items = items
        self.change = change

    def __len__(self) -> int:
        return len(self.items)

    def _one(self, item: Value) -> Value:
        return self.change(dict(item)) if isinstance(item, Mapping) else item

    @overload
    def __getitem__(self, index: int) -> Value: ...

    @overload
    def __getitem__(self, index: slice) -> list[Value]: ...

    def __getitem__(self, index: int | slice) -> Value | list[Value]:
        if isinstance(index, slice):
            return [self._one(item) for item in self.items[index]]
        return self._one(self.items[index])

    def __iter__(self) -> Iterator[Value]:
        return map(self._one, self.items)
