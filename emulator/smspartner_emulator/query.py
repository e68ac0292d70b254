"""Read the raw query string the way the PHP API does, and show a request target in logs.

Parameters are split on `&`, names and values percent-decoded (`+` is a space), and the last
occurrence of a name wins. Any byte sequence is accepted: invalid UTF-8 decodes to lone
surrogates, which never equal a fixture value, so garbage simply does not match.

Log lines mask with the kit's one masking implementation (`smspartner_client.redact`): the
fixtures' API keys and rental tokens by value (in any encoding, under any parameter name, also
cut short), `apiKey`-like parameters by name, phone numbers by pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from smspartner_client.redact import Redactor

API_KEY = "apiKey"
TOKEN = "token"  # noqa: S105 (a parameter name, not a secret)
FORMAT = "_format"
WANTED = frozenset({API_KEY, TOKEN, FORMAT})
MASK = "apiKey=***"
LOG_LIMIT = 512
"""Longest query or path (after masking) written to a log line."""
LOG_SCAN_LIMIT = 4 * LOG_LIMIT
"""Bytes of a query or path that are masked at all; the rest is only counted."""


def _decode(raw: bytes) -> str:
    if b"%" in raw or b"+" in raw:
        raw = unquote_to_bytes(raw.replace(b"+", b" "))
    return raw.decode("utf-8", "surrogateescape")


def read_pairs(query: bytes) -> list[tuple[str, str]]:
    """Every parameter, decoded, in order (a name without `=` has the empty value)."""
    if not query:
        return []
    pairs = []
    for part in query.split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        pairs.append((_decode(raw_name), _decode(raw_value)))
    return pairs


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


def _shown_piece(raw: bytes, redactor: Redactor) -> str:
    """`raw` as printable text, or its decoded form, masked, if a secret shows once decoded.

    The raw form is masked later, with the rest of the line (one pass rather than one a piece).
    """
    shown = printable(raw.decode("latin-1"))
    if b"%" in raw or b"+" in raw:
        decoded = printable(_decode(raw))
        masked = redactor.mask(decoded)
        if masked != decoded:
            return masked
    return shown


def _bounded(raw: bytes, separator: bytes) -> tuple[list[bytes], bool]:
    """The pieces of `raw` to show; a piece cut by LOG_SCAN_LIMIT is dropped, not shown cut."""
    if len(raw) <= LOG_SCAN_LIMIT:
        return raw.split(separator), False
    return raw[:LOG_SCAN_LIMIT].split(separator)[:-1], True


def _shown(text: str, cut: bool, size: int) -> str:
    if cut or len(text) > LOG_LIMIT:
        return f"{text[:LOG_LIMIT]}...({size} bytes)"
    return text


def masked_query(query: bytes, redactor: Redactor) -> str:
    """The query for logs: `apiKey` parameters as `apiKey=***`, every other secret masked."""
    if not query:
        return ""
    parts, cut = _bounded(query, b"&")
    shown = [
        MASK if _decode(part.partition(b"=")[0]) == API_KEY else _shown_piece(part, redactor)
        for part in parts
    ]
    return _shown(redactor.mask("&".join(shown)), cut, len(query))


def masked_text(raw: bytes, redactor: Redactor) -> str:
    """A path or method for logs, secrets masked (a key or token may be sent there too)."""
    parts, cut = _bounded(raw, b"/")
    return _shown(redactor.mask(_shown_piece(b"/".join(parts), redactor)), cut, len(raw))


def request_line(method: str, path: bytes, query: bytes, redactor: Redactor) -> str:
    """`METHOD path?query` for a log line, every secret masked."""
    shown_query = masked_query(query, redactor)
    return "{} {}{}".format(
        masked_text(method.encode("latin-1", "replace"), redactor),
        masked_text(path, redactor),
        f"?{shown_query}" if shown_query else "",
    )
