"""The recording of a contract run: every request sent and every answer, redacted, in YAML.

Format `smspartner-contract-cassette/1`, written and read with PyYAML (safe loader only):

```yaml
format: smspartner-contract-cassette/1
recorded_with: smspartner-contract 0.2.0, schemathesis 4.32.5
recorded_at: "2026-12-01T06:17:03Z"
target: https://api.smspartner.fr/v1
mode: live            # live: the probe plan only; full: plan and schemathesis phases
spec_version: 1.0.0
run: {rental_token: true, requests: 11, seconds: 6.1, gaps: [], errors: [], stopped: null}
interactions:
  - id: plan-01
    source: plan      # plan, examples, coverage or fuzzing
    probe: stop list, JSON        # plan only: what the request is for
    operation: GET /stop-sms/list
    request:
      {method: GET, path: /stop-sms/list, query: [[apiKey, REDACTED-API-KEY], [_format, json]]}
    meta: {...}       # schemathesis CaseMetadata.to_dict(): what some checks need to re-run
    response:
      status: 200
      message: OK
      headers: [[content-type, application/json]]
      body: {text: '{"success":true,...}'}   # or {base64: ...} when not plain UTF-8 text
      elapsed: 0.012
```

Why not schemathesis's VCR writer: it is fed by its CLI's event handlers only, keeps bodies
lossy (or base64), does not keep the case metadata that `negative_data_rejection` needs to be
re-run offline, and redacts API-key names only. Here the API key, rental tokens and phone
numbers are replaced by stable, format-preserving placeholders before anything reaches the
disk (`Placeholders`); the same real value gets the same placeholder within a file, so a
replay validates the same shapes and two recordings can be compared request by request.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FORMAT = "smspartner-contract-cassette/1"
MAX_CASSETTE_BYTES = 64 * 1024 * 1024
"""A cassette larger than this is refused on reading (a run writes well under a megabyte)."""
MAX_INTERACTIONS = 20_000
"""Exchanges a cassette may hold (a full run records a few hundred)."""
API_KEY_PLACEHOLDER = "REDACTED-API-KEY"
_TEXT_SAFE = set(string.printable) - {"\r", "\x0b", "\x0c"}


class CassetteError(Exception):
    """A cassette that cannot be read; the message is one line naming the file."""


@dataclass(frozen=True)
class RecordedRequest:
    """What was sent: method, path below the base URL (`/stop-sms/list`) and query pairs."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()

    def query_value(self, name: str) -> str | None:
        """The last value of `name` (as the API reads a repeated parameter), or None."""
        found = None
        for key, value in self.query:
            if key == name:
                found = value
        return found

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What matches a request across recordings: method, path and the sorted query."""
        return self.method.upper(), self.path, tuple(sorted(self.query))


@dataclass(frozen=True)
class RecordedResponse:
    """What came back: status, headers (lowercase names, in order) and the body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    message: str = ""
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def media_type(self) -> str:
        """`application/json` from `application/json; charset=utf-8`; empty when absent."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Interaction:
    """One request and its answer (None when no answer came: `error` says why)."""

    id: str
    source: str
    operation: str
    request: RecordedRequest
    response: RecordedResponse | None
    probe: str | None = None
    meta: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass
class Cassette:
    """A whole recording: where it was made, how, and its interactions in sending order."""

    target: str
    mode: str
    spec_version: str
    recorded_at: str
    recorded_with: str
    interactions: list[Interaction] = field(default_factory=list)
    run: Mapping[str, Any] = field(default_factory=dict)
    """How the run went: `rental_token` (bool), `requests`, `seconds`, `gaps`, `errors`,
    `stopped` and `interrupted`, so that a replay ends like the run it replays."""

    def __iter__(self) -> Iterator[Interaction]:
        return iter(self.interactions)


# ---- writing ---------------------------------------------------------------------------------


def _body_data(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(char in _TEXT_SAFE or ord(char) > 127 for char in text):
        return {"text": text}
    return {"base64": base64.b64encode(body).decode("ascii")}


def _interaction_data(interaction: Interaction) -> dict[str, Any]:
    data: dict[str, Any] = {"id": interaction.id, "source": interaction.source}
    if interaction.probe:
        data["probe"] = interaction.probe
    request = interaction.request
    data["operation"] = interaction.operation
    data["request"] = {
        "method": request.method,
        "path": request.path,
        "query": [list(pair) for pair in request.query],
    }
    if interaction.meta is not None:
        data["meta"] = dict(interaction.meta)
    response = interaction.response
    if response is not None:
        data["response"] = {
            "status": response.status,
            "message": response.message,
            "headers": [list(pair) for pair in response.headers],
            "body": _body_data(response.body),
            "elapsed": round(response.elapsed, 4),
        }
    if interaction.error:
        data["error"] = interaction.error
    return data


class _PlainDumper(yaml.SafeDumper):
    """No anchors and aliases: every interaction written out (the reader refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases: a few bytes of `*a` must not grow into millions of
    interactions to check."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


def dump_cassette(cassette: Cassette) -> str:
    """The YAML text of a cassette (redaction is the caller's job: see `recording`)."""
    document = {
        "format": FORMAT,
        "recorded_with": cassette.recorded_with,
        "recorded_at": cassette.recorded_at,
        "target": cassette.target,
        "mode": cassette.mode,
        "spec_version": cassette.spec_version,
        "run": dict(cassette.run),
        "interactions": [_interaction_data(item) for item in cassette.interactions],
    }
    return yaml.dump(
        document,
        Dumper=_PlainDumper,
        allow_unicode=True,
        sort_keys=False,
        width=float("inf"),
    )


# ---- reading ---------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, place: str, problem: str) -> CassetteError:
        return CassetteError(f"{self.source}: {place}: {problem}")

    def mapping(self, value: Any, place: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(place, "expected a mapping")
        return value

    def text(self, value: Any, place: str) -> str:
        if not isinstance(value, str):
            raise self.fail(place, "expected a string")
        return value

    def pairs(self, value: Any, place: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, list):
            raise self.fail(place, "expected a list of [name, value] pairs")
        pairs = []
        for index, pair in enumerate(value):
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(part, str) for part in pair)
            ):
                raise self.fail(f"{place}[{index}]", "expected [name, value], two strings")
            pairs.append((pair[0], pair[1]))
        return tuple(pairs)

    def body(self, value: Any, place: str) -> bytes:
        data = self.mapping(value, place)
        if "text" in data:
            return self.text(data["text"], f"{place}.text").encode("utf-8")
        if "base64" in data:
            try:
                return base64.b64decode(self.text(data["base64"], f"{place}.base64"), validate=True)
            except ValueError:
                raise self.fail(f"{place}.base64", "not valid base64") from None
        raise self.fail(place, "expected `text` or `base64`")

    def response(self, value: Any, place: str) -> RecordedResponse:
        data = self.mapping(value, place)
        status = data.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
            raise self.fail(f"{place}.status", "expected an HTTP status (100-999)")
        elapsed = data.get("elapsed", 0.0)
        if not isinstance(elapsed, int | float) or isinstance(elapsed, bool):
            raise self.fail(f"{place}.elapsed", "expected a number of seconds")
        return RecordedResponse(
            status=status,
            headers=tuple(
                (name.lower(), text)
                for name, text in self.pairs(data.get("headers", []), f"{place}.headers")
            ),
            body=self.body(data.get("body", {"text": ""}), f"{place}.body"),
            message=self.text(data.get("message", ""), f"{place}.message"),
            elapsed=float(elapsed),
        )

    def interaction(self, value: Any, place: str) -> Interaction:
        data = self.mapping(value, place)
        request = self.mapping(data.get("request"), f"{place}.request")
        meta = data.get("meta")
        if meta is not None:
            meta = self.mapping(meta, f"{place}.meta")
        probe = data.get("probe")
        error = data.get("error")
        return Interaction(
            id=self.text(data.get("id"), f"{place}.id"),
            source=self.text(data.get("source"), f"{place}.source"),
            operation=self.text(data.get("operation"), f"{place}.operation"),
            request=RecordedRequest(
                method=self.text(request.get("method"), f"{place}.request.method"),
                path=self.text(request.get("path"), f"{place}.request.path"),
                query=self.pairs(request.get("query", []), f"{place}.request.query"),
            ),
            response=(
                self.response(data["response"], f"{place}.response")
                if data.get("response") is not None
                else None
            ),
            probe=None if probe is None else self.text(probe, f"{place}.probe"),
            meta=meta,
            error=None if error is None else self.text(error, f"{place}.error"),
        )


def parse_cassette(text: str, source: str = "cassette") -> Cassette:
    """Read cassette YAML; CassetteError (one line, naming `source` and the place) otherwise."""
    reader = _Reader(source)
    try:
        document = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise reader.fail(where, getattr(exc, "problem", None) or "not valid YAML") from None
    top = reader.mapping(document, "(top)")
    if top.get("format") != FORMAT:
        raise reader.fail("format", f"expected {FORMAT!r}, got {top.get('format')!r}")
    run = top.get("run", {})
    items = top.get("interactions")
    if not isinstance(items, list):
        raise reader.fail("interactions", "expected a list")
    if len(items) > MAX_INTERACTIONS:
        raise reader.fail("interactions", f"more than {MAX_INTERACTIONS:,}")
    return Cassette(
        target=reader.text(top.get("target", ""), "target"),
        mode=reader.text(top.get("mode", ""), "mode"),
        spec_version=str(top.get("spec_version", "")),
        recorded_at=str(top.get("recorded_at", "")),
        recorded_with=str(top.get("recorded_with", "")),
        interactions=[
            reader.interaction(item, f"interactions[{index}]") for index, item in enumerate(items)
        ],
        run=reader.mapping(run, "run"),
    )


def load_cassette(path: str | Path) -> Cassette:
    """Read a cassette file (at most MAX_CASSETTE_BYTES); CassetteError on any problem."""
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_CASSETTE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CassetteError(f"{source}: cannot read: {reason}") from None
    if len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteError(f"{source}: larger than {MAX_CASSETTE_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{source}: not UTF-8 (byte {exc.start})") from None
    return parse_cassette(text, source)
