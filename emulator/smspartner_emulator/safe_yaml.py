"""Read YAML as plain data, fast and bounded: the one YAML reader of the emulator's inputs.

`load_yaml(text, source)` parses with PyYAML's C parser (libyaml) where present, else with its
pure-Python parser, and builds the objects straight from the parser's events: no node tree is
kept, so memory is that of the result and a 100,000-entry file reads in about a second (the
stock `yaml.safe_load` composes a node per value first: ten times slower, three times the
memory).

What comes out is plain data: dicts, lists, strings, integers, floats, booleans, None, and
the dates and timestamps YAML 1.1 reads in unquoted text (`2015-07-20`), so that a reader can
say "quote it". Resolution of unquoted text is YAML 1.1's, as `yaml.safe_load` does it.

Refused, each in one line `source: invalid YAML: line L, column C: problem` (a `YamlError`):

- aliases (`*name`): a few kilobytes of them can stand for billions of objects;
- tags other than the core ones (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
  `!!timestamp`, `!!map`, `!!seq`), merge keys (`<<`), keys that are not scalars, a key given
  twice in one mapping, more than one document;
- nesting deeper than `max_depth` (MAX_DEPTH);
- an integer of more than MAX_INTEGER_CHARACTERS characters or outside the signed 64-bit
  range (Python's own limit, 4,300 digits, would end in a traceback);
- a value its tag cannot hold: `!!int abc`, a date that does not exist (`2001-13-45`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""
MAX_INTEGER_CHARACTERS = 64
"""Longest integer text accepted (a 64-bit integer in binary, `0b` and sign included, fits)."""
INTEGER_RANGE = range(-(2**63), 2**63)
LIBYAML = bool(getattr(yaml, "__with_libyaml__", False)) and hasattr(yaml, "CSafeLoader")
"""True when the C parser (libyaml) is used."""

_PARSER: Any = yaml.CSafeLoader if LIBYAML else yaml.SafeLoader
_CORE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MERGE, VALUE = (
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "merge", "value")
)
_MAP, _SEQ = _CORE + "map", _CORE + "seq"
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_PLAIN_CACHED = 4096
"""Distinct unquoted strings remembered as strings (keys repeat in every entry of a list)."""


class YamlError(ValueError):
    """YAML that cannot be read as plain data; the message is one line naming the source."""


class _Refused(Exception):
    """A problem at an event; turned into a YamlError with the event's position."""

    mark: Any = None


def _position(mark: Any) -> str:
    if mark is None:
        return ""
    return f"line {mark.line + 1}, column {mark.column + 1}: "


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:37] + "...")


def _integer(value: str) -> int:
    if len(value) > MAX_INTEGER_CHARACTERS:
        raise _Refused(f"integer of {len(value):,} characters (at most {MAX_INTEGER_CHARACTERS})")
    if value.isascii() and value.isdigit() and (value[0] != "0" or len(value) == 1):
        number = int(value)
    else:
        try:
            number = _CONSTRUCTOR.construct_yaml_int(ScalarNode(INT, value))
        except (ValueError, TypeError, AttributeError, IndexError):
            raise _Refused(f"not an integer: {_shown(value)}") from None
    if number not in INTEGER_RANGE:
        raise _Refused(f"integer outside the signed 64-bit range: {_shown(value)}")
    return number


def _convert(tag: str, value: str) -> object:
    if tag in (STR, VALUE):
        return value
    if tag == INT:
        return _integer(value)
    if tag == NULL:
        return None
    try:
        if tag == BOOL:
            return _CONSTRUCTOR.bool_values[value.lower()]
        if tag == FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(ScalarNode(FLOAT, value))
        if tag == TIMESTAMP:
            when: dt.date = _CONSTRUCTOR.construct_yaml_timestamp(ScalarNode(TIMESTAMP, value))
            return when
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        kind = {BOOL: "a boolean", FLOAT: "a number", TIMESTAMP: "a valid date"}[tag]
        why = f" ({_one_line(exc)})" if isinstance(exc, ValueError) and tag == TIMESTAMP else ""
        raise _Refused(f"not {kind}: {_shown(value)}{why}") from None
    if tag == MERGE:
        raise _Refused("merge keys (<<) are not supported")
    raise _Refused(f"tag {tag.replace(_CORE, '!!')} is not supported (plain data only)")


def _open(tag: str | None, expected: str, depth: int, max_depth: int) -> None:
    if tag not in (None, "!", expected):
        raise _Refused(f"tag {tag.replace(_CORE, '!!')} is not supported (plain data only)")
    if depth > max_depth:
        raise _Refused(f"nested deeper than {max_depth} levels")


def _build(parser: Any, max_depth: int) -> tuple[object, Any]:
    """The document's data from the parser's events; (data, the last event) or _Refused.

    One loop, the open container and its state in locals (a frame per open container on
    `stack`): this runs once per event, a million times for a big stop list.
    """
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    get = parser.get_event
    plain: dict[str, str] = {}
    resolve: Callable[..., str] = _RESOLVER.resolve
    stack: list[tuple[Any, bool, object, bool]] = []
    top: Any = None  # the open container (None outside any)
    is_map = False
    key: object = None
    want_key = False  # a mapping's next scalar is a key
    result: object = None
    documents = 0
    event: Any = None
    try:
        while True:
            event = get()
            kind = type(event)
            container = False
            if kind is scalar_event:
                tag = event.tag
                value: object = event.value
                if tag is None or tag == "!":
                    if event.implicit[0] and tag is None:
                        text: str = event.value
                        cached = plain.get(text)
                        if cached is not None:
                            value = cached
                        else:
                            tag = resolve(ScalarNode, text, (True, False))
                            if tag == STR:
                                if len(plain) < _PLAIN_CACHED:
                                    plain[text] = text
                            else:
                                value = _convert(tag, text)
                else:
                    value = _convert(tag, event.value)
            elif kind is mapping_start or kind is sequence_start:
                if is_map and want_key:
                    raise _Refused("a mapping key must be a scalar")
                _open(event.tag, _MAP if kind is mapping_start else _SEQ, len(stack) + 1, max_depth)
                stack.append((top, is_map, key, want_key))
                top, is_map, key, want_key = (
                    ({}, True, None, True)
                    if kind is mapping_start
                    else (
                        [],
                        False,
                        None,
                        False,
                    )
                )
                continue
            elif kind in ends:
                value = top
                top, is_map, key, want_key = stack.pop()
                container = True
            elif kind is yaml.AliasEvent:
                raise _Refused("aliases (*name) are not allowed")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Refused("more than one document")
                continue
            elif kind is yaml.StreamEndEvent:
                return result, event
            else:
                continue
            if top is None:
                result = value
            elif not is_map:
                top.append(value)
            elif want_key:
                if container:
                    raise _Refused("a mapping key must be a scalar")
                if value in top:
                    raise _Refused(f"key {_shown(str(value))} appears twice in one mapping")
                key, want_key = value, False
            else:
                top[key] = value
                want_key = True
    except _Refused as problem:
        problem.mark = getattr(event, "start_mark", None)
        raise


def load_yaml(text: str | bytes, source: str, *, max_depth: int = MAX_DEPTH) -> object:
    """The plain data of one YAML document (None when empty); YamlError (one line) otherwise."""
    parser = _PARSER(text)
    try:
        result, _ = _build(parser, max_depth)
    except _Refused as problem:
        where = _position(problem.mark)
        raise YamlError(f"{source}: invalid YAML: {where}{problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: invalid YAML: {_parser_problem(exc)}") from None
    finally:
        parser.dispose()
    return result


def _parser_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        character = exc.character
        code = character if isinstance(character, int) else ord(str(character)[:1] or "?")
        return f"character U+{code:04X} at position {exc.position}: {_one_line(exc.reason)}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{_position(mark)}{_one_line(problem)}"
