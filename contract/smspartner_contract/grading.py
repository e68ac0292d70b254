"""Grading: every failed check becomes a finding in one category, every guess gets a verdict.

- **breaking**: a documented fact no longer holds (a renamed, removed or retyped field,
  `success` flipped, a documented code replaced by another, a malformed answer...).
- **assumption**: only guesses of the ledger fail. For the conformance checks the answer is
  judged again by schemathesis's same check against the relaxed view of the spec (ledger.py):
  one guess dropped at a time first, then all of them, cut down to the fewest that explain it.
  An acceptance check (`negative_data_rejection`, `positive_data_acceptance`) failing on an
  error envelope blames the error-status guess of its operation; `nb_data_consistency` names
  its guess; any failure of a request with an unsupported `_format` blames that guess.
- **additive**: an undocumented JSON field or a trailing XML entry (`additive_drift`).

Exit status: 1 breaking, else 2 when the run could not be made or vouch for itself (stopped
early, a check that could not run, no success answer where one was asked for), else 4 guesses
refuted, else 3 additive only, else 0; 128+N when signal N interrupted it (130: Ctrl-C).
A finding the baseline of accepted drift lists (with a reason and an unexpired date) is
reported as accepted and does not count; an expired entry is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from schemathesis.baseline import Baseline, BaselineEntry, failure_identity
from schemathesis.core.failures import Failure
from schemathesis.schemas import BaseSchema
from smspartner_client.redact import Redactor

from smspartner_contract import ledger
from smspartner_contract.checks import is_error, nb_data_assumption
from smspartner_contract.exercise import (
    OperationCoverage,
    any_envelope,
    coverage,
    exercised,
    learn_phone_numbers,
)
from smspartner_contract.plan import required_query
from smspartner_contract.run import Record, load_schema
from smspartner_contract.validate import CheckFailure, Validated, Validator, full_url

BREAKING, ASSUMPTION, ADDITIVE = "breaking", "assumption", "additive"
CONFIRMED, REFUTED, NOT_EXERCISED = "confirmed", "refuted", "not exercised"
EXIT_OK, EXIT_BREAKING, EXIT_UNUSABLE, EXIT_ADDITIVE, EXIT_ASSUMPTION = 0, 1, 2, 3, 4
RELAXABLE = frozenset(
    {
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    }
)
ACCEPTANCE = frozenset({"negative_data_rejection", "positive_data_acceptance"})
_SHOWN = 80


@dataclass(frozen=True)
class Finding:
    """One graded finding (deduplicated: `count` exchanges showed it)."""

    category: str
    check: str
    operation: str
    field: str
    message: str
    assumptions: tuple[str, ...]
    expected: str
    observed: str
    reproduce: str
    title: str
    code: str
    interaction: str
    failure: Failure
    count: int = 1
    accepted: str | None = None
    """The reason of the baseline entry that accepts this finding, if one does."""

    @property
    def assumption(self) -> str | None:
        return ", ".join(self.assumptions) or None

    def baseline_entry(self) -> dict[str, str]:
        """What to paste into the accepted-drift file (add `reason` and `expires`)."""
        operation, check, failure, signature = failure_identity(self.failure, self.check)
        return {"operation": operation, "check": check, "failure": failure, "signature": signature}


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
        if self.counted(ADDITIVE):
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
        breaking = self.counted(BREAKING)
        if code == EXIT_BREAKING:
            return f"BREAKING DRIFT: {len(breaking)} documented fact(s) no longer hold"
        if code == EXIT_UNUSABLE:
            return f"ERROR: the run could not be made or completed ({self.unusable_because})"
        if code == EXIT_ASSUMPTION:
            ids = sorted({a for f in self.counted(ASSUMPTION) for a in f.assumptions})
            return (
                f"GUESSES REFUTED: {len(ids)} guess(es) of the spec do not hold ({', '.join(ids)})"
            )
        if code == EXIT_ADDITIVE:
            return (
                f"ADDITIVE DRIFT only: {len(self.counted(ADDITIVE))} undocumented field report(s)"
            )
        return "the target matches the spec"


# ---- the accepted drift ------------------------------------------------------------------------


class BaselineError(Exception):
    """An accepted-drift file that cannot be used; the message is one line."""


def load_baseline(path: Any) -> Baseline:
    """schemathesis's baseline file, each entry with a `reason` and an `expires` date."""
    try:
        baseline = Baseline.load(path)
    except (ValueError, OSError) as exc:
        raise BaselineError(
            f"{path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    for entry in baseline.entries:
        if not str(entry.extra.get("reason", "")).strip():
            raise BaselineError(f"{path}: entry {entry.id} has no `reason`")
        if entry.expires is None:
            raise BaselineError(f"{path}: entry {entry.id} has no `expires` date (YYYY-MM-DD)")
    return baseline


def _expired(baseline: Baseline, today: dt.date) -> list[BaselineEntry]:
    return [entry for entry in baseline.entries if entry.is_expired(today)]


# ---- reading failures ----------------------------------------------------------------------------


def identity(failure: Failure) -> tuple[Any, ...]:
    """What makes a failure the same under another view of the spec: its kind, and for a
    schema failure the field and the keyword (schema paths move when a view changes)."""
    path = getattr(failure, "instance_path", None)
    schema_path = getattr(failure, "schema_path", None)
    if path is not None and schema_path:
        return type(failure).__name__, tuple(path), str(list(schema_path)[-1])
    return type(failure).__name__, failure._unique_key


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _field(failure: Failure) -> str:
    path = getattr(failure, "instance_path", None)
    if path is not None:
        return "/" + "/".join(str(part) for part in path) if list(path) else "(whole body)"
    own = getattr(failure, "field", None)
    if isinstance(own, str):
        return own
    if "deserializ" in str(failure.message).lower():
        return "(whole body: not decodable)"
    return "-"


def json_twin(spec: Mapping[str, Any], path: str, method: str, status: int, pointer: str) -> str:
    """The field names of a positional XML pointer: `/3/0/1` of the stop list is
    `/data/0/phoneNumber`; a position past the documented fields is shown as `+N`."""
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    response = operation.get("responses", {}).get(str(status))
    schema: Any = None
    if response is not None:
        schema = ledger.resolve(spec, response).get("content", {}).get("application/json", {})
        schema = schema.get("schema")
    names: list[str] = []
    for part in [p for p in pointer.split("/") if p]:
        schema = ledger.resolve(spec, schema) if schema is not None else None
        if not isinstance(schema, Mapping):
            names.append(part)
            continue
        fields = list(schema.get("properties", {}))
        if fields:
            index = int(part) if part.isdigit() else -1
            if 0 <= index < len(fields):
                names.append(fields[index])
                schema = schema["properties"][fields[index]]
            else:
                names.append(f"+{part}")
                schema = None
        else:
            names.append(part)
            items = schema.get("items")
            schema = items if isinstance(items, Mapping) else None
    return "/" + "/".join(names)


class Grader:
    """Grades the exchanges of one record against one spec."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        validator: Validator,
        config: dict[str, Any],
        redactor: Redactor,
        baseline: Baseline | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.spec = spec
        self.validator = validator
        self.config = config
        self.redactor = redactor
        self.baseline = baseline
        self.today = today or dt.date.today()
        self._views: dict[frozenset[str], BaseSchema] = {}
        self._left: dict[tuple[Any, ...], set[Any]] = {}
        self.relaxable = ledger.relaxable(spec)
        self.status_guesses = {m.id for m in ledger.marks(spec) if m.kind == "response"}
        self.guessed_parameters = ledger.parameter_enums(spec)

    # -- the relaxed re-check ----------------------------------------------------------------------

    def _view(self, ids: frozenset[str]) -> BaseSchema:
        if ids not in self._views:
            self._views[ids] = load_schema(self.config, ledger.relaxed(self.spec, ids))
        return self._views[ids]

    def _left_without(self, validated: Validated, check: str, ids: frozenset[str]) -> set[Any]:
        """What `check` still finds on this answer when the guesses `ids` are dropped."""
        interaction = validated.interaction
        response = interaction.response
        assert response is not None
        key = (
            ids,
            check,
            interaction.operation,
            interaction.request.method,
            response.status,
            response.headers,
            response.body,
        )
        if key not in self._left:
            found = self.validator.failures_under(interaction, [check], self._view(ids))
            self._left[key] = {identity(item.failure) for item in found}
        return self._left[key]

    def explain(self, validated: Validated, found: CheckFailure) -> tuple[str, ...] | None:
        """The fewest guesses whose dropping makes this failure go away, or None.

        The error-status guesses only explain an answer that is an error envelope (code not
        200, "all went well"): a success answer at HTTP 201, or with `success: false`, is not.
        """
        error = is_error(any_envelope(validated.interaction))
        candidates = [i for i in self.relaxable if error or i not in self.status_guesses]
        me, check = identity(found.failure), found.check

        def gone(ids: set[str]) -> bool:
            left = self._left_without(validated, check, frozenset(ids))
            if ids & self.status_guesses:
                # The error schema then stands beside the success one (anyOf): the failure
                # moves rather than vanishes, so only a clean pass clears the answer.
                return not left
            return me not in left

        for ident in candidates:
            if gone({ident}):
                return (ident,)
        needed = set(candidates)
        if not gone(needed):
            return None
        for ident in candidates:
            if gone(needed - {ident}):
                needed.discard(ident)
        return tuple(sorted(needed))

    # -- one failure -------------------------------------------------------------------------

    def _error_status_guess(self, operation: str) -> str | None:
        for method, path, op in ledger.operations(self.spec):
            found = ledger.error_response(op) if f"{method} {path}" == operation else None
            if found is not None:
                return ledger.mark_at(self.spec, found[1])
        return None

    def _unsupported_parameter(self, validated: Validated) -> str | None:
        """The guess about unsupported values, when this request sent one and the answer is
        not what the spec guessed (refused like any other bad request: an error envelope)."""
        query = dict(validated.interaction.request.query)
        for name, (ident, enum) in self.guessed_parameters.items():
            if name in query and query[name] not in enum:
                return None if is_error(any_envelope(validated.interaction)) else ident
        return None

    def classify(self, validated: Validated, found: CheckFailure) -> tuple[str, tuple[str, ...]]:
        check = found.check
        if check == "additive_drift":
            return ADDITIVE, ()
        guess = self._unsupported_parameter(validated)
        if guess is not None:
            return ASSUMPTION, (guess,)
        if check == "nb_data_consistency":
            ident = nb_data_assumption(self.spec)
            return (ASSUMPTION, (ident,)) if ident else (BREAKING, ())
        if check in ACCEPTANCE:
            ident = self._error_status_guess(validated.interaction.operation)
            if is_error(any_envelope(validated.interaction)) and ident is not None:
                return ASSUMPTION, (ident,)
            return BREAKING, ()
        if check in RELAXABLE:
            explained = self.explain(validated, found)
            if explained:
                return ASSUMPTION, explained
        return BREAKING, ()

    def _expected_observed(self, validated: Validated, failure: Failure) -> tuple[str, str]:
        response = validated.interaction.response
        assert response is not None
        own_expected = getattr(failure, "expected", None)
        own_observed = getattr(failure, "observed", None)
        if isinstance(own_expected, str) and isinstance(own_observed, str):
            return own_expected, own_observed
        schema_path = getattr(failure, "schema_path", None)
        if schema_path:
            keyword = str(list(schema_path)[-1])
            schema = getattr(failure, "schema", {}) or {}
            wanted = schema.get(keyword, "?") if isinstance(schema, Mapping) else "?"
            return f"{keyword}: {wanted!r}", repr(getattr(failure, "instance", "?"))
        defined = getattr(failure, "defined_content_types", None)
        if defined:
            return ", ".join(defined), response.header("content-type") or "(none)"
        allowed = (
            getattr(failure, "allowed_status_codes", None)
            or getattr(failure, "expected_statuses", None)
            or getattr(failure, "allowed_statuses", None)
        )
        if allowed:
            shown = ", ".join(str(s) for s in list(allowed)[:8])
            return f"HTTP {shown}", f"HTTP {response.status}"
        return "-", f"HTTP {response.status} {response.media_type or '(no content type)'}"

    def finding(self, validated: Validated, found: CheckFailure) -> Finding:
        interaction = validated.interaction
        response = interaction.response
        assert response is not None
        failure = found.failure
        category, assumptions = self.classify(validated, found)
        expected, observed = self._expected_observed(validated, failure)
        if assumptions and set(assumptions) <= self.status_guesses:
            code = (any_envelope(interaction) or (None, None))[1]
            expected = "an error envelope with the spec's error status (HTTP 400)"
            observed = f"HTTP {response.status} with error code {code}"
        where = _field(failure)
        if response.media_type in ("application/xml", "text/xml") and where.startswith("/"):
            method, _, path = interaction.operation.partition(" ")
            where = ", ".join(
                f"{pointer} (JSON {json_twin(self.spec, path, method, response.status, pointer)})"
                for pointer in where.split(", ")
            )
        url = full_url(self.validator.base_url, interaction.request)
        mask = self.redactor.mask
        message = str(failure.message).strip()
        accepted = None
        if self.baseline is not None:
            entry = self.baseline.match(failure, found.check, today=self.today)
            if entry is not None:
                accepted = str(entry.extra.get("reason", "")).strip()
        return Finding(
            category=category,
            check=found.check,
            operation=interaction.operation,
            field=mask(where),
            message=mask(message.splitlines()[0] if message else found.check),
            assumptions=assumptions,
            expected=_cut(mask(expected)),
            observed=_cut(mask(observed)),
            reproduce=f"curl -X {interaction.request.method} '{mask(url)}'",
            title=mask(str(failure.title)),
            code=str(failure.code),
            interaction=interaction.id,
            failure=failure,
            accepted=accepted,
        )

    # -- the whole record --------------------------------------------------------------------

    def grade(self, record: Record) -> Outcome:
        outcome = Outcome(record=record, errors=list(record.errors), gaps=list(record.gaps))
        learn_phone_numbers(self.spec, record, self.redactor)
        findings: dict[tuple[Any, ...], Finding] = {}
        reached: dict[str, str | None] = {}
        for interaction in record.interactions:
            validated = self.validator.validate(interaction)
            outcome.checks += len(validated.ran)
            outcome.checked |= set(validated.ran)
            outcome.errors += [
                self.redactor.mask(f"{interaction.operation} ({interaction.id}): {error}")
                for error in validated.errors
            ]
            for ident, contrary in exercised(self.spec, interaction).items():
                if contrary is not None or ident not in reached:
                    reached[ident] = reached.get(ident) or contrary
            for found in validated.failures:
                graded = self.finding(validated, found)
                key = (
                    graded.category,
                    graded.check,
                    graded.operation,
                    graded.field,
                    graded.assumptions,
                    type(found.failure).__name__,
                    found.failure._unique_key,
                )
                if key in findings:
                    previous = findings[key]
                    findings[key] = replace(previous, count=previous.count + 1)
                else:
                    findings[key] = graded
        outcome.findings = sorted(
            findings.values(), key=lambda f: (f.operation, f.category, f.check, f.field)
        )
        outcome.verdicts = self._verdicts(outcome.findings, reached)
        outcome.coverage = coverage(self.spec, record.interactions)
        self._coverage_gaps(outcome)
        if self.baseline is not None:
            outcome.expired = [
                f"{entry.id} ({entry.operation}, {entry.check}) expired {entry.expires}: "
                f"{entry.extra.get('reason', '')}"
                for entry in _expired(self.baseline, self.today)
            ]
        return outcome

    def _verdicts(self, findings: list[Finding], reached: dict[str, str | None]) -> list[Verdict]:
        refuted: dict[str, str] = {}
        for finding in findings:
            for ident in finding.assumptions:
                refuted.setdefault(
                    ident, f"{finding.observed} ({finding.operation} {finding.field})"
                )
        for ident, contrary in reached.items():
            if contrary is not None:
                refuted.setdefault(ident, self.redactor.mask(contrary))
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
        if record.stopped is not None or record.interrupted is not None:
            return
        for method, path, operation in ledger.operations(self.spec):
            label = f"{method} {path}"
            if outcome.coverage[label].success:
                continue
            needs_rental = bool(required_query(self.spec, operation))
            text = f"{label} never gave its success answer (HTTP 200, success: true)"
            if not needs_rental:
                outcome.fatal_gaps.append(text)
            elif record.rental_token:
                outcome.fatal_gaps.append(
                    f"{text}: is SMSPARTNER_RENTAL_TOKEN a rental of this account?"
                )
            elif not any(gap.startswith(label) for gap in outcome.gaps):
                outcome.gaps.append(text)
