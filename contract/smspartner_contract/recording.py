"""A run's record to a cassette and back, the key, tokens and phone numbers replaced first.

The replacement is the run's `Redactor` (smspartner_client.redact: the same finder as every
report), rendered by `Placeholders`: stable within a file (the same real value always gets the
same stand-in, so a replay sees the same shapes and two recordings can be matched request by
request) and format-preserving, so that a replay validates what the run validated:

- the API key (whole or cut) becomes `REDACTED-API-KEY`;
- a rental token becomes a counter of the same length and alphabet (`0000...0001` for a hex
  token), a national or international phone number a counter of the same length after its
  first two or three characters (`+33000000001`, `0600000001`).

Every string of the cassette goes through it (query values, header values, bodies, case
metadata, error texts) before YAML is written, and the written text is searched once more: a
find left there means the file is not written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from smspartner_client.redact import Kind, Redactor
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
    load_cassette,
)

from smspartner_contract.run import Record

_HEX = frozenset("0123456789abcdef")


class CassetteLeak(Exception):
    """Redaction left something to find in the cassette text: it was not written."""


class Placeholders:
    """Stable, format-preserving stand-ins for the key, tokens and phone numbers of one file."""

    def __init__(self) -> None:
        self._given: dict[tuple[Kind, str], str] = {}
        self._counts: dict[Kind, int] = {"key": 0, "token": 0, "phone": 0}

    def __call__(self, kind: Kind, value: str) -> str:
        known = self._given.get((kind, value))
        if known is not None:
            return known
        self._counts[kind] += 1
        number = self._counts[kind]
        if kind == "key":
            stand_in = API_KEY_PLACEHOLDER
        elif kind == "token":
            if set(value.lower()) <= _HEX:
                stand_in = f"{number:0{len(value)}x}"
            else:
                stand_in = "T" + str(number).zfill(max(len(value) - 1, 1))
        else:
            keep = 3 if value.startswith("+") else 2
            stand_in = value[:keep] + str(number).zfill(max(len(value) - keep, 1))
        self._given[(kind, value)] = stand_in
        return stand_in


def _scrub(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {replace(str(k)): _scrub(v, replace) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, replace) for item in value]
    return value


def text_encoding(body: bytes) -> str:
    """The encoding a body's text is in, as JSON's rules tell it (UTF-8, -16 or -32, BOMs)."""
    try:
        return json.detect_encoding(body)
    except (TypeError, ValueError):
        return "utf-8"


def _scrub_bytes(body: bytes, replace: Callable[[str], str]) -> bytes:
    """The body with `replace` applied to its text, in the body's own encoding."""
    encoding = text_encoding(body)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "utf-8", body.decode("utf-8", "surrogateescape")
    return replace(text).encode(encoding, "surrogateescape")


def redacted(interaction: Interaction, replace: Callable[[str], str]) -> Interaction:
    """A copy of `interaction` with every string (and the body) passed through `replace`."""
    request = interaction.request
    response = interaction.response
    return Interaction(
        id=interaction.id,
        source=interaction.source,
        operation=interaction.operation,
        probe=None if interaction.probe is None else replace(interaction.probe),
        request=RecordedRequest(
            method=request.method,
            path=replace(request.path),
            query=tuple((replace(k), replace(v)) for k, v in request.query),
        ),
        response=None
        if response is None
        else RecordedResponse(
            status=response.status,
            headers=tuple((k, replace(v)) for k, v in response.headers),
            body=_scrub_bytes(response.body, replace),
            message=replace(response.message),
            elapsed=response.elapsed,
        ),
        meta=None if interaction.meta is None else _scrub(dict(interaction.meta), replace),
        error=None if interaction.error is None else replace(interaction.error),
    )


def _versions() -> str:
    versions = []
    for name in ("smspartner-contract", "schemathesis"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (unknown version)")
    return ", ".join(versions)


def to_cassette(record: Record, redactor: Redactor, spec_version: str) -> Cassette:
    """The redacted cassette of a run."""
    stand_ins = Placeholders()

    def replace(text: str) -> str:
        return redactor.substitute(text, stand_ins)

    return Cassette(
        target=replace(record.target),
        mode=record.mode,
        spec_version=spec_version,
        recorded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        recorded_with=_versions(),
        interactions=[redacted(item, replace) for item in record.interactions],
        run={
            "rental_token": record.rental_token,
            "requests": record.requests,
            "seconds": round(record.seconds, 3),
            "gaps": [replace(gap) for gap in record.gaps],
            "errors": [replace(error) for error in record.errors],
            "stopped": None if record.stopped is None else replace(record.stopped),
            "interrupted": record.interrupted,
            "unusable": record.unusable,
        },
    )


def write_cassette(record: Record, redactor: Redactor, spec_version: str, path: Path) -> None:
    """Write the redacted cassette; CassetteLeak (nothing written) if a find survived."""
    cassette = to_cassette(record, redactor, spec_version)
    text = dump_cassette(cassette)
    bodies = [i.response.body for i in cassette.interactions if i.response is not None]
    texts = [text, *(body.decode(text_encoding(body), "replace") for body in bodies)]
    # Phone placeholders look like phone numbers on purpose: a key or a token is told from its
    # stand-in by what it is, a phone number by the values the run learnt.
    left = [
        kind
        for chunk in texts
        for kind, value in redactor.finds(chunk)
        if (kind != "phone" and value != API_KEY_PLACEHOLDER)
        or (kind == "phone" and value in redactor.phones_known)
    ]
    if left:
        raise CassetteLeak(f"redaction left {len(left)} find(s) ({', '.join(sorted(set(left)))})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def to_record(cassette: Cassette) -> Record:
    """The record a replay grades: the cassette's exchanges and how its run ended."""
    run = cassette.run
    interrupted = run.get("interrupted")
    return Record(
        target=cassette.target,
        mode=cassette.mode,
        rental_token=bool(run.get("rental_token", False)),
        interactions=list(cassette.interactions),
        requests=int(run.get("requests", len(cassette.interactions))),
        gaps=[str(gap) for gap in run.get("gaps", [])],
        errors=[str(error) for error in run.get("errors", [])],
        stopped=None if run.get("stopped") is None else str(run["stopped"]),
        interrupted=int(interrupted) if isinstance(interrupted, int) else None,
        unusable=bool(run.get("unusable", False)),
        seconds=float(run.get("seconds", 0.0)),
    )


def read_record(path: Path) -> Record:
    return to_record(load_cassette(path))
