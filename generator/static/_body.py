"""Reading a body within a cap on its decoded size, and parsing its JSON within a nesting limit.

Most answers are a few KB; an operation whose answer grows without bound (the spec's
`x-max-answer-bytes`) has its own cap for its success answers. The client asks for `gzip` or
`deflate` only and decodes the body itself, chunk by chunk as it arrives, with zlib's
`max_length`: reading stops as soon as the decoded size passes the cap, so an endless chunked
body, a 1 GB `Content-Length` or 0.5 MB of gzip that would expand to 512 MiB cost at most the
cap in memory. A body in another encoding,
or broken gzip/deflate, is refused with the reason.

Python's JSON parser raises `RecursionError` on deeply nested input, and so would any walk of
the data after it: nesting deeper than `MAX_JSON_DEPTH` levels is refused. NaN and Infinity are
parsed (Python accepts them) and refused later by the type checks, which name the field.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from itertools import chain
from typing import Any

import httpx

ACCEPT_ENCODING = "gzip, deflate"
"""The `Accept-Encoding` the client sends: the encodings `BodyReader` decodes."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in an answer (the real ones nest 4 deep)."""
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
_HEAD_BYTES = 4096
_STEP_BYTES = 64 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyError(Exception):
    """The body cannot be read; `reason` says why (no body text in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BodyTooLarge(BodyError):
    """The decoded body is larger than `limit` bytes."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        what = f"declares {declared} bytes" if declared is not None else "goes on"
        super().__init__(f"the body {what}, more than the {limit}-byte cap")
        self.limit = limit


class BodyReader:
    """Decodes the raw chunks fed to it, and collects them unless `keep` is False (a body read
    as a stream); raises `BodyError` as soon as it is too large or cannot be decoded."""

    def __init__(self, headers: httpx.Headers, limit: int, *, keep: bool = True) -> None:
        self.limit = limit
        self._keep = keep
        self._parts: list[bytes] = []
        self._head = b""
        self._size = 0
        codings = [
            coding.strip().lower()
            for coding in headers.get("content-encoding", "").split(",")
            if coding.strip() and coding.strip().lower() != "identity"
        ]
        if len(codings) > 1 or any(coding not in _WBITS for coding in codings):
            raise BodyError(f"unsupported content-encoding {', '.join(codings)!r}")
        self._coding = codings[0] if codings else None
        self._inflater = zlib.decompressobj(_WBITS[self._coding]) if self._coding else None
        self._raw_deflate_tried = False
        declared = headers.get("content-length", "")
        known = self._coding is None and declared.isascii() and declared.isdigit()
        if known and int(declared) > limit:
            raise BodyTooLarge(limit, int(declared))

    def take_decoded(self, content: bytes) -> list[bytes]:
        """A body some transport (a `MockTransport`) has already read and decoded whole."""
        self._inflater = None
        return self._add(content)

    @property
    def start(self) -> bytes:
        """The first bytes decoded, even of a body refused as too large (for messages)."""
        return self._head

    def _room(self) -> int:
        """How much to inflate at once: one step, or one byte past the cap (to see it passed)."""
        return min(self.limit - self._size + 1, _STEP_BYTES)

    @property
    def size(self) -> int:
        """Decoded bytes so far."""
        return self._size

    def _add(self, piece: bytes) -> list[bytes]:
        if len(self._head) < _HEAD_BYTES:
            self._head += piece[: _HEAD_BYTES - len(self._head)]
        self._size += len(piece)
        if self._size > self.limit:
            raise BodyTooLarge(self.limit)
        if not piece:
            return []
        if self._keep:
            self._parts.append(piece)
        return [piece]

    def feed(self, chunk: bytes) -> list[bytes]:
        """Decode one raw chunk; the decoded pieces (also kept, unless `keep` is False)."""
        if self._inflater is None:
            return self._add(chunk)
        pieces: list[bytes] = []
        data = chunk
        while data and not self._inflater.eof:
            piece: bytes | None
            try:
                piece = self._inflater.decompress(data, self._room())
            except zlib.error:
                piece = None
            if piece is None:
                piece = self._retry_as_raw_deflate(data)
            pieces += self._add(piece)
            data = self._inflater.unconsumed_tail
        return pieces

    def _retry_as_raw_deflate(self, data: bytes) -> bytes:
        """`deflate` is zlib-wrapped by the RFC, but some servers send it raw: try that once."""
        if self._coding != "deflate" or self._raw_deflate_tried or self._size:
            raise BodyError(f"the body is not valid {self._coding} data")
        self._raw_deflate_tried = True
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            return self._inflater.decompress(data, self._room())
        except zlib.error:
            pass
        raise BodyError(f"the body is not valid {self._coding} data")

    def finish(self) -> bytes:
        """The whole decoded body; `BodyError` if compressed data stops before its end."""
        if self._inflater is not None and self._size and not self._inflater.eof:
            raise BodyError(f"the {self._coding} data ends before its end")
        return b"".join(self._parts)


@dataclass(frozen=True)
class NotJson:
    """Why a body is not usable JSON (returned, not raised: no parser error is ever chained)."""

    reason: str


_CONTAINERS = (dict, list)


def _leaves(values: Any) -> bool:
    """Whether no value of `values` is an object or an array (one pass in C: no Python loop
    per value, which matters for a list of a million entries)."""
    return set(map(type, values)).isdisjoint(_CONTAINERS)


def too_deep(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `data` (parsed JSON) nests objects and arrays more than `limit` levels deep.
    A list of objects that hold no object or array (a STOP list) is settled in two passes in
    C; anything else is walked."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        if isinstance(node, list) and node:
            kinds = set(map(type, node))
            if kinds.isdisjoint(_CONTAINERS):
                continue
            if kinds == {dict} and _leaves(chain.from_iterable(map(dict.values, node))):
                if depth + 1 > limit:
                    return True
                continue
        pending.extend((child, depth + 1) for child in children)
    return False


_too_deep = too_deep


def parse_json(content: bytes, *, check_depth: bool = True) -> Any:
    """The JSON value of `content`, or a `NotJson` saying why there is none. With
    `check_depth=False` the nesting limit is left to the caller (the shape checks of an answer
    of known type settle it on the way, see `_shape.conforms`)."""
    if not content.strip():
        return NotJson("empty body")
    problem: NotJson | None = None
    try:
        data = json.loads(content)
    except RecursionError:
        problem = NotJson(TOO_DEEP)
    except (ValueError, UnicodeDecodeError) as exc:
        problem = NotJson(f"body is not JSON ({type(exc).__name__})")
    if problem is not None:
        return problem
    if check_depth and too_deep(data, MAX_JSON_DEPTH):
        return NotJson(TOO_DEEP)
    return data


__all__ = [
    "ACCEPT_ENCODING",
    "MAX_JSON_DEPTH",
    "BodyError",
    "BodyReader",
    "BodyTooLarge",
    "NotJson",
    "parse_json",
    "too_deep",
]
