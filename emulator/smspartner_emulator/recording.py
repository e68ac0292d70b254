"""The recording of a contract run (a cassette): every request sent and every answer, in YAML.

One home for the format, read and written here only: the contract runner writes recordings,
replays and compares them; the emulator's `--replay` and the pytest plugin play them. The module
imports the standard library and PyYAML only (the emulator and its plugin must stay light).

Format `smspartner-recording/2` (what the kit writes today), field by field:

```yaml
format: smspartner-recording/2
complete: true          # false: the run was cut short, unusable or interrupted: no baseline
recorded_at: "2026-12-07T06:17:03Z"
recorded_with: {smspartner-contract: 0.3.0, schemathesis: 4.32.5}   # informative only
target: https://api.smspartner.fr/v1
mode: live              # live: the probe plan only; full: plan, then generated requests
spec: {version: 2.1.0}  # the spec the run checked against
run: {rental_token: true, requests: 11, seconds: 6.1, gaps: [], errors: [], stopped: null,
      interrupted: null, unusable: false}
interactions:
  - id: plan-01
    source: plan        # plan, examples, coverage or fuzzing
    probe: GET /stop-sms/list, json   # plan only: what the request is for
    operation: GET /stop-sms/list
    generation: {mode: positive}      # how the request was made (see `Generation`)
    request: {method: GET, path: /stop-sms/list, query: [[apiKey, REDACTED-API-KEY]]}
    response:
      status: 200
      message: OK
      headers: [[content-type, application/json]]
      body: {text: '{"success":true,...}'}   # or {base64: ...} when not plain UTF-8 text
      elapsed: 0.012
    error: null         # why no answer came (then there is no `response`)
```

Format `smspartner-contract-cassette/1` (stop 17) is still read: its `meta` (a schemathesis
`CaseMetadata` dump) becomes a `Generation`; its `spec_version` the spec's version. A format
this reader does not know (a newer kit's) is refused in one line.

Every value written is already masked by the runner (keys, tokens and personal data replaced
by placeholders); this module neither masks nor checks that. Reading is bounded: a regular file
only (a FIFO or a device would block), at most `MAX_RECORDING_BYTES`, no YAML aliases, and
every problem is a `CassetteError` with one line naming the file and the place.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from smspartner_emulator.files import InputFileError, read_text
from smspartner_emulator.safe_yaml import YamlError, load_yaml

FORMAT = "smspartner-recording/2"
FORMAT_V1 = "smspartner-contract-cassette/1"
KNOWN_FORMATS = (FORMAT_V1, FORMAT)
MAX_RECORDING_BYTES = 256 * 1024 * 1024
"""A recording larger than this is refused on reading: a live run against a 1,000,000-entry
STOP list (its JSON and XML answers) writes about 230 MB."""
MAX_INTERACTIONS = 20_000
"""Exchanges a recording may hold (a full run records a few hundred)."""
API_KEY_PLACEHOLDER = "REDACTED-API-KEY"
"""What the API key is replaced with in every recording."""
POSITIVE, NEGATIVE = "positive", "negative"
_NOT_TEXT = re.compile("[^\t\n\x20-\x7e\x80-\U0010ffff]")
"""A character YAML would not keep as written (control characters, CR): the body goes base64."""
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class CassetteError(Exception):
    """A recording that cannot be read; the message is one line naming the file."""


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
class Violation:
    """One rule a negative request breaks on purpose: which keywords of which parameter's
    schema (`pointer`), where (`location`), and how (`operator`: e.g. `negate_constraints`,
    `change_type`, `remove_required_property`). Values are never kept."""

    location: str
    operator: str
    keywords: tuple[str, ...] = ()
    parameter: str | None = None
    path: tuple[str, ...] = ()
    pointer: str = ""
    by_value: bool = False
    """The request's value was rewritten after generation (rather than its schema)."""

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"location": self.location, "operator": self.operator}
        if self.keywords:
            data["keywords"] = list(self.keywords)
        if self.parameter is not None:
            data["parameter"] = self.parameter
        if self.path:
            data["path"] = list(self.path)
        if self.pointer:
            data["pointer"] = self.pointer
        if self.by_value:
            data["by_value"] = True
        return data


@dataclass(frozen=True)
class Generation:
    """How a request was made, in the kit's own words (what the checks of a replay need).

    `mode` is `positive` (a request the spec allows) or `negative` (one made invalid on
    purpose); `negated` names the parts made invalid (`query`, `header`, `path`, `body`);
    `parameter` and `location` the one parameter a generated case targeted, when it targeted
    one; `scenario` what kind of case it is (e.g. `missing_parameter`, `unexpected_method`);
    `violations` the rules a negative request breaks; `description` says it in words.
    """

    mode: str = POSITIVE
    """`positive` or `negative`."""
    negated: tuple[str, ...] = ()
    parameter: str | None = None
    location: str | None = None
    scenario: str | None = None
    violations: tuple[Violation, ...] = ()
    description: str = ""

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mode": self.mode}
        if self.negated:
            data["negated"] = list(self.negated)
        for name in ("parameter", "location", "scenario"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.violations:
            data["violations"] = [violation.as_data() for violation in self.violations]
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class Interaction:
    """One request and its answer (None when no answer came: `error` says why)."""

    id: str
    source: str
    operation: str
    request: RecordedRequest
    response: RecordedResponse | None
    probe: str | None = None
    generation: Generation = field(default_factory=Generation)
    error: str | None = None


@dataclass
class Cassette:
    """A whole recording: where and how it was made, and its interactions in sending order."""

    target: str
    mode: str
    spec_version: str
    recorded_at: str
    recorded_with: Mapping[str, str] = field(default_factory=dict)
    interactions: list[Interaction] = field(default_factory=list)
    run: Mapping[str, Any] = field(default_factory=dict)
    """How the run went: `rental_token` (bool), `requests`, `seconds`, `gaps`, `errors`,
    `stopped`, `interrupted` and `unusable`, so that a replay ends like the run it replays."""
    complete: bool = True
    """False for a run that was cut short, unusable or interrupted: compare refuses it as the
    recording to compare with."""
    format: str = FORMAT
    source: str = ""
    """Where it was read from (a path), for messages and reports."""

    def __iter__(self) -> Iterator[Interaction]:
        return iter(self.interactions)


# ---- writing ---------------------------------------------------------------------------------


def _body_data(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _NOT_TEXT.search(text) is None:
        return {"text": text}
    return {"base64": base64.b64encode(body).decode("ascii")}


def _interaction_data(interaction: Interaction) -> dict[str, Any]:
    data: dict[str, Any] = {"id": interaction.id, "source": interaction.source}
    if interaction.probe:
        data["probe"] = interaction.probe
    request = interaction.request
    data["operation"] = interaction.operation
    data["generation"] = interaction.generation.as_data()
    data["request"] = {
        "method": request.method,
        "path": request.path,
        "query": [list(pair) for pair in request.query],
    }
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


class _PlainDumper(_SafeDumper):  # type: ignore[misc]
    """No anchors and aliases: every interaction written out (the reader refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_cassette(cassette: Cassette) -> str:
    """The YAML text of a recording, in the current format."""
    document = {
        "format": FORMAT,
        "complete": cassette.complete,
        "recorded_at": cassette.recorded_at,
        "recorded_with": dict(cassette.recorded_with),
        "target": cassette.target,
        "mode": cassette.mode,
        "spec": {"version": cassette.spec_version},
        "run": dict(cassette.run),
        "interactions": [_interaction_data(item) for item in cassette.interactions],
    }
    text: str = yaml.dump(
        document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=2**31 - 1
    )
    return text


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

    def optional_text(self, value: Any, place: str) -> str | None:
        return None if value is None else self.text(value, place)

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
            return self.text(data["text"], f"{place}.text").encode("utf-8", "surrogateescape")
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

    def generation(self, value: Any, place: str) -> Generation:
        data = self.mapping(value, place)
        mode = data.get("mode", POSITIVE)
        if mode not in (POSITIVE, NEGATIVE):
            raise self.fail(f"{place}.mode", "expected `positive` or `negative`")
        negated = data.get("negated", [])
        if not isinstance(negated, list) or not all(isinstance(part, str) for part in negated):
            raise self.fail(f"{place}.negated", "expected a list of strings")
        violations = data.get("violations", [])
        if not isinstance(violations, list):
            raise self.fail(f"{place}.violations", "expected a list")
        return Generation(
            mode=mode,
            negated=tuple(negated),
            parameter=self.optional_text(data.get("parameter"), f"{place}.parameter"),
            location=self.optional_text(data.get("location"), f"{place}.location"),
            scenario=self.optional_text(data.get("scenario"), f"{place}.scenario"),
            violations=tuple(
                self.violation(item, f"{place}.violations[{index}]")
                for index, item in enumerate(violations)
            ),
            description=self.text(data.get("description", ""), f"{place}.description"),
        )

    def strings(self, value: Any, place: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
            raise self.fail(place, "expected a list of strings")
        return tuple(value)

    def violation(self, value: Any, place: str) -> Violation:
        data = self.mapping(value, place)
        by_value = data.get("by_value", False)
        if not isinstance(by_value, bool):
            raise self.fail(f"{place}.by_value", "expected true or false")
        return Violation(
            location=self.text(data.get("location"), f"{place}.location"),
            operator=self.text(data.get("operator"), f"{place}.operator"),
            keywords=self.strings(data.get("keywords", []), f"{place}.keywords"),
            parameter=self.optional_text(data.get("parameter"), f"{place}.parameter"),
            path=self.strings(data.get("path", []), f"{place}.path"),
            pointer=self.text(data.get("pointer", ""), f"{place}.pointer"),
            by_value=by_value,
        )

    def interaction(self, value: Any, place: str, version: str) -> Interaction:
        data = self.mapping(value, place)
        request = self.mapping(data.get("request"), f"{place}.request")
        if version == FORMAT_V1:
            generation = _generation_of_v1(data.get("meta"), self, f"{place}.meta")
        else:
            generation = self.generation(data.get("generation", {}), f"{place}.generation")
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
            probe=self.optional_text(data.get("probe"), f"{place}.probe"),
            generation=generation,
            error=self.optional_text(data.get("error"), f"{place}.error"),
        )


def _generation_of_v1(meta: Any, reader: _Reader, place: str) -> Generation:
    """The kit's `Generation` of a format-1 interaction's schemathesis metadata."""
    if meta is None:
        return Generation()
    meta = reader.mapping(meta, place)
    mode = NEGATIVE if _dict(meta.get("generation")).get("mode") == NEGATIVE else POSITIVE
    negated = tuple(
        str(where).lower()
        for where, how in _dict(meta.get("components")).items()
        if how == NEGATIVE
    )
    data = _dict(_dict(meta.get("phase")).get("data"))
    location = _text(data.get("parameter_location"))
    violations = []
    for item in _list(data.get("mutations")):
        if not isinstance(item, dict) or not _text(item.get("operator")):
            continue
        keywords = _list(item.get("keywords"))
        path = _list(item.get("path"))
        violations.append(
            Violation(
                location=(_text(item.get("parameter_location")) or "").lower(),
                operator=str(item["operator"]),
                keywords=tuple(str(k) for k in keywords),
                parameter=_text(item.get("parameter")),
                path=tuple(str(p) for p in path),
                pointer=_text(item.get("schema_pointer")) or "",
                by_value=item.get("channel") == "value",
            )
        )
    return Generation(
        mode=mode,
        negated=negated,
        parameter=_text(data.get("parameter")),
        location=location.lower() if location else None,
        scenario=_text(data.get("scenario")),
        violations=tuple(violations),
        description=_text(data.get("description")) or "",
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_cassette(text: str, source: str = "recording") -> Cassette:
    """Read recording YAML; CassetteError (one line, naming `source` and the place) otherwise."""
    reader = _Reader(source)
    try:
        document = load_yaml(text, source)
    except YamlError as exc:
        raise CassetteError(str(exc)) from None
    top = reader.mapping(document, "(top)")
    version = top.get("format")
    if version not in KNOWN_FORMATS:
        known = " or ".join(repr(name) for name in KNOWN_FORMATS)
        raise reader.fail(
            "format", f"expected {known}, got {str(version)[:80]!r} (a newer kit wrote it?)"
        )
    items = top.get("interactions")
    if not isinstance(items, list):
        raise reader.fail("interactions", "expected a list")
    if len(items) > MAX_INTERACTIONS:
        raise reader.fail("interactions", f"more than {MAX_INTERACTIONS:,}")
    complete = top.get("complete", True)
    if not isinstance(complete, bool):
        raise reader.fail("complete", "expected true or false")
    if version == FORMAT_V1:
        spec_version = str(top.get("spec_version", ""))
        recorded_with = {"versions": str(top.get("recorded_with", ""))}
    else:
        spec = reader.mapping(top.get("spec", {}), "spec")
        spec_version = str(spec.get("version", ""))
        given = reader.mapping(top.get("recorded_with", {}), "recorded_with")
        recorded_with = {str(name): str(value) for name, value in given.items()}
    return Cassette(
        target=reader.text(top.get("target", ""), "target"),
        mode=reader.text(top.get("mode", ""), "mode"),
        spec_version=spec_version,
        recorded_at=str(top.get("recorded_at", "")),
        recorded_with=recorded_with,
        interactions=[
            reader.interaction(item, f"interactions[{index}]", str(version))
            for index, item in enumerate(items)
        ],
        run=reader.mapping(top.get("run", {}), "run"),
        complete=complete,
        format=str(version),
        source=source,
    )


def load_cassette(path: str | Path) -> Cassette:
    """Read a recording file (at most MAX_RECORDING_BYTES); CassetteError on any problem."""
    try:
        text = read_text(path, MAX_RECORDING_BYTES)
    except InputFileError as exc:
        raise CassetteError(str(exc)) from None
    return parse_cassette(text, str(path))
