"""Finding and masking secrets and personal data: the API key, rental tokens, phone numbers.

One implementation for the whole kit (the client's errors, the emulator's log, the contract
run's reports and recordings). What it finds, it renders in one of two ways:

- `Redactor.mask(text)`, for people (messages, logs, reports): the key becomes `***`, a rental
  token its first four characters then `••••`, a phone number its first three and last two
  characters (`+33•••••••19`).
- `Redactor.substitute(text, replace)`: each find replaced by what `replace(kind, value)`
  returns (the contract run's recordings use stable, format-preserving placeholders).

Secrets (the key, tokens) are found by value, in every form a message may carry them (as is,
percent-encoded, `+` for spaces, JSON-escaped with or without `\\/` and `\\uXXXX`, HTML
entities), and also when cut short: any run of `MIN_RUN` (8) or more characters of a secret is
found, so a message truncated in the middle of a key shows no part of it that long. A secret
shorter than `MIN_RUN` is only found whole. `apiKey=` values (any spelling: `api_key`,
`apikey`, `apiKey[]`) are found by name, whatever they hold. Phone numbers are found by
pattern (`+` or `00` then digits, or a national number starting with 0, digits possibly
grouped by spaces), also when cut short, and by value when the caller adds them (any form the
patterns miss: the contract run adds every value of a phone-number field it reads).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, quote_plus

Kind = Literal["key", "token", "phone"]
MIN_RUN = 8
"""Shortest run of a secret's characters that is masked on its own (a cut-short secret)."""
KEY_MASK = "***"
BULLETS = "••••"

# An `apiKey=` value runs to the next `&`, quote, space or bracket: a key may hold `:;,()`, so
# those are masked with it rather than risk showing a key's tail.
_KEY_BY_NAME = re.compile(r"(?i)(api[_-]?key(?:\[\]|%5B%5D)?=)([^&\s\"'<>#]*)")
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)[0-9](?: ?[0-9]){3,}")
_NATIONAL = re.compile(r"(?<![\w.+/-])0[1-9](?: ?[0-9]){4,}(?![\w.])")


def _forms(secret: str) -> set[str]:
    """The ways `secret` can appear in a message, a URL, a JSON or an HTML body."""
    ascii_json = json.dumps(secret)[1:-1]
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        ascii_json,
        ascii_json.replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        html.escape(secret),
    }
    return {form for form in forms if form}


def mask_phone(value: str) -> str:
    """`+33612345678` -> `+33•••••••78`; a short (cut) number keeps only its first three."""
    if len(value) <= 6:
        return value[:3] + "•" * max(len(value) - 3, 1)
    return value[:3] + "•" * (len(value) - 5) + value[-2:]


def mask_token(value: str) -> str:
    """A rental token shown by its first four characters."""
    return value[:4] + BULLETS


@dataclass
class Redactor:
    """Finds the API key, rental tokens and phone numbers in text; masks or substitutes them.

    `secrets` are API keys, `tokens` rental tokens, `phones` phone numbers known by value
    (patterns find the others). `keep` lists public values that are never touched (e.g. the
    deliberately wrong key a contract probe sends).
    """

    secrets: Iterable[str] = ()
    tokens: Iterable[str] = ()
    phones: Iterable[str] = ()
    keep: Iterable[str] = ()
    _secret_forms: dict[str, Kind] = field(init=False, default_factory=dict)
    _grams: dict[str, Kind] = field(init=False, default_factory=dict)
    _phones: set[str] = field(init=False, default_factory=set)
    _keep: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        self._keep = frozenset(value for value in self.keep if value)
        for secret in self.secrets:
            self.add(secret, "key")
        for token in self.tokens:
            self.add(token, "token")
        for phone in self.phones:
            self.add(phone, "phone")

    def add(self, value: str, kind: Kind) -> None:
        """Also find `value` (a key, a token or a phone number) from now on."""
        if not value or value in self._keep:
            return
        if kind == "phone":
            self._phones.add(value)
            return
        for form in _forms(value):
            self._secret_forms.setdefault(form, kind)
            for start in range(len(form) - MIN_RUN + 1):
                self._grams.setdefault(form[start : start + MIN_RUN], kind)

    def _secret_spans(self, text: str) -> list[tuple[int, int, Kind]]:
        spans: list[tuple[int, int, Kind]] = []
        for form, kind in self._secret_forms.items():
            if len(form) < MIN_RUN:
                start = text.find(form)
                while start != -1:
                    spans.append((start, start + len(form), kind))
                    start = text.find(form, start + len(form))
        if self._grams:
            index = 0
            while index <= len(text) - MIN_RUN:
                found = self._grams.get(text[index : index + MIN_RUN])
                if found is None:
                    index += 1
                    continue
                end = index + MIN_RUN
                while end < len(text) and any(
                    text[index : end + 1] in form for form in self._secret_forms
                ):
                    end += 1
                spans.append((index, end, found))
                index = end
        return spans

    def _spans(self, text: str) -> list[tuple[int, int, Kind]]:
        spans = self._secret_spans(text)
        for match in _KEY_BY_NAME.finditer(text):
            if match.group(2) and match.group(2) not in self._keep:
                spans.append((match.start(2), match.end(2), "key"))
        for pattern in (_INTERNATIONAL, _NATIONAL):
            spans += [(m.start(), m.end(), "phone") for m in pattern.finditer(text)]
        for phone in self._phones:
            start = text.find(phone)
            while start != -1:
                spans.append((start, start + len(phone), "phone"))
                start = text.find(phone, start + len(phone))
        return _merge(spans)

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
        """`text` as it may be shown: keys `***`, tokens `abcd••••`, phones `+33•••••••19`."""
        return self.substitute(text, _display)

    @property
    def phones_known(self) -> frozenset[str]:
        """The phone numbers added by value (a recording is searched for them before writing)."""
        return frozenset(self._phones)

    def finds(self, text: str) -> list[tuple[Kind, str]]:
        """What `mask` would hide in `text` (for tests and checks)."""
        return [(kind, text[start:end]) for start, end, kind in self._spans(text)]


def _display(kind: Kind, value: str) -> str:
    if kind == "key":
        return KEY_MASK
    if kind == "token":
        return mask_token(value)
    return mask_phone(value)


def _merge(spans: list[tuple[int, int, Kind]]) -> list[tuple[int, int, Kind]]:
    """Overlapping finds become one; a key or token wins over a phone pattern inside it."""
    rank = {"key": 0, "token": 1, "phone": 2}
    merged: list[tuple[int, int, Kind]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            best = last_kind if rank[last_kind] <= rank[kind] else kind
            merged[-1] = (last_start, max(last_end, end), best)
        else:
            merged.append((start, end, kind))
    return merged


def mask(text: str, *, secrets: Iterable[str] = (), tokens: Iterable[str] = ()) -> str:
    """One-off `Redactor(secrets=..., tokens=...).mask(text)`."""
    return Redactor(secrets=secrets, tokens=tokens).mask(text)


__all__ = ["KEY_MASK", "MIN_RUN", "Kind", "Redactor", "mask", "mask_phone", "mask_token"]
