"""Decode the API's positional XML (`<result>`/`<entry>`) into plain Python values.

The API serialises an object as `<result>` holding one keyless `<entry>` per field, in
field order; nested objects and lists nest `<entry>` elements. Strings are CDATA sections,
numbers and booleans bare text. The decoder keeps that distinction (expat reports CDATA
sections), so `<![CDATA[10]]>` stays the string "10" while a bare `10` becomes the integer
10: exactly the values the spec's `prefixItems` schemas describe. Anything outside that
shape is an error, so that a drifting XML answer fails a contract run instead of passing
as something vague.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias
from xml.parsers import expat

Positional: TypeAlias = "bool | int | float | str | list[Positional]"

ROOT_TAG = "result"
ENTRY_TAG = "entry"
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?")
MAX_NUMBER_DIGITS = 400
"""Longest bare number read (Python refuses integers of more than 4,300 digits anyway)."""


class PositionalXmlError(ValueError):
    """The body is not well-formed XML, or not in the positional `<result>` encoding."""


class _ShapeError(Exception):
    """Raised inside a node; `decode` adds the parser position."""


@dataclass
class _Node:
    """An `<entry>` (or `<result>`) being parsed."""

    children: list[Positional] = field(default_factory=list)
    bare: list[str] = field(default_factory=list)
    cdata: list[str] | None = None
    has_element_children: bool = False
    has_text: bool = False
    """Some text other than blanks came (kept as a flag: joining every blank run between a
    100,000 children to look for one would cost the square of the list)."""

    def bare_text(self) -> str:
        return "".join(self.bare).strip()

    def value(self) -> Positional:
        if self.has_element_children:
            return self.children
        if self.cdata is not None:
            if self.bare_text():
                raise _ShapeError("text outside the CDATA section of a string <entry>")
            return "".join(self.cdata)
        bare = self.bare_text()
        if bare == "":
            return []
        if bare in ("true", "false"):
            return bare == "true"
        if len(bare) > MAX_NUMBER_DIGITS:
            raise _ShapeError(f"a number of {len(bare)} characters (more than {MAX_NUMBER_DIGITS})")
        if _INTEGER.fullmatch(bare):
            return int(bare)
        if _DECIMAL.fullmatch(bare):
            return float(bare)
        raise _ShapeError(
            f"bare text {bare[:40]!r} is neither a number nor a boolean (strings are CDATA)"
        )


def decode(body: bytes | str) -> Positional:
    """Return the positional value of a `<result>` document.

    Raises PositionalXmlError, naming the line and column, on anything else.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True  # one call per run of text, not one per line or buffer
    stack: list[_Node] = []
    result: list[Positional] = []
    in_cdata = False

    def fail(message: str) -> PositionalXmlError:
        return PositionalXmlError(
            f"line {parser.CurrentLineNumber}, column {parser.CurrentColumnNumber}: {message}"
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        expected = ROOT_TAG if not stack else ENTRY_TAG
        if not stack and result:
            raise fail("more than one root element")
        if tag != expected:
            raise fail(f"expected <{expected}>, found <{tag}>")
        if attrs:
            raise fail(f"unexpected attributes on <{tag}>: {sorted(attrs)}")
        if stack:
            parent = stack[-1]
            if parent.cdata is not None or parent.has_text:
                raise fail("an <entry> mixes text and child elements")
            parent.has_element_children = True
        stack.append(_Node())

    def end(tag: str) -> None:
        node = stack.pop()
        try:
            value = node.value()
        except _ShapeError as error:
            raise fail(str(error)) from None
        if stack:
            stack[-1].children.append(value)
        else:
            result.append(value)

    def text(data: str) -> None:
        if not stack:
            return
        node = stack[-1]
        if in_cdata and node.cdata is not None:
            node.cdata.append(data)
            return
        blank = not data.strip()
        if node.has_element_children:
            if not blank:
                raise fail("an <entry> mixes text and child elements")
            return  # blanks between children carry nothing
        node.has_text = node.has_text or not blank
        node.bare.append(data)

    def start_cdata() -> None:
        nonlocal in_cdata
        node = stack[-1]
        if node.has_element_children:
            raise fail("an <entry> mixes a CDATA section and child elements")
        if node.cdata is None:
            node.cdata = []
        in_cdata = True

    def end_cdata() -> None:
        nonlocal in_cdata
        in_cdata = False

    def doctype(*_: object) -> None:
        raise fail("a DOCTYPE is not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartCdataSectionHandler = start_cdata
    parser.EndCdataSectionHandler = end_cdata
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(body.encode() if isinstance(body, str) else body, True)
    except expat.ExpatError as error:
        raise PositionalXmlError(f"not well-formed XML: {error}") from None
    if not result:
        raise PositionalXmlError("empty document: no <result> element")
    return result[0]
