"""Masking at the edges: every exchange masked once as it enters the record, every output
verified as it leaves.

**Entry.** `Privacy.admit` is the only way an exchange reaches a run's record. It first learns
the personal data the answer carries (every value at a schema the spec marks
`x-personal-data`, JSON or XML), then replaces, in every string of the exchange (query, headers,
body in its own encoding, messages), the API key, the credentials, the secret parameters and
every personal value, by value and by shape (`smspartner_client.redact`), with stable,
format-preserving placeholders (`Placeholders`). From there on the grading, the reports and
the recording only ever see placeholders: nothing downstream masks again.

**Exit.** `Outputs.write` is the only way a run writes a file. It searches the text for every
real value the run learnt, in every encoding the masking module knows, and refuses to write a
file that still holds one (`OutputRefused`, one line). A writer that forgets something cannot
leak it.

Placeholders cannot be mistaken for real data: international phone numbers become numbers of
the ITU's spare country code 999 (nobody's), national ones numbers of the range ARCEP reserves
for fiction (06 39 98 xx xx), e-mail addresses `personN@example.invalid` (RFC 2606); a stand-in
that equals a real value the run saw is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace as evolve
from pathlib import Path
from typing import Any

from smspartner_client.redact import Redactor
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)

from smspartner_contract import checks
from smspartner_contract.exchange import Exchange
from smspartner_contract.facts import facts_of
from smspartner_contract.walk import paths_to, values_at

_HEX = frozenset("0123456789abcdef")
INTERNATIONAL_PREFIX = "999"
"""ITU-T E.164 spare country code: no subscriber number starts with it."""
NATIONAL_PREFIX = "063998"
"""ARCEP's range for fiction (06 39 98 00 00 to 06 39 98 99 99): no subscriber has one."""
EMAIL_DOMAIN = "example.invalid"
MIN_PERSONAL_LENGTH = 6
"""Shorter values under a personal-data field (a count, "0") are not learnt as such."""


class OutputRefused(Exception):
    """An output would hold a secret or personal data: it was not written (one line)."""


def _digits_stand_in(value: str, number: int) -> str:
    """`value` with its digits replaced by a fictional number's, separators kept."""
    digits = sum(char.isdigit() for char in value)
    stripped = value.lstrip()
    if stripped.startswith("00"):
        head = "00" + INTERNATIONAL_PREFIX
    elif stripped.startswith("0"):
        head = NATIONAL_PREFIX if digits >= len(NATIONAL_PREFIX) + 2 else "0"
    else:
        head = INTERNATIONAL_PREFIX
    room = digits - len(head)
    fresh = head[:digits] if room <= 0 else head + str(number % 10**room).zfill(room)
    out = iter(fresh)
    return "".join(next(out) if char.isdigit() else char for char in value)


class Placeholders:
    """Stable, format-preserving stand-ins for one run's (or one file's) secrets and data."""

    def __init__(self, avoid: Callable[[str], bool] = lambda _: False) -> None:
        self._given: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self._avoid = avoid

    def __call__(self, kind: str, value: str) -> str:
        known = self._given.get((kind, value))
        if known is not None:
            return known
        while True:
            number = self._counts.get(kind, 0) + 1
            self._counts[kind] = number
            stand_in = self._make(kind, value, number)
            fresh = stand_in != value and not self._avoid(stand_in)
            if fresh or number > 10**7:  # (a value shorter than any stand-in: keep the last)
                break
        self._given[(kind, value)] = stand_in
        return stand_in

    @staticmethod
    def _make(kind: str, value: str, number: int) -> str:
        if kind == "key":
            return API_KEY_PLACEHOLDER
        if kind == "token":
            if value and set(value.lower()) <= _HEX:
                return f"{number:0{len(value)}x}"[-len(value) :]
            return "T" + str(number).zfill(max(len(value) - 1, 1))
        if kind == "email":
            return f"person{number}@{EMAIL_DOMAIN}"
        if kind == "name":
            return f"Person {number}"
        return _digits_stand_in(value, number)


def _scrub_bytes(body: bytes, replace: Callable[[str], str]) -> bytes:
    """The body with `replace` applied to its text, in the body's own encoding."""
    try:
        encoding = json.detect_encoding(body)
    except (TypeError, ValueError):
        encoding = "utf-8"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "utf-8", body.decode("utf-8", "surrogateescape")
    return replace(text).encode(encoding, "surrogateescape")


def _new_redactor(secrets: Sequence[str], tokens: Sequence[str], keep: Sequence[str]) -> Redactor:
    """The masking module's finder; values shaped like a rental token are masked too (another
    rental's token echoed by the server)."""
    return Redactor(secrets=secrets, tokens=tokens, keep=keep, token_shapes=True)


class Privacy:
    """What one run must not let out, and the masking of everything it records."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        key: str | None = None,
        secrets: Iterable[str] = (),
        keep: Sequence[str] = (checks.WRONG_KEY, checks.UNKNOWN_VALUE, API_KEY_PLACEHOLDER),
    ) -> None:
        self.spec = spec
        self.facts = facts_of(spec)
        self._real: set[str] = set()
        tokens = [value for value in secrets if value]
        self.redactor = _new_redactor([key] if key else [], tokens, keep)
        self._real.update(value.lower() for value in [key or "", *tokens] if value)
        self.placeholders = Placeholders(avoid=lambda stand_in: stand_in.lower() in self._real)

    @classmethod
    def for_replay(cls, spec: Mapping[str, Any]) -> Privacy:
        """A recording is masked already: nothing real is known, shapes are still masked."""
        return cls(spec)

    # ---- entry ----------------------------------------------------------------------------

    def learn(self, interaction: Interaction) -> None:
        """Learn the personal data an answer carries at the spec's marked fields."""
        response = interaction.response
        personal = self.facts.personal
        if response is None or not personal:
            return
        exchange = Exchange(interaction)
        decoded = exchange.decoded or exchange.lenient
        if decoded is None:
            return
        status = checks.judged_status(self.spec, exchange, self.facts)
        label = interaction.operation
        schema = checks.media_schema(
            self.spec, label, status, response.media_type
        ) or checks.media_schema(self.spec, label, status, checks.MEDIA[decoded[0]])
        if schema is None:
            return

        def personal_kind(node: Mapping[str, Any]) -> str | None:
            return personal.get(str(node.get("$ref", "")))

        for path, kind in paths_to(self.spec, schema, personal_kind):
            for value in values_at(decoded[1], path):
                if isinstance(value, str | int) and not isinstance(value, bool):
                    text = str(value)
                    if len(text.strip()) >= MIN_PERSONAL_LENGTH:
                        self.add(text, kind)

    def add(self, value: str, kind: str) -> None:
        """Mask `value` (a key, token, phone, email or name) from now on."""
        self._real.add(value.lower())
        self.redactor.add(value, kind)  # type: ignore[arg-type]

    def text(self, text: str) -> str:
        """`text` with every secret and personal value replaced by its placeholder."""
        return self.redactor.substitute(text, self.placeholders)

    def admit(self, interaction: Interaction) -> Interaction:
        """The exchange as it may be recorded: personal data learnt, then everything masked."""
        self.learn(interaction)
        text = self.text
        request = interaction.request
        response = interaction.response
        generation = interaction.generation
        return evolve(
            interaction,
            probe=None if interaction.probe is None else text(interaction.probe),
            request=RecordedRequest(
                method=request.method,
                path=text(request.path),
                query=tuple((text(name), text(value)) for name, value in request.query),
            ),
            response=None
            if response is None
            else RecordedResponse(
                status=response.status,
                headers=tuple((name, text(value)) for name, value in response.headers),
                body=_scrub_bytes(response.body, text),
                message=text(response.message),
                elapsed=response.elapsed,
            ),
            generation=evolve(generation, description=text(generation.description)),
            error=None if interaction.error is None else text(interaction.error),
        )

    # ---- exit -----------------------------------------------------------------------------

    def leaks(self, text: str) -> list[str]:
        """The kinds of the real values `text` still holds, in any encoding the masking module
        knows (empty: the text may be written)."""
        return sorted(set(self.redactor.leaks(text)))


class Outputs:
    """The one place a run writes its files: each text is verified before it is written."""

    def __init__(self, directory: Path, privacy: Privacy) -> None:
        self.directory = directory
        self.privacy = privacy
        self.written: list[Path] = []

    def clear(self, names: Iterable[str]) -> None:
        """Remove what a previous run left under these names (a crash must not leave last
        night's reports presented as tonight's)."""
        for name in names:
            (self.directory / name).unlink(missing_ok=True)

    def write(self, name: str, text: str) -> Path:
        """Write `name`; OutputRefused (nothing written) if the text holds a real value."""
        found = self.privacy.leaks(text)
        if found:
            raise OutputRefused(
                f"{name} was not written: it would hold {', '.join(found)} (a masking gap)"
            )
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.written.append(path)
        return path
