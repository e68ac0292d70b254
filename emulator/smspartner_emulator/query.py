"""Read the raw query string the way the PHP API does, and mask the key for logs.

Parameters are split on `&`, names and values percent-decoded (`+` is a space), and the last
occurrence of a name wins. Any byte sequence is accepted: invalid UTF-8 decodes to lone
surrogates, which never equal a fixture value, so garbage simply does not match.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

API_KEY = "apiKey"
TOKEN = "token"  # noqa: S105 (a parameter name, not a secret)
FORMAT = "_format"
WANTED = frozenset({API_KEY, TOKEN, FORMAT})
MASK = "apiKey=***"
LOG_LIMIT = 512
"""Longest query (after masking) written to a log line."""


def _decode(raw: bytes) -> str:
    if b"%" in raw or b"+" in raw:
        raw = unquote_to_bytes(raw.replace(b"+", b" "))
    return raw.decode("utf-8", "surrogateescape")


def read_params(query: bytes) -> dict[str, str]:
    """The last value of each parameter the endpoints read (apiKey, token, _format)."""
    found: dict[str, str] = {}
    if not query:
        return found
    for part in query.split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        name = _decode(raw_name)
        if name in WANTED:
            found[name] = _decode(raw_value)
    return found


def printable(text: str) -> str:
    """Escape control and non-ASCII characters so a log line stays one line of ASCII."""
    if text.isascii() and text.isprintable():
        return text
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")


def masked_query(query: bytes) -> str:
    """The query for logs: every `apiKey` parameter (by decoded name) becomes `apiKey=***`."""
    if not query:
        return ""
    parts = [
        MASK if _decode(part.partition(b"=")[0]) == API_KEY else printable(part.decode("latin-1"))
        for part in query.split(b"&")
    ]
    text = "&".join(parts)
    if len(text) > LOG_LIMIT:
        return f"{text[:LOG_LIMIT]}...({len(query)} bytes)"
    return text
