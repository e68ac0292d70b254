"""Play a recording: answer each recorded request with the recorded answer, byte for byte.

The recording is a contract run's cassette, read with `smspartner_emulator.recording`. A
request matches a recorded one when the method, the path below /v1 and the query pairs (as a
multiset: order does not matter) are equal, where a recorded value equal to the cassette's
API-key placeholder matches any key the fixtures accept. Every other value must be equal: a
cassette holds placeholders for tokens, and a client sends the placeholder. The first
recording of a request wins. The answer has the recorded status, body and `Content-Type` (and
`Retry-After`, when recorded); a request that matches nothing is left to the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from smspartner_emulator.answers import Answer, make_answer
from smspartner_emulator.query import read_pairs
from smspartner_emulator.recording import API_KEY_PLACEHOLDER, CassetteError, load_cassette

REPLAYED_HEADERS = ("retry-after",)
"""Recorded headers sent again besides `Content-Type` (dates, lengths and encodings are not)."""
PLAYABLE_STATUSES = range(200, 600)
"""Statuses a recorded answer may have (an informational status is not a final answer)."""

RequestKey = tuple[str, str, tuple[tuple[str, str], ...]]


class ReplayError(ValueError):
    """A cassette that cannot be played; the message is one line naming the file."""


def _sendable(value: str) -> bool:
    return value.isprintable() and all(ord(char) < 256 for char in value)


def request_key(method: str, path: str, pairs: Iterable[tuple[str, str]]) -> RequestKey:
    """What matches a request: method, path below /v1 and the sorted query pairs."""
    return method.upper(), path, tuple(sorted(pairs))


@dataclass(frozen=True)
class Replay:
    """The recorded answers, by request; `api_keys` are the keys the placeholder stands for."""

    answers: Mapping[RequestKey, Answer]
    api_keys: frozenset[str]
    placeholder: str

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


def load_replay(path: str | Path, api_keys: Iterable[str]) -> Replay:
    """Read a cassette for replay; ReplayError (one line) when it cannot be read or played."""
    try:
        cassette = load_cassette(path)
    except CassetteError as exc:
        raise ReplayError(str(exc)) from None
    answers: dict[RequestKey, Answer] = {}
    for index, interaction in enumerate(cassette.interactions):
        response = interaction.response
        if response is None:
            continue
        if response.status not in PLAYABLE_STATUSES:
            raise ReplayError(
                f"{path}: interactions[{index}].response.status: {response.status} cannot be"
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
                    f"{path}: interactions[{index}].response.headers: {name} cannot be sent"
                    " (control or non-Latin-1 characters)"
                )
        # Given as a header, not a media type: Starlette would add a charset to `text/*`.
        answers[key] = make_answer(response.body, response.status, None, headers)
    return Replay(answers, frozenset(api_keys), API_KEY_PLACEHOLDER)
