"""Play a recording: answer each recorded request with the recorded answer, byte for byte.

The recording is a contract run's cassette, read with `smspartner_emulator.recording`'s
`load_cassette` (a regular file within its cap: a FIFO or a directory is refused in one line,
as are aliases, deep nesting and values that cannot be read). A request matches a recorded
one when the method, the path below /v1 and the query pairs (as a multiset: order does not
matter) are equal, where a recorded value equal to the cassette's API-key placeholder matches
any key the fixtures accept, and where no `_format` is `_format=json` (the API's default:
the typed client sends none, a contract run always sends one). Every other value must be
equal (a pair missing or added is another request): a cassette holds placeholders for
tokens, and a client sends the placeholder. The first recording of a request wins. The
answer has the recorded status, body and `Content-Type` (and `Retry-After`, when recorded);
a request that matches nothing is left to the fixtures.

Reading (`read_recording`) needs neither Starlette nor uvicorn: the pytest plugin checks a
`--smspartner-replay` file when pytest starts, and plays it (`load_replay`) only when a test
asks for the emulator. `Recording.rental_token(status)` is the token a test sends to get a
recorded rental answer of that status text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from smspartner_emulator.query import read_pairs
from smspartner_emulator.recording import API_KEY_PLACEHOLDER, CassetteError, load_cassette

if TYPE_CHECKING:
    from smspartner_emulator.answers import Answer

REPLAYED_HEADERS = ("retry-after",)
"""Recorded headers sent again besides `Content-Type` (dates, lengths and encodings are not)."""
PLAYABLE_STATUSES = range(200, 600)
"""Statuses a recorded answer may have (an informational status is not a final answer)."""
RENTAL_PATH = "/location/status"
FORMAT = "_format"
DEFAULT_FORMAT = "json"

RequestKey = tuple[str, str, tuple[tuple[str, str], ...]]


class ReplayError(ValueError):
    """A cassette that cannot be played; the message is one line naming the file."""


def _sendable(value: str) -> bool:
    return value.isprintable() and all(ord(char) < 256 for char in value)


def request_key(method: str, path: str, pairs: Iterable[tuple[str, str]]) -> RequestKey:
    """What matches a request: method, path below /v1 and the sorted query pairs, with
    `_format=json` when no `_format` is sent (the same request to the API)."""
    pairs = list(pairs)
    if all(name != FORMAT for name, _ in pairs):
        pairs.append((FORMAT, DEFAULT_FORMAT))
    return method.upper(), path, tuple(sorted(pairs))


@dataclass(frozen=True)
class Recorded:
    """One recorded answer as it will be sent: status, headers to send again, body."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class RecordedRental:
    """A successful JSON rental answer of the recording: the token sent, the status text."""

    token: str = field(repr=False)
    status: str


@dataclass(frozen=True)
class Recording:
    """A cassette read and checked for replay (no Starlette): answers by request."""

    source: str
    answers: Mapping[RequestKey, Recorded]
    rentals: tuple[RecordedRental, ...] = field(default=())

    def __repr__(self) -> str:
        # Counts only: recorded queries hold tokens, recorded bodies phone numbers.
        return (
            f"Recording(source={self.source!r}, answers={len(self.answers)},"
            f" rentals={len(self.rentals)})"
        )

    def rental_token(self, status_text: str) -> str:
        """The token of a recorded rental whose status is `status_text`; LookupError if none.

        The error says why in one line: no rental answer recorded at all, or the status texts
        that were recorded (texts, never tokens).
        """
        for rental in self.rentals:
            if rental.status == status_text:
                return rental.token
        if not self.rentals:
            raise LookupError(
                f"the recording {self.source} holds no successful JSON answer of"
                f" GET {RENTAL_PATH}: it has no rental token to give"
            )
        seen = sorted({rental.status for rental in self.rentals})
        raise LookupError(
            f"the recording {self.source} holds no rental with status {status_text!r}"
            f" (recorded: {', '.join(repr(text) for text in seen)})"
        )


def _rental(
    path: str, query: Iterable[tuple[str, str]], status: int, body: bytes
) -> RecordedRental | None:
    if path != RENTAL_PATH or status != 200:
        return None
    pairs = dict(query)
    token = pairs.get("token")
    if not token or pairs.get(FORMAT, DEFAULT_FORMAT) != DEFAULT_FORMAT:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("success") is not True:
        return None
    text = data.get("status")
    return RecordedRental(token, text) if isinstance(text, str) else None


def read_recording(path: str | Path) -> Recording:
    """Read and check a cassette for replay; ReplayError (one line naming the file) if unusable."""
    source = str(path)
    try:
        cassette = load_cassette(path)
    except CassetteError as exc:
        raise ReplayError(str(exc)) from None
    answers: dict[RequestKey, Recorded] = {}
    rentals: list[RecordedRental] = []
    for index, interaction in enumerate(cassette.interactions):
        response = interaction.response
        if response is None:
            continue
        if response.status not in PLAYABLE_STATUSES:
            raise ReplayError(
                f"{source}: interactions[{index}].response.status: {response.status} cannot be"
                f" replayed (expected {PLAYABLE_STATUSES.start}-{PLAYABLE_STATUSES.stop - 1})"
            )
        request = interaction.request
        key = request_key(request.method, request.path, request.query)
        if key in answers:
            continue
        headers = {
            name: value
            for name in ("content-type", *REPLAYED_HEADERS)
            if (value := response.header(name)) is not None
        }
        for name, value in headers.items():
            if not _sendable(value):
                raise ReplayError(
                    f"{source}: interactions[{index}].response.headers: {name} cannot be sent"
                    " (control or non-Latin-1 characters)"
                )
        answers[key] = Recorded(response.status, headers, response.body)
        if request.method.upper() == "GET":
            rental = _rental(request.path, request.query, response.status, response.body)
            if rental is not None:
                rentals.append(rental)
    return Recording(source, answers, tuple(rentals))


@dataclass(frozen=True)
class Replay:
    """The recorded answers, ready to send; `api_keys` are the keys the placeholder stands for."""

    answers: Mapping[RequestKey, Answer]
    api_keys: frozenset[str]
    placeholder: str
    recording: Recording | None = None

    def __repr__(self) -> str:
        # Counts only: the keys never show, nor the recorded queries (tokens).
        return (
            f"Replay(answers={len(self.answers)}, api_keys={len(self.api_keys)},"
            f" recording={self.recording!r})"
        )

    def answer(self, method: str, path: str, query: bytes) -> Answer | None:
        """The recorded answer of a request (path below /v1), or None."""
        pairs = []
        for name, value in read_pairs(query):
            if value in self.api_keys:
                value = self.placeholder
            elif value == self.placeholder:
                return None  # the placeholder stands for a key, it is not one
            pairs.append((name, value))
        return self.answers.get(request_key(method, path, pairs))


def load_replay(source: str | Path | Recording, api_keys: Iterable[str]) -> Replay:
    """A recording ready to play (read first when given a path); ReplayError if unusable."""
    from smspartner_emulator.answers import make_answer  # Starlette: only to play

    recording = source if isinstance(source, Recording) else read_recording(source)
    answers = {
        key: make_answer(recorded.body, recorded.status, None, recorded.headers)
        for key, recorded in recording.answers.items()
    }
    # Given as a header, not a media type: Starlette would add a charset to `text/*`.
    return Replay(answers, frozenset(api_keys), API_KEY_PLACEHOLDER, recording)
