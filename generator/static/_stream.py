"""The entries of a list answer one by one, in memory that does not grow with the list.

An answer such as the STOP list is one JSON object, one field of which (`data`) is an array
that grows without bound. `items`/`aitems` read it as it arrives: the body is decoded chunk by
chunk (`AnswerStream`, within the operation's cap and the call's deadline), and a push parser
(`ListParser`) takes the object apart: each entry of the array is decoded on its own by the C
scanner of the `json` module, the other fields whole. No dependency is needed for this (ijson
was considered: its C backend is not faster here, and it would be one more package); the
parser's Python code runs once per entry, the rest in C.

What is checked, and when:

- the fields that come before the array (the API sends `success`, `code` and `nbData` first)
  are checked against the answer's schema before the first entry is yielded; an error envelope
  (`success: false` and a `code`) is an `ApiError`, as with `sync`;
- each entry is checked against the entries' schema (its JSON types; the nesting limit) and
  built as a model, in batches of what one chunk of the body holds;
- the fields after the array, and the required fields that never came, are checked at the end:
  an error found then is raised after the entries before it were yielded.

No single entry or field may be larger than `MAX_VALUE_CHARS`, so a hostile answer cannot make
the parser hold more than that (and the chunk being read) either.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from json.scanner import make_scanner
from typing import Any

from ._body import TOO_DEEP
from ._exchange import AnswerStream
from ._models import build_list, gc_paused
from ._shape import Columns, conforms, entries_conform, fields_conform, first_problem
from .errors import (
    SmsPartnerError,
    check_shape,
    invalid_response,
    raise_if_error_envelope,
)
from .types import Answer

MAX_VALUE_CHARS = 8 * 1024 * 1024
"""Largest single entry or field of a streamed answer, in characters (an entry of the STOP
list is about 80)."""

_scan_once = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_WS = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])")
_NUMBER_GOES_ON = re.compile(r"[0-9eE.+\-]*")
_NEAR_END = 16  # a decoding failure this close to the end of the text may be a value cut short
_NOT_JSON = "body is not JSON (JSONDecodeError)"

# States of the parser: what comes next.
_START, _FIRST_KEY, _KEY, _COLON, _VALUE, _FIRST_ITEM, _ITEM, _AFTER_ITEM, _AFTER_VALUE, _END = (
    range(10)
)


class NotJsonStream(Exception):
    """The streamed body is not the JSON object expected; `reason` says why (no body text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ListParser:
    """A push parser for a JSON object one of whose fields, `field`, is an array: `feed` it the
    text as it arrives, and it returns the entries of that array completed so far; the other
    fields collect in `fields`. `finish` when the text ends."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.fields: dict[str, Any] = {}
        self.list_seen = False
        self._text = ""
        self._pos = 0
        self._state = _START
        self._key = ""
        self._wait = 0
        self._eof = False
        self._first = True

    def feed(self, text: str) -> list[Any]:
        if self._first and text:
            self._first = False
            text = text.removeprefix("\ufeff")
        self._text = self._text[self._pos :] + text if self._pos else self._text + text
        self._pos = 0
        return self._run()

    def finish(self) -> list[Any]:
        self._eof = True
        entries = self._run()
        if self._state != _END:
            raise NotJsonStream("body is not JSON (it ends before the object does)")
        return entries

    def _decode(self, pos: int) -> tuple[Any, int] | None:
        """The JSON value at `pos` and where it ends; None if more text is needed first."""
        text = self._text
        available = len(text) - pos
        if not self._eof and available < self._wait:
            return None
        problem: str | None = None
        cut = False
        try:
            value, end = _scan_once(text, pos)
        except RecursionError:
            problem = TOO_DEEP
        except StopIteration as stop:
            at = stop.value if isinstance(stop.value, int) else pos
            problem, cut = _NOT_JSON, at >= len(text) - _NEAR_END
        except json.JSONDecodeError as exc:
            problem = _NOT_JSON
            cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(text) - _NEAR_END
        except ValueError:  # e.g. an integer of more than 4300 digits
            problem = "body is not JSON (ValueError)"
        if problem is not None:
            if not cut or self._eof:
                raise NotJsonStream(problem)
            if available > MAX_VALUE_CHARS:
                raise NotJsonStream(f"an entry or field longer than {MAX_VALUE_CHARS} characters")
            self._wait = 2 * available  # try again with twice the text: linear in all
            return None
        if not self._eof and (
            end >= len(text)
            or (type(value) in (int, float) and _NUMBER_GOES_ON.fullmatch(text, end))
        ):  # a number may go on in the next chunk (`1` of `1e-5`)
            self._wait = available + 1
            return None
        self._wait = 0
        return value, end

    def _run(self) -> list[Any]:
        entries: list[Any] = []
        text = self._text
        size = len(text)
        pos = self._pos
        state = self._state
        try:
            while True:
                if state == _ITEM:
                    if pos < size and text[pos] in " \t\n\r":
                        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                    found = self._decode(pos)
                    if found is None:
                        break
                    entries.append(found[0])
                    pos = found[1]
                    state = _AFTER_ITEM
                if state == _AFTER_ITEM:
                    match = _SEPARATOR.match(text, pos)
                    if match is None:
                        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                        if pos < size:
                            raise NotJsonStream("body is not JSON (expected , or ])")
                        break
                    pos = _WS.match(text, match.end()).end()  # type: ignore[union-attr]
                    if match.group(1) == ",":
                        state = _ITEM
                        continue
                    state = _AFTER_VALUE
                pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                if pos >= size:
                    break
                char = text[pos]
                if state == _START:
                    if char != "{":
                        raise NotJsonStream(
                            "body is not JSON (JSONDecodeError)"
                            if char not in '[0123456789-"tfn'
                            else "body is not a JSON object"
                        )
                    pos, state = pos + 1, _FIRST_KEY
                elif state in (_FIRST_KEY, _KEY):
                    if char == "}" and state == _FIRST_KEY:
                        pos, state = pos + 1, _END
                        continue
                    if char != '"':
                        raise NotJsonStream("body is not JSON (expected a field name)")
                    found = self._decode(pos)
                    if found is None:
                        break
                    self._key, pos = str(found[0]), found[1]
                    state = _COLON
                elif state == _COLON:
                    if char != ":":
                        raise NotJsonStream("body is not JSON (expected :)")
                    pos, state = pos + 1, _VALUE
                elif state == _VALUE:
                    if self._key == self.field and char == "[":
                        if self.list_seen:
                            raise NotJsonStream(f"the field {self.field!r} comes twice")
                        self.list_seen = True
                        pos, state = pos + 1, _FIRST_ITEM
                        continue
                    found = self._decode(pos)
                    if found is None:
                        break
                    self.fields[self._key] = found[0]
                    pos, state = found[1], _AFTER_VALUE
                elif state == _FIRST_ITEM:
                    if char == "]":
                        pos, state = pos + 1, _AFTER_VALUE
                        continue
                    state = _ITEM
                elif state == _AFTER_VALUE:
                    if char == ",":
                        pos, state = pos + 1, _KEY
                    elif char == "}":
                        pos, state = pos + 1, _END
                    else:
                        raise NotJsonStream("body is not JSON (expected , or })")
                elif state == _END:
                    raise NotJsonStream("body is not JSON (extra data after the object)")
        finally:
            self._pos = pos
            self._state = state
        return entries


class Listing:
    """How to read one operation's list answer: the answer's schema, the field holding the
    list, the entries' schema and model class, and the endpoint's `_parse_response` (for the
    answers that are not streamed: it raises their typed error)."""

    def __init__(
        self,
        *,
        answer: str,
        field: str,
        entry: str,
        model: type,
        parse: Callable[[Answer], Any],
    ) -> None:
        self.answer = answer
        self.field = field
        self.entry = entry
        self.model = model
        self.parse = parse


class _Reader:
    """The part shared by `items` and `aitems`: decoding, parsing, checking, building."""

    def __init__(self, stream: AnswerStream, listing: Listing) -> None:
        self.stream = stream
        self.listing = listing
        self.parser = ListParser(listing.field)
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self.count = 0
        self.checked = False
        self.draining = False
        self.failure: SmsPartnerError | None = None
        """An entry found wrong: raised once the entries before it were yielded."""

    def _fail(self, reason: str) -> SmsPartnerError:
        return invalid_response(self.stream.head(), f"expected a JSON answer, {reason}")

    def take(self, piece: bytes | None) -> list[Any]:
        """The models of the entries completed by `piece` (None: the end of the body)."""
        failure: SmsPartnerError | None = None
        entries: list[Any] = []
        try:
            if piece is None:
                entries = self.parser.feed(self.decoder.decode(b"", final=True))
                entries += self.parser.finish()
            else:
                entries = self.parser.feed(self.decoder.decode(piece))
        except UnicodeDecodeError:
            failure = self._fail("body is not JSON (UnicodeDecodeError)")
        except NotJsonStream as exc:
            failure = self._fail(exc.reason)
        if failure is not None:
            raise failure
        if self.parser.list_seen and not self.checked:
            self.checked = True
            self.draining = not fields_conform(self.parser.fields, self.listing.answer)
        if self.draining or not entries:
            return []
        return self._build(entries)

    def _answer(self) -> dict[str, Any]:
        fields = dict(self.parser.fields)
        if self.parser.list_seen:
            fields[self.listing.field] = []
        return fields

    def _build(self, entries: list[Any]) -> list[Any]:
        listing = self.listing
        first = self.count
        self.count += len(entries)
        with gc_paused():
            columns: Columns = {}
            if entries_conform(entries, listing.entry, 2, columns):
                return build_list(listing.model, entries, columns.get(id(entries)))
        for offset, entry in enumerate(entries):
            if conforms(entry, listing.entry, depth=3):
                continue
            self.failure = self._wrong_entry(first + offset, entry)
            return build_list(listing.model, entries[:offset])
        return build_list(listing.model, entries)

    def _wrong_entry(self, index: int, entry: Any) -> SmsPartnerError:
        listing = self.listing
        where = f"{listing.field}[{index}]"
        problem = first_problem(entry, listing.entry)
        if problem is None:
            return self._fail(TOO_DEEP)
        field = f"{where}.{problem.field}" if problem.field else where
        return invalid_response(
            self.stream.head(),
            f"not a valid {listing.answer}: `{field}`: expected {problem.expected}, "
            f"got {problem.got}",
            field=field,
            expected=problem.expected,
        )

    def check(self) -> None:
        """Raise the error of a wrong entry, once the entries before it were yielded."""
        if self.failure is not None:
            raise self.failure

    def finish(self) -> None:
        """The checks of the whole answer, once it ended: its fields, or the error envelope."""
        head = self.stream.head()
        data = self._answer()
        raise_if_error_envelope(head, data)
        check_shape(head, data, self.listing.answer)


def items(opened: Answer | SmsPartnerError | AnswerStream, listing: Listing) -> Iterator[Any]:
    """The entries of an answer opened by `Client.open_stream` (sync)."""
    if isinstance(opened, SmsPartnerError):
        raise opened
    if isinstance(opened, Answer):
        listing.parse(opened)
        return
    reader = _Reader(opened, listing)
    try:
        for piece in opened.chunks():
            yield from reader.take(piece)
            reader.check()
        yield from reader.take(None)
        reader.check()
        reader.finish()
    finally:
        opened.close()


async def aitems(
    opened: Answer | SmsPartnerError | AnswerStream, listing: Listing
) -> AsyncIterator[Any]:
    """The entries of an answer opened by `Client.open_stream_async` (async)."""
    if isinstance(opened, SmsPartnerError):
        raise opened
    if isinstance(opened, Answer):
        listing.parse(opened)
        return
    reader = _Reader(opened, listing)
    try:
        async for piece in opened.achunks():
            for model in reader.take(piece):
                yield model
            reader.check()
        for model in reader.take(None):
            yield model
        reader.check()
        reader.finish()
    finally:
        await opened.aclose()


__all__ = ["MAX_VALUE_CHARS", "ListParser", "Listing", "NotJsonStream", "aitems", "items"]
