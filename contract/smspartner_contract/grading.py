"""Grading: every failed check becomes a finding in one category, every guess gets a verdict.

- **breaking**: a documented fact no longer holds (a renamed, removed or retyped field,
  `success` flipped, a documented code replaced by another, an operation gone...).
- **assumption**: only guesses of the ledger fail. A schema failure is read error by error
  (jsonschema, every place of the answer): an error on a constraint of a schema that carries
  `x-unconfirmed` refutes that guess. A status, media type or header failure is judged again
  by schemathesis's same check against the relaxed view of the spec (ledger.py): one guess
  dropped at a time first, then all of them, cut down to the fewest that explain it. An
  acceptance check failing on an error envelope blames the error-status guess of its
  operation; any failure of a request with an unsupported value blames that guess.
- **additive**: an undocumented JSON field or a trailing XML entry.

A finding is identified by what changed, not by where it was seen (`Identity`): operation,
status class, media type, check, and the field as the spec's path (`/data/*/source`), with the
rule that broke (`required`, `pattern`, `renamed`...). The same change seen on 40 or 100,000
entries, tonight or next month, is one finding with a count; that identity is what the
accepted-drift file lists. A field renamed (one documented property gone, an undocumented one
with the same JSON type in its place) is one finding that says so.

Exit status: 1 breaking, else 2 when the run could not be made or vouch for itself (stopped
early, a check that could not run, no success answer where one was asked for), else 4 guesses
refuted, else 3 additive only, else 0; 128+N when signal N interrupted it (130: Ctrl-C).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from smspartner_emulator.recording import API_KEY_PLACEHOLDER

from smspartner_contract import engine, ledger, pointers, refs
from smspartner_contract.baseline import Baseline, entry_for
from smspartner_contract.checks import (
    ADDITIVE,
    COUNT,
    MEDIA,
    UNKNOWN_VALUE,
    error_status,
    media_schema,
    only_trailing_entries,
    run_ours,
)
from smspartner_contract.diff import json_type
from smspartner_contract.exchange import XML, Exchange, kind_of
from smspartner_contract.exercise import OperationCoverage, coverage, exercised
from smspartner_contract.facts import Facts, facts_of
from smspartner_contract.model import CheckFailure, Record

BREAKING, ASSUMPTION, ADDITIVE_DRIFT = "breaking", "assumption", "additive"
CONFIRMED, REFUTED, NOT_EXERCISED = "confirmed", "refuted", "not exercised"
EXIT_OK, EXIT_BREAKING, EXIT_UNUSABLE, EXIT_ADDITIVE, EXIT_ASSUMPTION = 0, 1, 2, 3, 4
SCHEMA = "response_schema_conformance"
MISSING = "operation_exists"
RELAXABLE = frozenset(
    {"status_code_conformance", "content_type_conformance", "response_headers_conformance"}
)
ACCEPTANCE = frozenset({"negative_data_rejection", "positive_data_acceptance"})
MAX_CHANGES = 200
"""Distinct schema errors read from one answer (the rest are counted, not described)."""
EXAMPLES = 2
_SHOWN = 80
_SPEC_URI = "urn:smspartner-spec"
_EXPECTED = {
    "not_a_server_error": "an answer below HTTP 500 (no server error)",
    "missing_required_header": "the request refused without the header the spec requires",
    "unsupported_method": "HTTP 405 to a method the spec does not list for the path",
    "response_headers_conformance": "the answer headers the spec documents",
}
"""What a check of schemathesis expects, for its failures that do not say it."""


@dataclass(frozen=True)
class Identity:
    """What changed: the same for every entry and every night that shows it."""

    operation: str
    status: str
    """The status class of the answers (`2xx`, `4xx`), `any` for request-level findings."""
    media: str
    check: str
    field: str
    rule: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "operation": self.operation,
            "status": self.status,
            "media": self.media,
            "check": self.check,
            "field": self.field,
            "rule": self.rule,
        }


@dataclass
class Finding:
    """One graded finding: what changed, seen `count` times in `answers` answers."""

    identity: Identity
    category: str
    assumptions: tuple[str, ...]
    title: str
    message: str
    expected: str
    observed: str
    reproduce: str
    count: int = 1
    answers: int = 1
    examples: list[str] = field(default_factory=list)
    """Ids of up to two exchanges that showed it (in the recording)."""
    accepted: str | None = None
    """The reason of the accepted-drift entry that accepts it, if one does."""

    @property
    def operation(self) -> str:
        return self.identity.operation

    @property
    def check(self) -> str:
        return self.identity.check

    @property
    def field(self) -> str:
        return self.identity.field

    @property
    def assumption(self) -> str | None:
        return ", ".join(self.assumptions) or None

    @property
    def interaction(self) -> str:
        return self.examples[0] if self.examples else ""

    def baseline_entry(self) -> dict[str, str]:
        """What to paste into the accepted-drift file (fill in `reason` and `expires`)."""
        return entry_for(self.identity.as_dict())


@dataclass(frozen=True)
class Verdict:
    """The outcome of one guess of the ledger in this run."""

    id: str
    verdict: str
    observed: str | None
    where: tuple[str, ...]
    reason: str


@dataclass
class Outcome:
    """Everything a run (or a replay) found."""

    record: Record
    findings: list[Finding] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    coverage: dict[str, OperationCoverage] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    """Operations without a success answer; `fatal_gaps` ones make the run unusable."""
    fatal_gaps: list[str] = field(default_factory=list)
    checks: int = 0
    """Check runs (one check on one answer)."""
    checked: set[str] = field(default_factory=set)
    """The names of the checks that ran on at least one answer."""
    spec_path: str = ""
    spec_version: str = ""

    def counted(self, category: str) -> list[Finding]:
        return [f for f in self.findings if f.category == category and f.accepted is None]

    @property
    def exit_code(self) -> int:
        if self.record.interrupted is not None:
            return 128 + self.record.interrupted
        if self.record.unusable:
            return EXIT_UNUSABLE
        if self.counted(BREAKING):
            return EXIT_BREAKING
        if self.record.stopped or self.errors or self.fatal_gaps:
            return EXIT_UNUSABLE
        if self.counted(ASSUMPTION):
            return EXIT_ASSUMPTION
        if self.counted(ADDITIVE_DRIFT):
            return EXIT_ADDITIVE
        return EXIT_OK

    @property
    def unusable_because(self) -> str:
        """Why a run could not vouch for the target (the first reason), in one line."""
        return self.record.stopped or (self.fatal_gaps or self.errors or ["no answer checked"])[0]

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if self.record.interrupted is not None:
            return "INTERRUPTED: the run was stopped before its end; nothing is vouched for"
        if code == EXIT_BREAKING:
            return (
                f"BREAKING DRIFT: {len(self.counted(BREAKING))} documented fact(s) no longer hold"
            )
        if code == EXIT_UNUSABLE:
            return f"ERROR: the run could not be made or completed ({self.unusable_because})"
        if code == EXIT_ASSUMPTION:
            ids = sorted({a for f in self.counted(ASSUMPTION) for a in f.assumptions})
            return (
                f"GUESSES REFUTED: {len(ids)} guess(es) of the spec do not hold ({', '.join(ids)})"
            )
        if code == EXIT_ADDITIVE:
            return f"ADDITIVE DRIFT only: {len(self.counted(ADDITIVE_DRIFT))} undocumented field(s)"
        return "the target matches the spec"


# ---- helpers ------------------------------------------------------------------------------------


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def reproduce(base_url: str, exchange: Exchange, facts: Facts) -> str:
    """A curl command runnable as pasted: the secrets read from the environment."""
    request = exchange.interaction.request
    operation = facts.operation(exchange.operation)
    envs = {p.name: p.credential for p in (operation.parameters if operation else ())}
    parts = [f"curl -G {shlex.quote(base_url.rstrip('/') + request.path)}"]
    if request.method != "GET":
        parts.insert(0, f"curl -X {shlex.quote(request.method)} -G")
        parts[1] = shlex.quote(base_url.rstrip("/") + request.path)
    for name, value in request.query:
        env = envs.get(name)
        if value == API_KEY_PLACEHOLDER:
            parts.append(f'--data-urlencode "{name}=${{SMSPARTNER_API_KEY}}"')
        elif env and value != UNKNOWN_VALUE:
            parts.append(f'--data-urlencode "{name}=${{{env}}}"')
        else:
            parts.append("--data-urlencode " + shlex.quote(f"{name}={value}"))
    return " ".join(parts)


def _type_of(schema: Any, spec: Mapping[str, Any]) -> str | None:
    node = ledger.resolve(spec, schema)
    kind = node.get("type") if isinstance(node, Mapping) else None
    return kind if isinstance(kind, str) else None


# ---- the grader ---------------------------------------------------------------------------------


class Grader:
    """Grades the exchanges of one record against one spec."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        base_url: str,
        baseline: Baseline | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.spec = spec
        self.facts = facts_of(spec)
        self.base_url = base_url
        self.baseline = baseline
        self.today = today or dt.date.today()
        statuses = sorted(
            {str(s) for op in self.facts.operations if (s := error_status(spec, op.label))}
        )
        self.settings = engine.EngineSettings(base_url=base_url, accepted_statuses=tuple(statuses))
        self.engine = engine.Engine(spec, self.settings)
        self._views: dict[frozenset[str], engine.Engine] = {}
        self._left: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self.relaxable = ledger.relaxable(spec)
        self.status_guesses = {m.id for m in ledger.marks(spec) if m.kind == "response"}

    # -- the relaxed re-check ----------------------------------------------------------------

    def _view(self, ids: frozenset[str]) -> engine.Engine:
        if ids not in self._views:
            self._views[ids] = engine.Engine(ledger.relaxed(self.spec, ids), self.settings)
        return self._views[ids]

    def _left_without(self, exchange: Exchange, check: str, ids: frozenset[str]) -> set[Any]:
        """What `check` still finds on this answer when the guesses `ids` are dropped."""
        response = exchange.response
        assert response is not None
        key = (ids, check, exchange.operation, response.status, response.headers, response.body)
        if key not in self._left:
            checked = self._view(ids).check(
                exchange.interaction, [check], xml_value=_xml_value(exchange)
            )
            left = {_failure_key(f) for f in checked.failures}
            left |= {("error", error) for error in checked.errors}
            self._left[key] = left
        return self._left[key]

    def explain(self, exchange: Exchange, found: CheckFailure) -> tuple[str, ...] | None:
        """The fewest guesses whose dropping makes this failure go away, or None.

        The error-status guesses only explain an answer that is an error envelope: a success
        answer at HTTP 201, or with `success: false`, is not.
        """
        error = exchange.is_error(self.facts.envelope)
        candidates = [i for i in self.relaxable if error or i not in self.status_guesses]
        me = _failure_key(found)

        def gone(ids: set[str]) -> bool:
            left = self._left_without(exchange, found.check, frozenset(ids))
            if ids & self.status_guesses:
                # The error schema then stands beside the success one (anyOf): the failure
                # moves rather than vanishes, so only a clean pass clears the answer.
                return not left
            return me not in left

        for ident in candidates:
            if gone({ident}):
                return (ident,)
        needed = set(candidates)
        if not needed or not gone(needed):
            return None
        for ident in candidates:
            if gone(needed - {ident}):
                needed.discard(ident)
        return tuple(sorted(needed))

    # -- schema errors, one by one --------------------------------------------------------------

    def _validator(self, ref: str) -> Draft202012Validator:
        if ref not in self._validators:
            registry: Registry[Any] = Registry().with_resource(
                _SPEC_URI,
                Resource.from_contents(dict(self.spec), default_specification=DRAFT202012),
            )
            self._validators[ref] = Draft202012Validator(
                {"$ref": _SPEC_URI + ref}, registry=registry
            )
        return self._validators[ref]

    def _schema_errors(self, exchange: Exchange) -> Iterator[ValidationError] | None:
        response = exchange.response
        decoded = exchange.decoded
        if response is None or decoded is None:
            return None
        schema = media_schema(self.spec, exchange.operation, response.status, response.media_type)
        if not isinstance(schema, Mapping) or not isinstance(schema.get("$ref"), str):
            return None
        return self._validator(str(schema["$ref"])).iter_errors(decoded[1])

    def _place(self, exchange: Exchange, path: tuple[Any, ...]) -> str:
        """A concrete place of the answer as the spec's path (XML positions named)."""
        response = exchange.response
        assert response is not None
        label, status = exchange.operation, response.status
        decoded = exchange.decoded
        kind = decoded[0] if decoded else kind_of(response.media_type)
        schema = media_schema(self.spec, label, status, response.media_type) or media_schema(
            self.spec, label, status, MEDIA.get(kind or "", "")
        )
        steps = pointers.spec_path(self.spec, schema, path)
        if kind == XML:
            twin = media_schema(self.spec, label, status, MEDIA["json"])
            if twin is None and exchange.is_error(self.facts.envelope):
                twin = media_schema(
                    self.spec, label, error_status(self.spec, label) or status, MEDIA["json"]
                )
            steps = pointers.named(self.spec, schema, twin, steps)
        return pointers.as_text(steps)

    def _schema_findings(
        self, exchange: Exchange, found: CheckFailure, base: dict[str, str]
    ) -> list[Finding]:
        response = exchange.response
        assert response is not None
        if exchange.is_error(self.facts.envelope) and self.status_guesses:
            explained = self.explain(exchange, found)
            if explained and set(explained) <= self.status_guesses:
                code = (exchange.envelope(self.facts.envelope) or (None, None))[1]
                status = error_status(self.spec, exchange.operation)
                return [
                    self._finding(
                        exchange,
                        base,
                        SCHEMA,
                        "(whole answer)",
                        "error-status",
                        ASSUMPTION,
                        explained,
                        found.title,
                        f"an error envelope answered with HTTP {response.status}",
                        f"an error envelope with the spec's error status (HTTP {status})",
                        f"HTTP {response.status} with error code {code}",
                    )
                ]
        errors = self._schema_errors(exchange)
        results: list[Finding] = []
        if errors is not None:
            results = self._from_errors(exchange, base, errors, found.title)
        if results:
            return results
        # Not readable error by error (not decodable, no schema): the failure as reported.
        place = self._place(exchange, found.pointer or ())
        explained = self.explain(exchange, found)
        category, ids = (ASSUMPTION, explained) if explained else (BREAKING, ())
        return [
            self._finding(
                exchange,
                base,
                SCHEMA,
                place,
                found.keyword or "",
                category,
                ids,
                found.title,
                found.message,
                found.expected or "what the spec describes",
                found.observed or found.message,
            )
        ]

    def _from_errors(
        self,
        exchange: Exchange,
        base: dict[str, str],
        errors: Iterator[ValidationError],
        title: str,
    ) -> list[Finding]:
        table: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
        for index, error in enumerate(errors):
            for place, rule, ids, expected, observed in self._change(exchange, error):
                key = (place, rule, ids)
                known = table.get(key)
                if known is not None:
                    known.count += 1
                    continue
                if len(table) >= MAX_CHANGES:
                    continue
                category = ASSUMPTION if ids else BREAKING
                message = f"{place}: {rule} ({expected})"
                table[key] = self._finding(
                    exchange,
                    base,
                    SCHEMA,
                    place,
                    rule,
                    category,
                    ids,
                    title,
                    message,
                    expected,
                    observed,
                )
            if index > 10_000_000:  # pragma: no cover (bounded by the answer's size anyway)
                break
        return list(table.values())

    def _change(
        self, exchange: Exchange, error: ValidationError
    ) -> Iterator[tuple[str, str, tuple[str, ...], str, str]]:
        """(place, rule, refuted guesses, expected, observed) of one schema error."""
        keyword = str(error.validator)
        path = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if keyword in ("anyOf", "oneOf") and error.context:
            deepest = max(error.context, key=lambda e: len(e.absolute_path))
            yield from self._change(exchange, deepest)
            return
        value: Any = error.validator_value
        if keyword == "required":
            names = [str(name) for name in value] if isinstance(value, list) else []
            missing = [
                name
                for name in names
                if isinstance(error.instance, dict) and name not in error.instance
            ]
            for name in missing or names[:1]:
                place = self._place(exchange, (*path, name))
                kind = _type_of(schema.get("properties", {}).get(name, {}), self.spec)
                expected = f"`{name}`" + (f" ({kind}, required)" if kind else " (required)")
                yield place, "required", (), expected, "missing"
            return
        place = self._place(exchange, path)
        mark = schema.get(ledger.UNCONFIRMED)
        ids: tuple[str, ...] = ()
        if keyword in ledger.CONSTRAINTS and isinstance(mark, Mapping) and "id" in mark:
            ids = (str(mark["id"]),)
        expected = f"{keyword} {value!r}" if keyword != "type" else f"{value}"
        observed = _cut(repr(error.instance)) if keyword != "type" else json_type(error.instance)
        yield place, keyword, ids, expected, observed

    # -- one failure ------------------------------------------------------------------------

    def _finding(
        self,
        exchange: Exchange,
        base: dict[str, str],
        check: str,
        place: str,
        rule: str,
        category: str,
        ids: tuple[str, ...],
        title: str,
        message: str,
        expected: str,
        observed: str,
        count: int = 1,
    ) -> Finding:
        identity = Identity(base["operation"], base["status"], base["media"], check, place, rule)
        return Finding(
            identity=identity,
            category=category,
            assumptions=tuple(ids),
            title=title,
            message=_cut(message) if len(message) > 400 else message,
            expected=_cut(expected),
            observed=_cut(observed),
            reproduce=reproduce(self.base_url, exchange, self.facts),
            count=count,
            examples=[exchange.interaction.id],
        )

    def _unsupported_value(self, exchange: Exchange) -> str | None:
        """The guess about unsupported values, when this request sent one and the answer is
        not what the spec guessed (refused like any other bad request: an error envelope)."""
        operation = self.facts.operation(exchange.operation)
        query = dict(exchange.interaction.request.query)
        for parameter in operation.parameters if operation else ():
            guessed = parameter.guess and parameter.enum is not None and parameter.name in query
            if guessed and query[parameter.name] not in (parameter.enum or ()):
                return None if exchange.is_error(self.facts.envelope) else parameter.guess
        return None

    def findings_of(self, exchange: Exchange, found: CheckFailure) -> list[Finding]:
        response = exchange.response
        assert response is not None
        base = {
            "operation": exchange.operation,
            "status": status_class(response.status),
            "media": response.media_type or "(none)",
        }
        check = found.check
        guess = self._unsupported_value(exchange)
        if guess is not None and check != ADDITIVE:
            return [
                self._finding(
                    exchange,
                    base,
                    check,
                    "(whole answer)",
                    "unsupported-value",
                    ASSUMPTION,
                    (guess,),
                    found.title,
                    found.message,
                    found.expected or "an error envelope",
                    found.observed or f"HTTP {response.status}",
                )
            ]
        if check == ADDITIVE:
            place = self._place(exchange, found.pointer or ())
            leaf = place.rsplit("/", 1)[-1]
            return [
                self._finding(
                    exchange,
                    base,
                    check,
                    place,
                    "",
                    ADDITIVE_DRIFT,
                    (),
                    found.title,
                    found.message,
                    f"no `{leaf}` (not in the spec)",
                    f"`{leaf}` ({found.observed or 'a value'}) in {found.count} place(s)",
                    count=found.count,
                )
            ]
        if check == COUNT:
            counted = _counting_guess(self.spec, exchange.operation, response.status)
            guesses = (counted,) if counted else ()
            place = self._place(exchange, found.pointer or ())
            return [
                self._finding(
                    exchange,
                    base,
                    check,
                    place,
                    "x-counts",
                    ASSUMPTION if guesses else BREAKING,
                    guesses,
                    found.title,
                    found.message,
                    found.expected,
                    found.observed,
                )
            ]
        if check == SCHEMA:
            if only_trailing_entries(self.spec, exchange, self.facts):
                return []  # additive_drift reports the trailing entries
            return self._schema_findings(exchange, found, base)
        category = BREAKING
        ids: tuple[str, ...] = ()
        if check in ACCEPTANCE:
            ident = ledger.mark_at(self.spec, _error_response(self.spec, exchange.operation))
            if exchange.is_error(self.facts.envelope) and ident is not None:
                category, ids = ASSUMPTION, (ident,)
        elif check in RELAXABLE:
            explained = self.explain(exchange, found)
            if explained:
                category, ids = ASSUMPTION, explained
        expected, observed = found.expected, found.observed
        if ids and set(ids) <= self.status_guesses:
            code = (exchange.envelope(self.facts.envelope) or (None, None))[1]
            status = error_status(self.spec, exchange.operation)
            expected = f"an error envelope with the spec's error status (HTTP {status})"
            observed = f"HTTP {response.status} with error code {code}"
        if check in ACCEPTANCE or check in RELAXABLE:
            base = {**base, "status": status_class(response.status)}
        place = "(whole answer)" if found.pointer is None else self._place(exchange, found.pointer)
        return [
            self._finding(
                exchange,
                base,
                check,
                place,
                found.keyword or "",
                category,
                ids,
                found.title,
                found.message,
                expected or _EXPECTED.get(check, f"an answer `{check}` accepts"),
                observed or f"HTTP {response.status}",
            )
        ]

    # -- the whole record --------------------------------------------------------------------

    def _missing_operations(self, exchanges: list[Exchange]) -> dict[str, Exchange]:
        """Operations the target does not have: every answer a 404 that is none of the
        operation's documented outcomes."""
        by_operation: dict[str, list[Exchange]] = {}
        for exchange in exchanges:
            if exchange.response is not None:
                by_operation.setdefault(exchange.operation, []).append(exchange)
        missing = {}
        for operation in self.facts.operations:
            answered = by_operation.get(operation.label, [])
            documented = {s.code for s in operation.errors}
            if not answered or any(e.response and e.response.status != 404 for e in answered):
                continue
            outcomes = [e.envelope(self.facts.envelope) for e in answered]
            if any(o is not None and (o[0] is True or o[1] in documented) for o in outcomes):
                continue
            missing[operation.label] = answered[0]
        return missing

    def grade(self, record: Record) -> Outcome:
        outcome = Outcome(record=record, errors=list(record.errors), gaps=list(record.gaps))
        exchanges = [Exchange(interaction) for interaction in record.interactions]
        missing = self._missing_operations(exchanges)
        table: dict[Identity, Finding] = {}
        reached: dict[str, str | None] = {}
        for label, exchange in missing.items():
            response = exchange.response
            assert response is not None
            finding = self._finding(
                exchange,
                {"operation": label, "status": "4xx", "media": response.media_type or "(none)"},
                MISSING,
                "(whole answer)",
                "404",
                BREAKING,
                (),
                "The operation does not exist on the target",
                f"{label}: the target answers 404: the operation does not exist there",
                f"{label} answering as documented",
                f"HTTP 404 to every request ({response.media_type or 'no content type'})",
            )
            table[finding.identity] = finding
        for exchange in exchanges:
            if exchange.response is None or exchange.operation in missing:
                continue
            checked = self.engine.check(exchange.interaction, xml_value=_xml_value(exchange))
            ours, errors = run_ours(self.spec, exchange)
            outcome.checks += len(checked.ran) + len(self._ours_ran(errors))
            outcome.checked |= set(checked.ran) | set(self._ours_ran(errors))
            outcome.errors += [
                f"{exchange.operation} ({exchange.interaction.id}): {error}"
                for error in [*checked.errors, *errors]
            ]
            for ident, contrary in exercised(self.spec, exchange).items():
                if contrary is not None or ident not in reached:
                    reached[ident] = reached.get(ident) or contrary
            found = [
                f
                for failure in [*checked.failures, *ours]
                for f in self.findings_of(exchange, failure)
            ]
            for finding in _renamed(found, exchange, self.spec):
                self._merge(table, finding)
        outcome.findings = sorted(
            table.values(), key=lambda f: (f.operation, f.category, f.check, f.field)
        )
        self._accept(outcome)
        outcome.verdicts = self._verdicts(outcome.findings, reached)
        outcome.coverage = coverage(self.spec, exchanges)
        self._coverage_gaps(outcome)
        return outcome

    @staticmethod
    def _ours_ran(errors: list[str]) -> list[str]:
        failed = {error.split(":", 1)[0] for error in errors}
        return [name for name in ("documented_error_codes", ADDITIVE, COUNT) if name not in failed]

    @staticmethod
    def _merge(table: dict[Identity, Finding], finding: Finding) -> None:
        known = table.get(finding.identity)
        if known is None:
            table[finding.identity] = finding
            return
        known.count += finding.count
        known.answers += 1
        if len(known.examples) < EXAMPLES and finding.examples[0] not in known.examples:
            known.examples.append(finding.examples[0])

    def _accept(self, outcome: Outcome) -> None:
        if self.baseline is None:
            return
        for finding in outcome.findings:
            entry = self.baseline.accepting(finding.identity.as_dict(), self.today)
            if entry is not None:
                finding.accepted = entry.reason
        outcome.expired = [
            f"expired {entry.expires}: {entry.describe()}"
            for entry in self.baseline.expired(self.today)
        ]

    def _verdicts(self, findings: list[Finding], reached: dict[str, str | None]) -> list[Verdict]:
        refuted: dict[str, str] = {}
        for finding in findings:
            for ident in finding.assumptions:
                refuted.setdefault(
                    ident, f"{finding.observed} ({finding.operation} {finding.field})"
                )
        for ident, contrary in reached.items():
            if contrary is not None:
                refuted.setdefault(ident, contrary)
        verdicts = []
        for mark in ledger.marks(self.spec):
            if mark.id in refuted:
                state, seen = REFUTED, refuted[mark.id]
            elif mark.id in reached:
                state, seen = CONFIRMED, None
            else:
                state, seen = NOT_EXERCISED, None
            where = tuple(ledger.where(self.spec, mark))
            verdicts.append(Verdict(mark.id, state, seen, where, mark.reason))
        return verdicts

    def _coverage_gaps(self, outcome: Outcome) -> None:
        record = outcome.record
        covered = {label for label, seen in outcome.coverage.items() if seen.success}
        # A gap the plan foresaw is not said when the run saw the success answer anyway.
        outcome.gaps = [gap for gap in outcome.gaps if gap.split(":", 1)[0] not in covered]
        if record.stopped is not None or record.interrupted is not None:
            return
        missing = {finding.operation for finding in outcome.findings if finding.check == MISSING}
        for operation in self.facts.operations:
            label = operation.label
            if label in covered or label in missing:
                continue
            text = f"{label} never gave its success answer (HTTP 200, success: true)"
            if not operation.credentials:
                outcome.fatal_gaps.append(text)
            elif record.rental_token:
                needed = ", ".join(sorted({p.credential or "" for p in operation.credentials}))
                outcome.fatal_gaps.append(f"{text}: is {needed} right for this account?")
            elif not any(gap.startswith(label) for gap in outcome.gaps):
                outcome.gaps.append(text)


def _xml_value(exchange: Exchange) -> Any:
    """The answer's positional XML value when decoded already (None otherwise)."""
    decoded = exchange.decoded
    return decoded[1] if decoded is not None and decoded[0] == XML else None


def _failure_key(failure: CheckFailure) -> tuple[Any, ...]:
    return (failure.check, failure.title, failure.keyword, failure.pointer, failure.observed)


def _error_response(spec: Mapping[str, Any], label: str) -> Any:
    method, _, path = label.partition(" ")
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    found = ledger.error_response(operation)
    return None if found is None else found[1]


def _counting_guess(spec: Mapping[str, Any], label: str, status: int) -> str | None:
    """The ledger id of the guess that an `x-counts` field counts its array (None: a fact)."""
    schema = ledger.resolve(spec, media_schema(spec, label, status, MEDIA["json"]) or {})
    for sub in (schema.get("properties", {}) if isinstance(schema, Mapping) else {}).values():
        if isinstance(ledger.resolve(spec, sub), Mapping) and "x-counts" in ledger.resolve(
            spec, sub
        ):
            return ledger.mark_at(spec, sub)
    return None


def _values_at(body: Any, steps: list[str]) -> list[Any]:
    """The values at a place of a decoded JSON body (`*` steps into every array item)."""
    found = [body]
    for step in steps:
        found = [
            item
            for value in found
            for item in (
                value
                if step == pointers.STAR and isinstance(value, list)
                else [value[step]]
                if isinstance(value, dict) and step in value
                else []
            )
        ]
    return found


def _anchored(node: Any) -> Any:
    """A schema node of the spec with its local `$ref`s made absolute (validated alone)."""
    if isinstance(node, Mapping):
        return {
            key: (_SPEC_URI + value)
            if key == "$ref" and isinstance(value, str) and value.startswith("#")
            else _anchored(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_anchored(item) for item in node]
    return node


def _likeness(
    spec: Mapping[str, Any], exchange: Exchange, gone: str, new: str
) -> tuple[bool, bool, int]:
    """How much the undocumented field `new` looks like the documented field `gone` renamed
    (both places as the spec's path): its values are what the spec says of `gone`; it sits
    where `gone` sat among the documented fields; the length of the start of their names."""
    *parent, name = gone.lstrip("/").split("/")
    new_name = new.rsplit("/", 1)[-1]
    prefix = next(
        (i for i, (a, b) in enumerate(zip(name, new_name, strict=False)) if a != b),
        min(len(name), len(new_name)),
    )
    response, decoded = exchange.response, exchange.decoded
    if response is None or decoded is None or decoded[0] == XML:
        return False, False, prefix
    node: Any = media_schema(spec, exchange.operation, response.status, response.media_type)
    try:
        for step in parent:
            node = ledger.resolve(spec, node)
            node = node.get("items") if step == pointers.STAR else node["properties"][step]
        node = ledger.resolve(spec, node)
        documented = list(node["properties"])
        prop = node["properties"][name]
    except (KeyError, TypeError, AttributeError, refs.RefError):
        return False, False, prefix
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(dict(spec), default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(_anchored(prop), registry=registry)
    values = _values_at(decoded[1], [*parent, new_name])
    fits = bool(values) and all(validator.is_valid(value) for value in values)
    holders = [o for o in _values_at(decoded[1], parent) if isinstance(o, dict) and new_name in o]
    place = False
    if holders:
        keys = [k for k in holders[0] if k in documented or k == new_name]
        wanted = [k for k in documented if k in holders[0] or k == name]
        place = keys.index(new_name) == wanted.index(name)
    return fits, place, prefix


def _renamed(found: list[Finding], exchange: Exchange, spec: Mapping[str, Any]) -> list[Finding]:
    """A documented field missing where an undocumented one of the same JSON type appeared,
    as often, at the same place: one finding, the rename. Of several such fields, the one
    most like the missing one (`_likeness`) is taken."""
    missing = [f for f in found if f.identity.rule == "required"]
    added = [f for f in found if f.check == ADDITIVE]
    if not missing or not added:
        return found
    kept = list(found)
    for gone in missing:
        parent, _, name = gone.field.rpartition("/")
        wanted = (
            gone.expected.split("(", 1)[-1].split(",")[0].strip(" )")
            if "(" in gone.expected
            else ""
        )
        candidates = [
            new
            for new in added
            if new in kept
            and new.field.rpartition("/")[0] == parent
            and new.count == gone.count
            and (not wanted or f"({wanted})" in new.observed)
        ]
        if not candidates:
            continue
        new = max(candidates, key=lambda c: _likeness(spec, exchange, gone.field, c.field))
        new_name = new.field.rpartition("/")[2]
        kept.remove(new)
        kept.remove(gone)
        gone.identity = Identity(
            gone.identity.operation,
            gone.identity.status,
            gone.identity.media,
            SCHEMA,
            gone.field,
            "renamed",
        )
        gone.title = "Documented field renamed"
        gone.message = (
            f"`{name}` is gone and `{new_name}` ({wanted or 'a value'}) came in its place"
        )
        gone.expected = f"`{name}`"
        gone.observed = f"`{new_name}` in its place ({gone.count} place(s))"
        kept.append(gone)
    return kept


__all__ = [
    "ADDITIVE_DRIFT",
    "ASSUMPTION",
    "BREAKING",
    "EXIT_UNUSABLE",
    "Finding",
    "Grader",
    "Identity",
    "Outcome",
    "Verdict",
]
