"""Finding and masking secrets and personal data: API keys, rental tokens, phone numbers,
e-mail addresses and names.

One implementation for the whole kit (the client's errors and logs, the emulator's access log,
the contract run's reports and recordings). A value is masked by what it is, wherever it
appears and whatever the field holding it is called: by pattern (phone numbers, e-mail
addresses, `apiKey=` parameters, and token-shaped values when asked), and by value (what the
caller adds: keys, tokens, and the phone numbers, e-mail addresses and names it has read).

What it finds, it renders in one of two ways:

- `Redactor.mask(text)`, for people (messages, logs, reports): a key becomes `***`, a rental
  token its first four characters then `••••`, a phone number its first three and last two
  characters (`+33•••••••19`), an e-mail address its first character and top-level domain
  (`j•••@•••.fr`), a name `•••`.
- `Redactor.substitute(text, replace)`: each find replaced by what `replace(kind, value)`
  returns (the contract run's recordings use stable, format-preserving placeholders).

`Redactor.leaks(text)` tells whether a text still holds a value added by value (in any form
below, case-insensitive): a writer checks it before writing, and writes nothing if it does.

Cost: a fixed number of passes of compiled regular expressions per text, whatever the number
of values known (`Redactor.work` counts them): the keys and tokens are one trie-shaped
alternation of their forms (rebuilt once, lazily, after `add` of a new one); phone numbers
and e-mail addresses learnt by value are looked up in hash sets for each candidate the
patterns find (never rebuilt); names are one trie-shaped alternation. A text holding escapes
(`%`, `\\`, `&`) is searched once more decoded, a text holding `<` once more without its tags.
Masking an 83 MB STOP list with a million numbers learnt is two passes, not a million
searches.

Forms recognised (`FORMS` holds this table as data; kinds: k key, t token, p phone, e e-mail,
n name; by: V = found when added by value, P = found by pattern, whatever it is). Secrets
are searched in the text as written (a trie of their forms, case-insensitive), inside runs
holding escapes once decoded (percent, JSON, HTML: mixed escapes too), and in the text with
its markup tags (and the blanks after them) removed, which finds a value split into
elements (`<entry>` pieces: chosen because it costs one substitution, done only for a text
holding `<`). Phone numbers learnt by value are also found in their other written forms
(country code or trunk 0), and glued to letters; hex and base64 forms are computed for keys
and tokens only::

    form                                    kinds  by  example
    --------------------------------------  -----  --  ------------------------
    as is                                   kten   V   s3cret-K3y
    upper case                              kten   V   B22B841A...
    percent-encoded, upper-case hex         kten   V   s3cret%2FCl%C3%A9
    percent-encoded, lower-case hex         kten   V   s3cret%2fcl%c3%a9
    percent-encoded, every byte             kten   V   %73%33%63...
    form-encoded (+ for a space)            kt     V   my+key%2B1
    JSON string (\\/, \\u00e9)                kten   V   s3cret\\/Cl\\u00e9
    JSON string, every character \\u         kten   V   \\u0073\\u0033...
    HTML named entities                     kten   V   a&amp;b
    HTML numeric references, decimal        kten   V   &#115;&#51;...
    HTML numeric references, hex            kten   V   &#x73;&#x33;...
    mixed escapes (percent, JSON, HTML)     kten   V   %73&#51;\\u0063...
    hex of the UTF-8 bytes, lower case      kt     V   7333...
    hex of the UTF-8 bytes, upper case      kt     V   7333...
    base64, standard                        kt     V   czNjcmV0L0Ns...
    base64, URL-safe                        kt     V   czNjcmV0L0Ns...
    base64 inside a longer base64 string    kt     V   Basic dXNlcjpz...
    cut short, first 8 characters           kt     V   ...s3cret/C
    cut short, last 8 characters            kt     V   ...3cret-K3y
    cut short, 16 hex characters or more    kt     V   7333637265742f43
    split by markup (<entry> pieces)        ktn    V   <entry>s3cret/</entry>...
    apiKey= query parameter, by name        k      P   ?apiKey=anything&token=...
    40-hex token shape (token_shapes=True)  t      P   b22b841a21624f4f452ba7fa8c822c0ed7cecfdb
    E.164 with +                            p      PV  +33612345678
    international with 00                   p      PV  0033612345678
    international without +                 p      PV  33612345678
    JSON integer                            p      PV  {"numero": 33612345678}
    national, leading 0                     p      PV  0612345678
    national with spaces                    p      PV  06 12 34 56 78
    national with dots                      p      PV  06.12.34.56.78
    national with hyphens                   p      PV  06-12-34-56-78
    international with separators           p      PV  +33 6 12 34 56 78
    international with 00 and hyphens       p      PV  0033-6-12-34-56-78
    trunk zero in brackets                  p      PV  +33 (0)6 12 34 56 78
    percent-encoded +                       p      PV  %2B33612345678
    JSON-escaped +                          p      PV  \\u002b33612345678
    cut short (+: 5 digits, 00 or 0: 6)     p      P   +33 6 12
    glued to letters                        p      V   x0612345678
    e-mail address                          e      PV  jean.dupont@example.fr
    e-mail address, upper case              e      PV  JEAN.DUPONT@EXAMPLE.FR
    e-mail address, percent-encoded @       e      PV  jean.dupont%40example.fr
    e-mail address, HTML reference for @    e      PV  jean.dupont&#64;example.fr

Not recognised (said here so that nobody relies on it): phone numbers, e-mail addresses and
names in hex or base64; phone numbers with other separators (`/`, `_`, two in a row), glued
to letters, with fewer than 11 digits and no `+`, `00` or leading `0`, or with 16 digits or
more (unless learnt by value); national numbers whose trunk prefix is not 0 (learnt numbers
are matched across forms by country code and trunk 0 only); e-mail addresses without a dot
in the domain (`root@localhost`) or with non-ASCII characters; names cut short or inside
words; secrets shorter than `MIN_RUN` cut short, or in hex or base64; in a form longer than
`MAX_GRAMS` + `MIN_RUN` characters (a key of more than 135), a run in the middle shorter than
`MIN_RUN` + stride - 1 (its start and its end are found from `MIN_RUN`); escapes nested twice
(`%2525`, percent-encoded base64); values split by anything but markup tags (JSON arrays of
pieces, string concatenation); a key by name other than as a query parameter.

Left readable (ordinary values of the API's answers and of the kit's reports): dates and
times (`2015-07-20 10:19:45`, ISO 8601, `+0200`), decimals (`0.900`, `45.000`), counts and
codes (`60200`, `nbData`, error codes, ports), versions (`1.0.0`), IPv4 addresses, 13-digit
millisecond timestamps, zero-padded identifiers (`000123...`). In doubt (a 14-digit number
not starting with 1, a space-separated run of 11 digits) a value is masked: a leak is worse
than an over-masked identifier. A secret's 8-character run can coincide with other text (an
all-digit run of a token inside a phone number): that text is then masked as the secret.
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote, quote_plus

Kind = Literal["key", "token", "phone", "email", "name"]
KINDS: tuple[Kind, ...] = ("key", "token", "email", "phone", "name")
"""Every kind, in precedence order: overlapping finds become one, of the earliest kind."""
MIN_RUN = 8
"""Shortest run of a secret's characters that is masked on its own (a cut-short secret)."""
HEX_RUN = 2 * MIN_RUN
"""Shortest run of the hex form of a secret that is masked on its own (MIN_RUN bytes)."""
B64_RUN = 12
"""Shortest run of a base64 form of a secret that is masked on its own (9 bytes)."""
MAX_GRAMS = 128
"""Most runs of one form indexed: a form longer than MAX_GRAMS + MIN_RUN is indexed every
`stride` characters, and its cut-short runs are found from MIN_RUN + stride - 1 characters
(a 1,000-character key: from 15). This bounds the work of `add` whatever a value's length."""
LONG_FORM = 256
"""Longest form kept whole in the patterns (a longer one is found by its runs)."""
MIN_PHONE_DIGITS = 6
"""Fewest digits of a phone number found by pattern or looked up by value."""
KEY_MASK = "***"
BULLETS = "••••"
NAME_MASK = "•••"
TOKEN_SHAPE = r"[0-9a-f]{40}"  # noqa: S105 (a pattern, not a password)
"""What a rental token looks like (case-insensitive; at least one letter), for token_shapes."""

_RANK: dict[Kind, int] = {kind: rank for rank, kind in enumerate(KINDS)}
Span = tuple[int, int, Kind]


# --- how values are written ------------------------------------------------------------------


def _plain_forms(value: str) -> set[str]:
    """The ways `value` appears in a message, a URL, a JSON or an HTML body, escaped lightly."""
    ascii_json = json.dumps(value)[1:-1]
    unicode_json = json.dumps(value, ensure_ascii=False)[1:-1]
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        ascii_json,
        ascii_json.replace("/", "\\/"),
        unicode_json,
        unicode_json.replace("/", "\\/"),
        html.escape(value),
    }
    return {form for form in forms if form}


def _base64_forms(data: bytes) -> set[str]:
    """What base64 shows of `data`: alone (padding included), and wherever it sits in a longer
    payload (at each of the three byte alignments, the characters that depend on `data`
    alone), standard and URL-safe."""
    forms = {base64.b64encode(data).decode("ascii")}
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + data).decode("ascii")
        forms.add(encoded[-(-8 * pad // 6) : (8 * (pad + len(data))) // 6])
    return {f for form in forms if form for f in (form, form.replace("+", "-").replace("/", "_"))}


def _lower(text: str) -> str:
    """`text` in lower case, one character for one (positions stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char if len(low := char.lower()) != 1 else low for char in text)


# --- display ---------------------------------------------------------------------------------


def mask_phone(value: str) -> str:
    """`+33612345678` -> `+33•••••••78`; a short (cut) number keeps only its first three."""
    if len(value) <= 6:
        return value[:3] + "•" * max(len(value) - 3, 1)
    return value[:3] + "•" * (len(value) - 5) + value[-2:]


def mask_token(value: str) -> str:
    """A rental token shown by its first four characters."""
    return value[:4] + BULLETS


def mask_email(value: str) -> str:
    """`jean.dupont@example.fr` -> `j•••@•••.fr`; `•••` for what is not an address."""
    local, at, domain = value.rpartition("@")
    tld = domain.rpartition(".")[2]
    if not at or not local or "." not in domain or not tld.isalpha():
        return NAME_MASK
    return f"{local[0]}•••@•••.{tld}"


def display(kind: Kind, value: str) -> str:
    """How `mask` shows a find of `kind`."""
    if kind == "key":
        return KEY_MASK
    if kind == "token":
        # a piece (split by markup, cut short) shows nothing: pieces' starts add up
        return mask_token(value) if len(value) >= HEX_RUN else BULLETS
    if kind == "phone":
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return NAME_MASK


# --- the table of forms, as data -------------------------------------------------------------


def _percent_all(value: str) -> str:
    return "".join(f"%{byte:02X}" for byte in value.encode())


def _lower_hex_escapes(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def _json_all(value: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in value)


def _html_decimal(value: str) -> str:
    return "".join(f"&#{ord(char)};" for char in value)


def _html_hex(value: str) -> str:
    return "".join(f"&#x{ord(char):x};" for char in value)


def _mixed(value: str) -> str:
    """Every third character percent-encoded, the next one an HTML reference, the next JSON."""
    pieces = []
    for index, char in enumerate(value):
        if index % 3 == 0:
            pieces.append(quote(char, safe=""))
        elif index % 3 == 1:
            pieces.append(f"&#{ord(char)};")
        else:
            pieces.append(f"\\u{ord(char):04x}")
    return "".join(pieces)


def _b64_within(value: str) -> str:
    return base64.b64encode(b"user:" + value.encode()).decode("ascii")


def _split_markup(value: str) -> str:
    return "".join(f"<entry>{value[i : i + 7]}</entry>\n" for i in range(0, len(value), 7))


@dataclass(frozen=True)
class Form:
    """One row of the table of forms: how a value may be written, and what finds it there.

    `write(value)` renders a value in this form (None for a written form of a phone number,
    whose `example` is the text itself); `kinds` are the kinds recognised in it; `by` is
    "value" (found when added), "pattern" (found whatever it is) or both.
    """

    name: str
    kinds: tuple[Kind, ...]
    by: tuple[Literal["value", "pattern"], ...]
    example: str
    write: Callable[[str], str] | None = None


_KTEN: tuple[Kind, ...] = ("key", "token", "email", "name")
_V: tuple[Literal["value", "pattern"], ...] = ("value",)
_P: tuple[Literal["value", "pattern"], ...] = ("pattern",)
_PV: tuple[Literal["value", "pattern"], ...] = ("pattern", "value")

FORMS: tuple[Form, ...] = (
    Form("as is", _KTEN, _V, "s3cret-K3y", lambda v: v),
    Form("upper case", _KTEN, _V, "B22B841A...", str.upper),
    Form(
        "percent-encoded, upper-case hex",
        _KTEN,
        _V,
        "s3cret%2FCl%C3%A9",
        lambda v: quote(v, safe=""),
    ),
    Form(
        "percent-encoded, lower-case hex",
        _KTEN,
        _V,
        "s3cret%2fcl%c3%a9",
        lambda v: _lower_hex_escapes(quote(v, safe="")),
    ),
    Form("percent-encoded, every byte", _KTEN, _V, "%73%33%63...", _percent_all),
    Form("form-encoded (+ for a space)", ("key", "token"), _V, "my+key%2B1", quote_plus),
    Form(
        "JSON string (\\/, \\u00e9)",
        _KTEN,
        _V,
        "s3cret\\/Cl\\u00e9",
        lambda v: json.dumps(v)[1:-1].replace("/", "\\/"),
    ),
    Form("JSON string, every character \\u", _KTEN, _V, "\\u0073\\u0033...", _json_all),
    Form("HTML named entities", _KTEN, _V, "a&amp;b", html.escape),
    Form("HTML numeric references, decimal", _KTEN, _V, "&#115;&#51;...", _html_decimal),
    Form("HTML numeric references, hex", _KTEN, _V, "&#x73;&#x33;...", _html_hex),
    Form("mixed escapes (percent, JSON, HTML)", _KTEN, _V, "%73&#51;\\u0063...", _mixed),
    Form(
        "hex of the UTF-8 bytes, lower case",
        ("key", "token"),
        _V,
        "7333...",
        lambda v: v.encode().hex(),
    ),
    Form(
        "hex of the UTF-8 bytes, upper case",
        ("key", "token"),
        _V,
        "7333...",
        lambda v: v.encode().hex().upper(),
    ),
    Form(
        "base64, standard",
        ("key", "token"),
        _V,
        "czNjcmV0L0Ns...",
        lambda v: base64.b64encode(v.encode()).decode("ascii"),
    ),
    Form(
        "base64, URL-safe",
        ("key", "token"),
        _V,
        "czNjcmV0L0Ns...",
        lambda v: base64.urlsafe_b64encode(v.encode()).decode("ascii"),
    ),
    Form(
        "base64 inside a longer base64 string",
        ("key", "token"),
        _V,
        "Basic dXNlcjpz...",
        _b64_within,
    ),
    Form(
        "cut short, first 8 characters", ("key", "token"), _V, "...s3cret/C", lambda v: v[:MIN_RUN]
    ),
    Form(
        "cut short, last 8 characters", ("key", "token"), _V, "...3cret-K3y", lambda v: v[-MIN_RUN:]
    ),
    Form(
        "cut short, 16 hex characters or more",
        ("key", "token"),
        _V,
        "7333637265742f43",
        lambda v: v.encode().hex()[2 : 2 + HEX_RUN + 4],
    ),
    Form(
        "split by markup (<entry> pieces)",
        ("key", "token", "name"),
        _V,
        "<entry>s3cret/</entry>...",
        _split_markup,
    ),
    Form("apiKey= query parameter, by name", ("key",), _P, "?apiKey=anything&token=..."),
    Form(
        "40-hex token shape (token_shapes=True)",
        ("token",),
        _P,
        "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb",
    ),
    Form("E.164 with +", ("phone",), _PV, "+33612345678"),
    Form("international with 00", ("phone",), _PV, "0033612345678"),
    Form("international without +", ("phone",), _PV, "33612345678"),
    Form("JSON integer", ("phone",), _PV, '{"numero": 33612345678}'),
    Form("national, leading 0", ("phone",), _PV, "0612345678"),
    Form("national with spaces", ("phone",), _PV, "06 12 34 56 78"),
    Form("national with dots", ("phone",), _PV, "06.12.34.56.78"),
    Form("national with hyphens", ("phone",), _PV, "06-12-34-56-78"),
    Form("international with separators", ("phone",), _PV, "+33 6 12 34 56 78"),
    Form("international with 00 and hyphens", ("phone",), _PV, "0033-6-12-34-56-78"),
    Form("trunk zero in brackets", ("phone",), _PV, "+33 (0)6 12 34 56 78"),
    Form("percent-encoded +", ("phone",), _PV, "%2B33612345678"),
    Form("JSON-escaped +", ("phone",), _PV, "\\u002b33612345678"),
    Form("cut short (+: 5 digits, 00 or 0: 6)", ("phone",), _P, "+33 6 12"),
    Form("glued to letters", ("phone",), _V, "x0612345678"),
    Form("e-mail address", ("email",), _PV, "jean.dupont@example.fr"),
    Form("e-mail address, upper case", ("email",), _PV, "JEAN.DUPONT@EXAMPLE.FR"),
    Form("e-mail address, percent-encoded @", ("email",), _PV, "jean.dupont%40example.fr"),
    Form("e-mail address, HTML reference for @", ("email",), _PV, "jean.dupont&#64;example.fr"),
)
"""The forms recognised (the table of the module's docstring), for tests and documentation."""

READABLE: tuple[str, ...] = (
    "2015-07-20 10:19:45",
    "2015-07-20T10:19:45+02:00",
    "Mon, 20 Jul 2015 10:19:45 +0200",
    "0.900",
    "45.000",
    "0,90",
    "60200",
    '"nbData": 4',
    '"code": 10',
    "HTTP 400",
    "port 8000",
    "127.0.0.1:8000",
    "172.16.254.101",
    "version 1.0.0",
    "1437380385000",
    "000123456789",
    "id 19, 42, 57, 108",
    "x0612345678",
)
"""Ordinary values that stay readable (not masked by pattern)."""


# --- patterns --------------------------------------------------------------------------------

# An `apiKey=` value runs to the next `&`, quote, space or bracket: a key may hold `:;,()`, so
# those are masked with it rather than risk showing a key's tail.
_KEY_BY_NAME = re.compile(r"(?i)(api[_-]?key(?:\[\]|%5B%5D)?=)([^&\s\"'<>#]*)")
_SEP = "[ .\\-\u00a0]"
_DIGIT = f"(?:{_SEP}?[0-9])"
# The shapes are written as what follows their first character: that one is matched once, by
# a leading class, so that the engine skips fast over characters no shape starts with.
_PHONE = (
    r"(?<![\w+.\-/].)(?:"
    rf"(?<=\+)[1-9][0-9]{{0,2}}[ \u00a0]?\(0\)[ \u00a0]?[1-9]{_DIGIT}{{3,}}+"
    rf"|(?<=\+)[1-9]{_DIGIT}{{4,}}+"
    rf"|(?<=0)0[1-9]{_DIGIT}{{3,}}+"
    rf"|(?<=0)[1-9]{_DIGIT}{{4,}}+(?![a-z_])"
    rf"|(?<=1){_DIGIT}{{10}}(?!{_SEP}?[0-9])(?![a-z_])"
    rf"|(?<=[2-9]){_DIGIT}{{10,14}}+(?!{_SEP}?[0-9])(?![a-z_])"
    r")"
)
_TOKEN = r"(?<![0-9a-z].)(?<=[0-9a-f])(?:(?<=[a-f])|(?=[0-9]{0,38}[a-f]))[0-9a-f]{39}(?![0-9a-z])"  # noqa: S105
_RUN = r"(?<![0-9].)(?<=[0-9])(?![0-9]{3}-[0-9]{2}-[0-9]{2}(?![0-9]))"  # not a date
_NOT_PHONE = re.compile(
    r"\+?[0-9]+\.[0-9]+|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}.*"
)
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._%+-")
_EMAIL_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*+)(?:\.[a-z0-9-]++)++")
# An escape (percent, JSON, HTML): the text is searched once more with every escape decoded.
_ESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]{2})+|\\u[0-9A-Fa-f]{4}|\\[\\/\"'bfnrt]"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?"
)
_JSON_ESCAPES = {"\\\\": "\\", "\\/": "/", '\\"': '"', "\\'": "'", "\\b": "\b", "\\f": "\f"}
_JSON_ESCAPES |= {"\\n": "\n", "\\r": "\r", "\\t": "\t"}
_TAG = re.compile(r"<[^<>]*+>\s*+")
_GROUP = re.compile(r"[0-9]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")
_LONGEST_NUMBER = 17  # 00, a country code and the longest E.164 number
# Two-digit country codes (E.164); 1 and 7 are one digit, all others three.
_CC2 = frozenset(
    """20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62
    63 64 65 66 81 82 84 86 90 91 92 93 94 95 98""".split()  # noqa: SIM905
)


def _country_code_length(digits: str) -> int:
    if digits[:1] in ("1", "7"):
        return 1
    return 2 if digits[:2] in _CC2 else 3


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value.replace("(0)", ""))


def _national(value: str) -> str:
    """The number without its country code or trunk 0, as written in `value`."""
    digits = _digits(value)
    if value.lstrip().startswith("+") and len(digits) > 3:
        return digits[_country_code_length(digits) :]
    if digits.startswith("00") and len(digits) > 5:
        return digits[2 + _country_code_length(digits[2:]) :]
    if digits.startswith("0"):
        return digits[1:]
    if len(digits) >= 11:
        return digits[_country_code_length(digits) :]
    return digits


def _nationals_of_run(digits: str) -> set[str]:
    """Every reading of a run of digits as a national number (the run may hold a prefix)."""
    readings = {digits}
    if digits.startswith("00"):
        rest = digits[2:]
        if rest:
            readings.add(rest[_country_code_length(rest) :])
    elif digits.startswith("0"):
        readings.add(digits[1:])
    elif len(digits) >= 8:
        readings.add(digits[_country_code_length(digits) :])
    return readings


def _trie(words: Iterable[str]) -> str:
    """One regular expression matching each of `words`, longest first, as a prefix trie."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _emit(root)


def _emit(node: dict[str, Any]) -> str:
    parts = []
    for char in sorted(key for key in node if key):
        child = node[char]
        chain = [re.escape(char)]
        while len(child) == 1 and "" not in child:
            ((next_char, child),) = child.items()
            chain.append(re.escape(next_char))
        parts.append("".join(chain) + _emit(child))
    if not parts:
        return ""
    if "" in node:
        return "(?:" + "|".join(parts) + ")?"
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class _Values:
    """The keys, tokens and odd phone values, compiled: one alternation of their forms."""

    pattern: re.Pattern[str] | None
    kinds: dict[str, Kind]
    extend: dict[str, tuple[tuple[str, int], ...]]


@lru_cache(maxsize=64)
def _values(items: frozenset[tuple[Kind, str]]) -> _Values:
    kinds: dict[str, Kind] = {}
    extend: dict[str, list[tuple[str, int]]] = {}

    def put(entry: str, kind: Kind, form: str = "", offset: int = 0) -> None:
        known = kinds.get(entry)
        if known is None or _RANK[kind] < _RANK[known]:
            kinds[entry] = kind
        if form:
            extend.setdefault(entry, []).append((form, offset))

    def grams(form: str, size: int, kind: Kind) -> None:
        if len(form) <= LONG_FORM:
            put(form, kind)  # whole: one longest match, nothing to extend
        count = len(form) - size + 1
        if count <= 1:
            return
        stride = -(-count // MAX_GRAMS)  # a long form: every stride-th gram, and the last
        for offset in [*range(0, count, stride), count - 1]:
            put(form[offset : offset + size], kind, form, offset)

    for kind, value in sorted(items):
        plain = {_lower(form) for form in _plain_forms(value)}
        if kind not in ("key", "token") or len(value) < MIN_RUN:
            for form in plain:
                if len(form) <= LONG_FORM:
                    put(form, kind)
                else:  # an odd value, too long for one entry: found as a secret would be
                    grams(form, MIN_RUN, kind)
            continue
        for form in plain:
            grams(form, MIN_RUN, kind)
        data = value.encode("utf-8", "surrogatepass")
        grams(data.hex(), HEX_RUN, kind)
        for form in _base64_forms(data):
            grams(form.lower(), B64_RUN, kind)
    pattern = re.compile(_trie(kinds)) if kinds else None
    return _Values(pattern, kinds, {entry: tuple(forms) for entry, forms in extend.items()})


@lru_cache(maxsize=64)
def _names(names: frozenset[str]) -> re.Pattern[str] | None:
    forms = {_lower(form) for name in names for form in _plain_forms(name)}
    return re.compile(_trie(forms)) if forms else None


@lru_cache(maxsize=16)
def _shapes(phones: bool, tokens: bool, learnt_digits: int) -> re.Pattern[str] | None:
    """Phone numbers and tokens by shape, and runs of digits to look up learnt numbers in."""
    parts = []
    if tokens:
        parts.append(f"(?P<token>{_TOKEN})")
    if phones:
        parts.append(f"(?P<phone>{_PHONE})")
    if learnt_digits:
        parts.append(f"(?P<run>{_RUN}{_DIGIT}{{{learnt_digits - 1},}}+)")
    if not parts:
        return None
    head = "[+0-9a-f]" if tokens else "[+0-9]" if phones else "[0-9]"
    return re.compile(head + "(?:" + "|".join(parts) + ")")


@dataclass
class Work:
    """What masking cost, counted (tests check linear cost with it, never with a clock)."""

    scans: int = 0
    """Passes of a compiled pattern over a text."""
    chars: int = 0
    """Characters those passes covered."""
    candidates: int = 0
    """Candidates checked one by one in Python (a run of digits, an `@`, an escaped run)."""
    builds: int = 0
    """Times the patterns of the values known were rebuilt (after `add`)."""


@dataclass
class Redactor:
    """Finds keys, rental tokens, phone numbers, e-mail addresses and names; masks them.

    `secrets` are API keys, `tokens` rental tokens, `phones`, `emails` and `names` personal
    data known by value (patterns find the other phone numbers and e-mail addresses). `keep`
    lists public values that are never touched, whole or in part, wherever they appear (e.g.
    the deliberately wrong key a contract probe sends, or the placeholder a recording writes
    in place of the key: `REDACTED-API-KEY` holds `-API-KEY`, eight characters of a key
    `demo-api-key` in another letter case). `token_shapes=True` also masks any value shaped
    like a rental token (`TOKEN_SHAPE`), known or not: another rental's token echoed by a
    server.
    """

    secrets: Iterable[str] = field(default=(), repr=False)
    tokens: Iterable[str] = field(default=(), repr=False)
    phones: Iterable[str] = field(default=(), repr=False)
    keep: Iterable[str] = field(default=(), repr=False)
    emails: Iterable[str] = field(default=(), repr=False)
    names: Iterable[str] = field(default=(), repr=False)
    token_shapes: bool = False
    work: Work = field(default_factory=Work, init=False, compare=False, repr=False)
    _keep: frozenset[str] = field(init=False, default=frozenset(), compare=False, repr=False)
    _keep_lengths: frozenset[int] = field(
        init=False, default=frozenset(), compare=False, repr=False
    )
    _items: set[tuple[Kind, str]] = field(
        init=False, default_factory=set, compare=False, repr=False
    )
    _name_set: set[str] = field(init=False, default_factory=set, compare=False, repr=False)
    _phones: set[str] = field(init=False, default_factory=set, compare=False, repr=False)
    _phones_known: frozenset[str] | None = field(
        init=False, default=None, compare=False, repr=False
    )
    _phone_digits: set[str] = field(init=False, default_factory=set, compare=False, repr=False)
    _phone_lengths: set[int] = field(init=False, default_factory=set, compare=False, repr=False)
    _nationals: set[str] = field(init=False, default_factory=set, compare=False, repr=False)
    _emails: set[str] = field(init=False, default_factory=set, compare=False, repr=False)
    _fewest_digits: int = field(init=False, default=0, compare=False, repr=False)
    """Fewest digits of a learnt number or of its national part: runs shorter are skipped."""
    _built: tuple[_Values, re.Pattern[str] | None] | None = field(
        init=False, default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._keep = frozenset(_lower(value) for value in self.keep if value)
        self._keep_lengths = frozenset(len(value) for value in self._keep)
        given: tuple[tuple[Kind, Iterable[str]], ...] = (
            ("key", self.secrets),
            ("token", self.tokens),
            ("phone", self.phones),
            ("email", self.emails),
            ("name", self.names),
        )
        for kind, values in given:
            for value in values:
                self.add(value, kind)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{kind}s={count}"
            for kind, count in (
                ("key", sum(1 for kind, _ in self._items if kind == "key")),
                ("token", sum(1 for kind, _ in self._items if kind == "token")),
                ("phone", len(self._phones)),
                ("email", len(self._emails)),
                ("name", len(self._name_set)),
            )
        )
        return f"Redactor({counts}, token_shapes={self.token_shapes})"

    def add(self, value: str, kind: Kind) -> None:
        """Also find `value` (a key, a token, a phone number, an e-mail address or a name)."""
        if not value or _lower(value) in self._keep:
            return
        if kind == "phone":
            self._add_phone(value)
        elif kind == "email":
            address = _lower(value.strip())
            self._emails.add(address)
            if _email_at(address, address.find("@")) != (0, len(address)):
                self._add_item("email", value)  # not shaped like an address: found as written
        elif kind == "name" and len(value) > LONG_FORM:
            self._add_item("name", value)
        elif kind == "name":
            if len(value.strip()) >= 2 and value not in self._name_set:
                self._name_set.add(value)
                self._built = None
        else:
            self._add_item(kind, value)

    def _add_item(self, kind: Kind, value: str) -> None:
        if (kind, value) not in self._items:
            self._items.add((kind, value))
            self._built = None

    def _add_phone(self, value: str) -> None:
        if value in self._phones:
            return
        self._phones.add(value)
        self._phones_known = None
        digits = _digits(value)
        if len(digits) < MIN_PHONE_DIGITS:
            self._add_item("phone", value)
            return
        self._phone_digits.add(digits)
        self._phone_lengths.add(len(digits))
        national = _national(value)
        if len(national) >= MIN_PHONE_DIGITS:
            self._nationals.add(national)
        shortest = min(len(digits), len(national)) if national in self._nationals else len(digits)
        if not self._fewest_digits or shortest < self._fewest_digits:
            self._fewest_digits = shortest

    @property
    def phones_known(self) -> frozenset[str]:
        """The phone numbers added by value (a recording is searched for them before writing)."""
        known = self._phones_known
        if known is None:  # built once after each add, not at each call
            known = self._phones_known = frozenset(self._phones)
        return known

    # --- finding -----------------------------------------------------------------------------

    def _compiled(self) -> tuple[_Values, re.Pattern[str] | None]:
        built = self._built
        if built is None:
            self.work.builds += 1
            built = (_values(frozenset(self._items)), _names(frozenset(self._name_set)))
            self._built = built
        return built

    def _scan(self, pattern: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
        self.work.scans += 1
        self.work.chars += len(text)
        return pattern.finditer(text)

    def _plain(
        self,
        text: str,
        low: str,
        *,
        shapes: bool,
        lookups: bool = True,
        cuts: Callable[[], set[int]] | None = None,
    ) -> list[Span]:
        """Finds in `text` as written (`low` is `text` in lower case, same positions).

        `shapes`: what the patterns find too; `lookups`: the phone numbers and e-mail
        addresses learnt by value, looked up in the candidates the patterns find; `cuts`:
        positions that end a word whatever surrounds them (where markup was removed)."""
        values, names = self._compiled()
        spans: list[Span] = []
        if values.pattern is not None:
            covered = 0
            for match in self._scan(values.pattern, low):
                if match.start() >= covered:  # not inside the last find, extended
                    spans.append(self._extended(values, low, match))
                    covered = spans[-1][1]
        if names is not None:
            for match in self._scan(names, low):
                start, end = match.span()
                if _word(low, start - 1) and not (cuts and start in cuts()):
                    continue
                if _word(low, end) and not (cuts and end in cuts()):
                    continue
                spans.append((start, end, "name"))
        learnt = self._fewest_digits if lookups else 0
        pattern = _shapes(shapes, shapes and self.token_shapes, learnt)
        if pattern is not None:
            for match in self._scan(pattern, low):
                group = match.lastgroup
                start, end = match.span()
                found = match.group()
                if group == "run":
                    self.work.candidates += 1
                    spans += self._learnt_phones(found, start)
                elif group == "phone":
                    if ("." in found or "-" in found) and _NOT_PHONE.fullmatch(found):
                        continue  # a decimal, an IPv4 address, a date
                    spans.append((start, end, "phone"))
                elif found not in self._keep:
                    spans.append((start, end, "token"))
        if "@" in text and (shapes or (lookups and self._emails)):
            spans += self._email_spans(low, shapes=shapes)
        if shapes and "=" in text:
            self.work.scans += 1
            self.work.chars += len(text)
            for match in _KEY_BY_NAME.finditer(text):
                value = match.group(2)
                if value and _lower(value) not in self._keep:
                    spans.append((match.start(2), match.end(2), "key"))
        if self._keep:
            spans = [span for span in spans if not self._kept(low, *span)]
        return spans

    def _kept(self, low: str, start: int, end: int, kind: Kind) -> bool:
        """Whether a find is a kept value, or (a key, a token or a name) lies inside one."""
        if end - start in self._keep_lengths and low[start:end] in self._keep:
            return True
        if kind in ("phone", "email"):
            return False
        return any(
            low.find(kept, max(end - len(kept), 0), start + len(kept)) != -1
            for kept in self._keep
            if len(kept) > end - start
        )

    def _extended(self, values: _Values, low: str, match: re.Match[str]) -> Span:
        """A find of a run of a form, extended as far as the text goes on with that form, both
        ways (the grams of a long form are a stride apart)."""
        start, end = match.span()
        entry = match.group()
        best = end
        first = start
        for form, offset in values.extend.get(entry, ()):
            back = 0
            while (
                back < offset and back < start and low[start - back - 1] == form[offset - back - 1]
            ):
                back += 1
            first = min(first, start - back)
            rest = form[offset + len(entry) :]
            if low.startswith(rest, end):
                best = max(best, end + len(rest))
                continue
            length = 0
            limit = min(len(rest), len(low) - end)
            while length < limit and low[end + length] == rest[length]:
                length += 1
            best = max(best, end + length)
        return (first, best, values.kinds[entry])

    def _learnt_phones(self, run: str, start: int) -> list[Span]:
        """The learnt numbers in a run of digits and separators: any sequence of its groups
        read as a number (national or international), or the digits of one inside it."""
        spans: list[Span] = []
        groups = [(m.start(), m.end(), m.group()) for m in _GROUP.finditer(run)]
        for first, (group_start, _, _) in enumerate(groups):
            digits = ""
            for group_end_index in range(first, len(groups)):
                _, group_end, group = groups[group_end_index]
                digits += group
                if len(digits) > _LONGEST_NUMBER:
                    break
                if len(digits) >= MIN_PHONE_DIGITS and self._nationals & _nationals_of_run(digits):
                    spans.append((start + group_start, start + group_end, "phone"))
        digits = "".join(group for _, _, group in groups)
        positions = [index for index, char in enumerate(run) if char.isdigit()]
        for length in self._phone_lengths:
            for index in range(len(digits) - length + 1):
                if digits[index : index + length] in self._phone_digits:
                    first_at, last_at = positions[index], positions[index + length - 1]
                    spans.append((start + first_at, start + last_at + 1, "phone"))
        return spans

    def _email_spans(self, low: str, *, shapes: bool) -> list[Span]:
        spans: list[Span] = []
        self.work.scans += 1
        self.work.chars += len(low)
        at = low.find("@")
        while at != -1:
            self.work.candidates += 1
            found = _email_at(low, at)
            if found is not None and (shapes or low[found[0] : found[1]] in self._emails):
                spans.append((found[0], found[1], "email"))
            at = low.find("@", at + 1)
        return spans

    def _escaped(self, text: str, *, shapes: bool) -> list[Span]:
        """Finds that need the escapes of `text` decoded (percent, JSON, HTML, mixed)."""
        # for each escape decoded: where it is in `text`, and where its decoding is in `view`
        # (machine integers: a big recording holds millions of escapes, `\n` and `\"` of
        # its XML bodies, and a list of Python ints costs 36 bytes an offset where these
        # cost 8)
        source = array("q")
        source_end = array("q")
        target = array("q")
        target_end = array("q")
        growth = 0

        def decode(match: re.Match[str]) -> str:
            nonlocal growth
            token = match.group()
            piece = _unescape(token)
            if piece != token:
                self.work.candidates += 1
                start, end = match.span()
                source.append(start)
                source_end.append(end)
                target.append(start + growth)
                growth += len(piece) - len(token)
                target_end.append(end + growth)
            return piece

        self.work.scans += 1
        self.work.chars += len(text)
        view = _ESCAPE.sub(decode, text)
        if not source:
            return []

        def back(position: int, *, end: bool) -> int:
            index = bisect.bisect_right(target, position - end) - 1
            if index < 0:
                return position
            if position - end < target_end[index]:  # inside a decoded escape: all of it
                return source_end[index] if end else source[index]
            return position - (target_end[index] - source_end[index])

        spans: list[Span] = []
        for start, end, kind in self._plain(view, _lower(view), shapes=shapes):
            index = bisect.bisect_right(target, end - 1) - 1
            if index < 0 or target_end[index] <= start:
                continue  # no escape in it: the text as written has it already
            spans.append((back(start, end=False), back(end, end=True), kind))
        return spans

    def _markup(self, text: str) -> list[Span]:
        """Finds of a value split into pieces by markup tags (`<entry>s3cret</entry>...`)."""
        values, names = self._compiled()
        if values.pattern is None and names is None:
            return []
        self.work.scans += 1
        self.work.chars += len(text)
        joined = _TAG.sub("", text)
        if len(joined) == len(text):
            return []
        # where each tag would sit in `joined`, and how much was cut up to it: only worked
        # out when needed (a find, or a name to tell from a piece of a word)
        at = array("q")
        cut = array("q")
        positions: set[int] = set()

        def cuts() -> set[int]:
            if not at:
                removed = 0
                for match in _TAG.finditer(text):
                    at.append(match.start() - removed)
                    removed += match.end() - match.start()
                    cut.append(removed)
                positions.update(at)
            return positions

        found = self._plain(joined, _lower(joined), shapes=False, lookups=False, cuts=cuts)
        if not found:
            return []
        cuts()
        spans: list[Span] = []
        for start, end, kind in found:
            # each piece between two tags is its own span: the markup stays as it was
            index = bisect.bisect_right(at, start)
            piece_start = start
            while piece_start < end:
                shift = cut[index - 1] if index else 0
                piece_end = min(end, at[index]) if index < len(at) else end
                if piece_end > piece_start:
                    spans.append((piece_start + shift, piece_end + shift, kind))
                piece_start = piece_end
                index += 1
        return spans

    def _spans(self, text: str, *, shapes: bool = True) -> list[Span]:
        low = _lower(text)
        spans = self._plain(text, low, shapes=shapes)
        if "%" in text or "\\" in text or "&" in text:
            spans += self._escaped(text, shapes=shapes)
        if "<" in text:
            spans += self._markup(text)
        return _merge(spans)

    # --- public ------------------------------------------------------------------------------

    def substitute(self, text: str, replace: Callable[[Kind, str], str]) -> str:
        """`text` with every find replaced by `replace(kind, found_text)`."""
        spans = self._spans(text)
        if not spans:
            return text
        parts: list[str] = []
        last = 0
        for start, end, kind in spans:
            parts += [text[last:start], replace(kind, text[start:end])]
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def mask(self, text: str) -> str:
        """`text` as it may be shown: keys `***`, tokens `abcd••••`, phones `+33•••••••19`,
        e-mail addresses `j•••@•••.fr`, names `•••`."""
        return self.substitute(text, display)

    def finds(self, text: str) -> list[tuple[Kind, str]]:
        """What `mask` would hide in `text` (for tests and checks)."""
        return [(kind, text[start:end]) for start, end, kind in self._spans(text)]

    def leaks(self, text: str, *, shapes: bool = False) -> list[Kind]:
        """The kind of each value added by value still found in `text` (in any form of the
        table, case-insensitive), in text order: empty when `text` may be written.

        With `shapes=True`, what the patterns find counts too (any phone number, e-mail
        address, `apiKey=` value, or token shape when `token_shapes` is set)."""
        return [kind for _, _, kind in self._spans(text, shapes=shapes)]


def _word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _email_at(low: str, at: int) -> tuple[int, int] | None:
    """The e-mail address around the `@` at `at` in `low`, if there is one."""
    start = at
    while start > 0 and at - start < 64 and low[start - 1] in _EMAIL_LOCAL:
        start -= 1
    if start == at:
        return None
    domain = _EMAIL_DOMAIN.match(low, at + 1)
    if domain is None:
        return None
    end = domain.end()
    tld = low[low.rfind(".", at, end) + 1 : end]
    if not any(char.isalpha() for char in tld):
        return None
    return (start, end)


def _unescape(token: str) -> str:
    """One escape of `_ESCAPE` decoded (the token itself if it means nothing)."""
    if token.startswith("%"):
        return bytes.fromhex(token.replace("%", "")).decode("utf-8", "replace")
    if token.startswith("\\u"):
        return chr(int(token[2:], 16))
    if token.startswith("\\"):
        return _JSON_ESCAPES.get(token, token)
    return html.unescape(token)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping finds become one, of the kind that comes first in `KINDS`."""
    merged: list[Span] = []
    spans.sort()  # by start: a find that starts inside the last one joins it
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            best = last_kind if _RANK[last_kind] <= _RANK[kind] else kind
            merged[-1] = (last_start, max(last_end, end), best)
        else:
            merged.append((start, end, kind))
    return merged


def mask(
    text: str,
    *,
    secrets: Iterable[str] = (),
    tokens: Iterable[str] = (),
    phones: Iterable[str] = (),
    token_shapes: bool = False,
) -> str:
    """One-off `Redactor(secrets=..., tokens=..., phones=...).mask(text)`."""
    return Redactor(secrets=secrets, tokens=tokens, phones=phones, token_shapes=token_shapes).mask(
        text
    )


__all__ = [
    "B64_RUN",
    "FORMS",
    "HEX_RUN",
    "KEY_MASK",
    "KINDS",
    "MIN_PHONE_DIGITS",
    "MIN_RUN",
    "NAME_MASK",
    "READABLE",
    "TOKEN_SHAPE",
    "Form",
    "Kind",
    "Redactor",
    "Work",
    "display",
    "mask",
    "mask_email",
    "mask_phone",
    "mask_token",
]
