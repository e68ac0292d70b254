"""The runner's one door to schemathesis: loading the spec, generating requests, running checks.

No other module of the runner imports schemathesis. What the rest needs is given in the kit's
own types (`smspartner_emulator.recording`: a request, an answer and how the request was made;
`CheckFailure` below), so a schemathesis release changes this module at most, never the grading,
the reports or the recordings users keep.

Public surface used: `schemathesis.openapi.from_dict`, `schemathesis.Config`,
`schemathesis.deserializer`, `schemathesis.Response`, `APIOperation.Case`,
`Case.validate_response` (it runs the named checks on an answer and raises an exception group
of failures).

Internals that remain, and why:

- the examples, coverage and fuzzing phases are only reachable through the CLI's engine
  (`schemathesis.engine.from_schema(...).execute()` and its events): the pytest integration
  needs a pytest session per run; `_run_phases` is the only user;
- the built-in checks are looked up by name in `schemathesis.checks.CHECKS` (there is no public
  lookup), and `load_all_checks` registers them;
- a recorded request's `Generation` is turned back into the case's metadata
  (`schemathesis.generation.meta`, passed as `Case(_meta=...)`): the acceptance checks read how
  a case was generated (positive or negative, which part was made invalid);
- a failure's details live under names that differ between `Failure` subclasses
  (`instance_path`, `allowed_status_codes`, `defined_content_types`...): `_describe` reads them,
  with a plain fallback when a release renames one.

`tests/test_engine_boundary.py` fails when schemathesis is imported anywhere else in the runner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core import mutations
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import events, from_schema
from schemathesis.generation import GenerationMode
from schemathesis.generation import meta as case_meta
from schemathesis.schemas import BaseSchema
from smspartner_emulator.recording import (
    NEGATIVE,
    POSITIVE,
    Generation,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    Violation,
)

from smspartner_contract.facts import api_key_schemes
from smspartner_contract.model import Checked, CheckFailure
from smspartner_contract.positional_xml import decode as decode_xml

BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
)
"""schemathesis's checks that fit read-only operations (the others need writes, several
identities or 401/403 authentication: the kit's `documented_error_codes` stands for
`ignored_auth`)."""
XML_MEDIA_TYPES = ("application/xml", "text/xml")
PLAN = "plan"
_registration = threading.Lock()
_registered = False
_decoded_xml: ContextVar[list[Any] | None] = ContextVar("_decoded_xml", default=None)
"""While `Engine.check` runs: [body, its positional value], so that a big XML answer is parsed
once however many checks read it (the body is matched by identity)."""


@dataclass(frozen=True)
class EngineSettings:
    """How to load the spec and generate requests (what a schemathesis.toml would hold)."""

    base_url: str
    api_key: str = ""
    seed: int = 20261123
    max_examples: int = 100
    polite: bool = False
    """No requests with methods the spec does not list (someone else's API)."""
    dictionaries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Query parameter name -> values the fuzzer should try half of the time (a real rental)."""
    accepted_statuses: tuple[str, ...] = ()
    """Statuses besides 2xx that `positive_data_acceptance` accepts (this API's "not found")."""
    request_timeout: float | None = None


def register() -> None:
    """Decode the API's positional XML for schemathesis (it skips XML silently otherwise)."""
    global _registered
    with _registration:
        if _registered:
            return

        @schemathesis.deserializer(*XML_MEDIA_TYPES)
        def positional_xml(ctx: Any, response: Any) -> Any:
            slot = _decoded_xml.get()
            if slot is not None and slot[0] is response.content:
                return slot[1]
            value = decode_xml(response.content)
            if slot is not None:  # checked again, check by check: decoded once
                slot[:] = [response.content, value]
            return value

        load_all_checks()
        _registered = True


def _config(settings: EngineSettings, schemes: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base-url": settings.base_url,
        "seed": settings.seed,
        "workers": 1,
        # No example database: a run depends on the spec, the target and the seed only.
        "generation": {"max-examples": settings.max_examples, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,  # the engine only sends; every record is checked afterwards
            "positive_data_acceptance": {"expected-statuses": ["2XX", *settings.accepted_statuses]},
        },
        # Whole bodies in the recorder (its default keeps 1 MiB of each).
        "output": {"truncation": {"max-recorded-payload-size": 0}},
    }
    if settings.api_key:
        config["auth"] = {"openapi": {name: {"api_key": settings.api_key} for name in schemes}}
    if settings.request_timeout is not None:
        config["request-timeout"] = settings.request_timeout
    if settings.dictionaries:
        config["dictionaries"] = {
            f"values-of-{name}": {"values": list(values)}
            for name, values in settings.dictionaries.items()
        }
        config["parameters"] = {
            f"query.{name}": {"dictionary": f"values-of-{name}", "probability": 0.5}
            for name in settings.dictionaries
        }
    if settings.polite:
        config["phases"]["coverage"] = {"unexpected-methods": []}
    return config


class Interrupted(Exception):
    """The phases were interrupted (Ctrl-C or a signal the caller turned into one)."""


class Engine:
    """One loaded view of the spec: generates requests and checks answers against it."""

    def __init__(self, spec: Mapping[str, Any], settings: EngineSettings) -> None:
        register()
        self.settings = settings
        schemes = list(api_key_schemes(spec))
        self.schema: BaseSchema = schemathesis.openapi.from_dict(
            dict(spec), config=schemathesis.Config.from_dict(_config(settings, schemes))
        )
        self._checks = {name: _check_function(name) for name in BUILTIN_CHECKS}

    # ---- generation -------------------------------------------------------------------------

    def run_phases(
        self,
        app: Any,
        keep: Callable[[Interaction], None],
        stopped: Callable[[], bool],
        base_path: str,
    ) -> list[str]:
        """Run the examples, coverage and fuzzing phases through the ASGI `app`; hand each
        exchange to `keep`; stop when `stopped()` says so. Returns the engine's error lines.

        Raises `Interrupted` when the engine reports an interrupt the caller did not ask for.
        """
        self.schema.app = app
        errors: list[str] = []
        numbers: dict[str, int] = {}
        stream = from_schema(self.schema).execute()
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                for interaction in _exchanges(event, numbers, base_path):
                    keep(interaction)
            elif isinstance(event, events.NonFatalError):
                errors.append(f"{event.label}: {_first_line(event.value)}")
            elif isinstance(event, events.FatalError):
                errors.append(_first_line(event.exception))
            elif isinstance(event, events.Interrupted) and not stopped():
                raise Interrupted
            if stopped():
                stream.stop()
        return errors

    # ---- checks -----------------------------------------------------------------------------

    def check(
        self,
        interaction: Interaction,
        names: Sequence[str] = BUILTIN_CHECKS,
        *,
        xml_value: Any = None,
    ) -> Checked:
        """Run schemathesis's checks `names` on one recorded answer (nothing without one).

        `xml_value`: the answer's positional value when the caller has decoded it already."""
        if interaction.response is None:
            return Checked()
        known = [interaction.response.body, xml_value] if xml_value is not None else [None, None]
        reset = _decoded_xml.set(known)
        try:
            return self._check(interaction, names)
        finally:
            _decoded_xml.reset(reset)

    def _check(self, interaction: Interaction, names: Sequence[str]) -> Checked:
        checked = Checked()
        case = self._case(interaction)
        response = _response(self.settings.base_url, interaction)
        try:  # most answers pass every check: one call for all of them
            case.validate_response(response, checks=[self._checks[name] for name in names])
        except Exception:  # noqa: S110 (told apart check by check below)
            pass
        except BaseExceptionGroup:
            pass
        else:
            checked.ran.extend(names)
            return checked
        for name in names:
            try:
                case.validate_response(response, checks=[self._checks[name]])
            except BaseExceptionGroup as group:  # the failures of the check
                checked.failures.extend(
                    _describe(name, failure, response) for failure in group.exceptions
                )
            except AssertionError as failure:  # a check that asserts rather than raises
                checked.failures.append(CheckFailure(name, name, _first_line(failure)))
            except RecursionError:
                checked.errors.append(f"{name}: the answer is nested too deeply to check")
                continue
            except Exception as exc:  # a check that crashes on an answer is reported, not raised
                checked.errors.append(f"{name}: {type(exc).__name__}")
                continue
            checked.ran.append(name)
        return checked

    def _case(self, interaction: Interaction) -> Any:
        request = interaction.request
        method, _, template = interaction.operation.partition(" ")
        operation = self.schema[template or request.path][method]
        phase = PLAN if interaction.source == PLAN else interaction.source
        method_name: Any = request.method
        case = operation.Case(
            method=method_name,
            query=_case_query(request),
            _meta=_metadata(interaction.generation, phase),
        )
        case.freeze_metadata()
        return case


# ---- from schemathesis to the kit --------------------------------------------------------------


def _exchanges(
    event: events.ScenarioFinished, numbers: dict[str, int], base_path: str
) -> Iterator[Interaction]:
    recorder = event.recorder
    for case_id, exchange in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is None:
            continue
        case = node.value
        source = case.meta.phase.name.value if case.meta is not None else str(event.phase.value)
        numbers[source] = numbers.get(source, 0) + 1
        response = exchange.response
        yield Interaction(
            id=f"{source}-{numbers[source]:03d}",
            source=source,
            operation=case.operation.label,
            request=request_record(exchange.request.uri, exchange.request.method, base_path),
            response=None if response is None else _recorded(response),
            generation=_generation(case),
            error=None if response is not None else "no answer",
        )


def request_record(url: str, method: str, base_path: str) -> RecordedRequest:
    """A request as sent (full URL), with its path relative to the base URL's path."""
    parts = urlsplit(url)
    path = parts.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :] or "/"
    return RecordedRequest(
        method=method.upper(),
        path=path,
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
    )


def _recorded(response: Any) -> RecordedResponse:
    return RecordedResponse(
        status=int(response.status_code),
        headers=tuple(
            (str(name).lower(), str(value))
            for name, values in response.headers.items()
            for value in values
        ),
        body=response.content or b"",
        message=str(response.message or ""),
        elapsed=float(response.elapsed or 0.0),
    )


def _generation(case: Any) -> Generation:
    meta = case.meta
    if meta is None:
        return Generation()
    data = meta.phase.data
    location = getattr(data, "parameter_location", None)
    scenario = getattr(data, "scenario", None)
    return Generation(
        mode=NEGATIVE if meta.generation.mode.is_negative else POSITIVE,
        negated=tuple(
            str(where.name).lower()
            for where, info in meta.components.items()
            if info.mode.is_negative
        ),
        parameter=getattr(data, "parameter", None),
        location=None if location is None else str(location.name).lower(),
        scenario=None if scenario is None else str(getattr(scenario, "value", scenario)),
        violations=tuple(_violation(m) for m in getattr(data, "mutations", ()) or ()),
        description=str(getattr(data, "description", "") or ""),
    )


def _violation(mutation: Any) -> Violation:
    location = getattr(mutation, "parameter_location", None)
    return Violation(
        location=str(getattr(location, "value", location) or "").lower(),
        operator=str(getattr(mutation.operator, "value", mutation.operator)),
        keywords=tuple(str(k) for k in getattr(mutation, "keywords", ()) or ()),
        parameter=getattr(mutation, "parameter", None),
        path=tuple(str(p) for p in getattr(mutation, "path", ()) or ()),
        pointer=str(getattr(mutation, "schema_pointer", "") or ""),
        by_value=str(getattr(mutation.channel, "value", mutation.channel)) == "value",
    )


def _mutations(generation: Generation) -> tuple[Any, ...]:
    """schemathesis's mutation records of a recorded request (values are not recorded)."""
    found = []
    for violation in generation.violations:
        try:
            found.append(
                mutations.Mutation(
                    path=violation.path,
                    parameter_location=ParameterLocation(violation.location),
                    schema_pointer=violation.pointer,
                    channel=mutations.MutationChannel.VALUE
                    if violation.by_value
                    else mutations.MutationChannel.SCHEMA,
                    operator=mutations.OperatorKind(violation.operator),
                    keywords=violation.keywords,
                    parameter=violation.parameter,
                    original_value=None,
                    new_value=None,
                )
            )
        except ValueError:  # a location or operator this schemathesis does not know
            continue
    return tuple(found)


def _metadata(generation: Generation, phase: str) -> Any:
    """schemathesis's case metadata for a recorded request (what its checks read)."""
    mode = GenerationMode(generation.mode)
    negated = set(generation.negated)
    locations = {name: where for where in ParameterLocation for name in (str(where.name).lower(),)}
    components = {
        where: case_meta.ComponentInfo(
            mode=GenerationMode(NEGATIVE if name in negated else POSITIVE)
        )
        for name, where in locations.items()
        if name == "query" or name in negated
    }
    location = locations.get(generation.location or "")
    description = generation.description or None
    data: Any
    scenario = _coverage_scenario(generation.scenario)
    if phase == "coverage" and scenario is not None:
        data = case_meta.CoveragePhaseData(
            scenario=scenario,
            description=generation.description,
            location=None,
            parameter=generation.parameter,
            parameter_location=location,
            mutations=_mutations(generation),
        )
        name = case_meta.TestPhase.COVERAGE
    else:
        name = case_meta.TestPhase.FUZZING if phase == "fuzzing" else case_meta.TestPhase.EXAMPLES
        kind = case_meta.FuzzingPhaseData if phase == "fuzzing" else case_meta.ExamplesPhaseData
        data = kind(
            description=description,
            parameter=generation.parameter,
            parameter_location=location,
            location=None,
            mutations=_mutations(generation),
        )
    return case_meta.CaseMetadata(
        generation=case_meta.GenerationInfo(time=0.0, mode=mode),
        components=components,
        phase=case_meta.PhaseInfo(name=name, data=data),
    )


def _coverage_scenario(name: str | None) -> Any:
    if name is None:
        return None
    try:
        return case_meta.CoverageScenario(name)
    except ValueError:  # a scenario a newer or older schemathesis does not know
        return None


def _case_query(request: RecordedRequest) -> dict[str, Any]:
    """The case's query: what was sent (the key is one of its parameters, as in the spec's
    parameter set: schemathesis counts the security scheme's parameter among them)."""
    query: dict[str, Any] = {}
    for name, value in request.query:
        if name in query:
            previous = query[name]
            query[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            query[name] = value
    return query


def full_url(base_url: str, request: RecordedRequest) -> str:
    query = urlencode(list(request.query))
    return f"{base_url.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


def _response(base_url: str, interaction: Interaction) -> Any:
    recorded = interaction.response
    assert recorded is not None
    prepared = requests.Request(
        interaction.request.method, full_url(base_url, interaction.request)
    ).prepare()
    headers: dict[str, list[str]] = {}
    for name, value in recorded.headers:
        headers.setdefault(name, []).append(value)
    return schemathesis.Response(
        status_code=recorded.status,
        headers=headers,
        content=recorded.body,
        request=prepared,
        elapsed=recorded.elapsed,
        verify=True,
        message=recorded.message,
    )


def _check_function(name: str) -> Any:
    load_all_checks()
    found = {getattr(check, "__name__", ""): check for check in CHECKS.get_all()}
    if name not in found:
        raise RuntimeError(f"schemathesis has no check named {name!r} (its release changed?)")
    return found[name]


def _describe(check: str, failure: Any, response: Any) -> CheckFailure:
    """A schemathesis failure in the kit's words (its subclasses name their details apart)."""
    message = str(getattr(failure, "message", "") or "").strip()
    title = str(getattr(failure, "title", "") or check)
    pointer: tuple[str | int, ...] | None = None
    keyword: str | None = None
    expected = observed = ""
    instance_path = getattr(failure, "instance_path", None)
    schema_path = getattr(failure, "schema_path", None)
    if instance_path is not None and schema_path:
        pointer = tuple(instance_path)
        keyword = str(list(schema_path)[-1])
        schema = getattr(failure, "schema", {}) or {}
        wanted = schema.get(keyword, "?") if isinstance(schema, Mapping) else "?"
        expected = f"{keyword}: {wanted!r}"
        observed = repr(getattr(failure, "instance", "?"))
    elif getattr(failure, "defined_content_types", None):
        expected = ", ".join(failure.defined_content_types)
        observed = _header(response, "content-type") or "(none)"
    else:
        allowed = (
            getattr(failure, "allowed_status_codes", None)
            or getattr(failure, "expected_statuses", None)
            or getattr(failure, "allowed_statuses", None)
        )
        if allowed:
            expected = "HTTP " + ", ".join(str(status) for status in list(allowed)[:8])
            observed = f"HTTP {response.status_code}"
    return CheckFailure(
        check=check,
        title=title,
        message=(message.splitlines() or [check])[0],
        pointer=pointer,
        keyword=keyword,
        expected=expected,
        observed=observed,
        code=str(getattr(failure, "code", "")),
    )


def _header(response: Any, name: str) -> str | None:
    values = response.headers.get(name) or []
    return str(values[0]) if values else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def version() -> str:
    """The schemathesis release in use (for the recording's `recorded_with`)."""
    from importlib import metadata

    try:
        return metadata.version("schemathesis")
    except metadata.PackageNotFoundError:
        return "unknown"
