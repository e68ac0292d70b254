"""The run's reports: summary.md for people, junit.xml for CI, report.json for tools.

Everything in them comes from the masked record (placeholders instead of keys, tokens and
personal data); `Outputs.write` verifies each text before it is written. Markdown stays valid
whatever a masked value holds: inline code uses a fence longer than any backtick run inside
(`code`), table cells escape `|` and line breaks (`cell`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from smspartner_contract.grading import (
    ADDITIVE_DRIFT,
    ASSUMPTION,
    BREAKING,
    NOT_EXERCISED,
    REFUTED,
    Finding,
    Outcome,
)
from smspartner_contract.privacy import Outputs

SUMMARY, JUNIT, REPORT = "summary.md", "junit.xml", "report.json"
REPORTS = (SUMMARY, JUNIT, REPORT)
_BACKTICKS = re.compile(r"`+")


def code(text: str) -> str:
    """`text` as a Markdown code span, valid whatever it holds (backticks included)."""
    text = " ".join(str(text).split())
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """`text` as one Markdown table cell."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def _finding_lines(finding: Finding) -> list[str]:
    about = f" refutes {code(finding.assumption or '')}" if finding.assumptions else ""
    seen = f"{finding.count} place(s) in {finding.answers} answer(s)"
    lines = [
        f"- **{finding.category}** {code(finding.check)}{about}: {finding.title} ({seen})",
        f"  - field: {code(finding.field)}"
        + (f", rule {code(finding.identity.rule)}" if finding.identity.rule else ""),
        f"  - expected: {code(finding.expected)}; seen: {code(finding.observed)}",
        f"  - reproduce: {code(finding.reproduce)}",
    ]
    if finding.accepted is not None:
        lines.insert(1, f"  - accepted drift (does not fail the run): {finding.accepted}")
    return lines


def _mode(mode: str) -> str:
    if mode == "live":
        return "live: the probe plan only (GET)"
    return "full: the probe plan, then schemathesis's examples, coverage and fuzzing phases"


def _header(outcome: Outcome) -> list[str]:
    record = outcome.record
    replayed = record.replay_of
    spec = f"{code(outcome.spec_path)} (version {outcome.spec_version})"
    if replayed is not None:
        return [
            "# Replay of a recording",
            "",
            f"- recording: {code(getattr(replayed, 'source', ''))}, recorded "
            f"{replayed.recorded_at or 'at an unknown date'} against {code(record.target)} "
            f"({_mode(record.mode)})",
            f"- judged by: {spec}",
            f"- verdict: **{outcome.verdict}**",
            f"- exit status: {outcome.exit_code}",
            f"- {len(record.interactions)} recorded exchanges, {outcome.checks} checks, "
            f"replayed in {record.seconds:.1f} s",
            "",
        ]
    return [
        "# Contract run",
        "",
        f"- target: {code(record.target)}",
        f"- mode: {_mode(record.mode)}",
        f"- spec: {spec}",
        f"- verdict: **{outcome.verdict}**",
        f"- exit status: {outcome.exit_code}",
        f"- {record.requests} requests, {outcome.checks} checks, {record.seconds:.1f} s",
        "",
    ]


def summary(outcome: Outcome) -> str:
    """Markdown: the verdict, the findings by operation, the ledger, the coverage."""
    record = outcome.record
    lines = _header(outcome)
    if record.interrupted is not None:
        lines += ["**This run was interrupted: what follows covers only what was sent.**", ""]
    if record.stopped:
        lines += [f"**Stopped early:** {record.stopped}", ""]
    by_operation: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        by_operation.setdefault(finding.operation, []).append(finding)
    if by_operation:
        lines += ["## Findings", ""]
    for operation, findings in sorted(by_operation.items()):
        lines += [f"### {operation}", ""]
        for finding in findings:
            lines += _finding_lines(finding)
        lines.append("")
    lines += ["## Assumptions (the ledger)", "", "| id | verdict | seen |", "| --- | --- | --- |"]
    for verdict in outcome.verdicts:
        lines.append(f"| {code(verdict.id)} | {verdict.verdict} | {cell(verdict.observed or '')} |")
    lines += [
        "",
        "## Coverage",
        "",
        "| operation | answers (status, media type) | error codes | documented codes not seen "
        "| successes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, answered in outcome.coverage.items():
        shown = sorted(answered.answers.items())
        kinds = ", ".join(f"{status} {media} x{n}" for (status, media), n in shown) or "none"
        codes = ", ".join(f"{k} x{v}" for k, v in sorted(answered.codes.items())) or "none"
        missing = ", ".join(str(c) for c in answered.missing_codes) or "none"
        cells = (label, kinds, codes, missing, str(answered.success))
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    lines.append("")
    notes = [*outcome.fatal_gaps, *outcome.gaps]
    if notes:
        lines += ["## Not exercised", "", *(f"- {note}" for note in notes), ""]
    if outcome.expired:
        lines += ["## Expired acceptances", "", *(f"- {line}" for line in outcome.expired), ""]
    if outcome.errors:
        lines += ["## Errors", "", *(f"- {error}" for error in outcome.errors[:20])]
        if len(outcome.errors) > 20:
            lines.append(f"- ... and {len(outcome.errors) - 20} more (report.json)")
        lines.append("")
    return "\n".join(lines)


def junit(outcome: Outcome) -> str:
    """A failing case per finding, a case per guess (failing when refuted), errors as errors."""
    suite = ET.Element("testsuite", name="smspartner-contract")
    failures = skipped = 0
    for finding in outcome.findings:
        case = ET.SubElement(
            suite, "testcase", classname=finding.operation, name=f"{finding.check} {finding.field}"
        )
        if finding.accepted is not None:
            ET.SubElement(case, "skipped", message=f"accepted drift: {finding.accepted}")
            skipped += 1
            continue
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{finding.category}: {finding.title} ({finding.field})",
            type=finding.category,
        )
        failure.text = f"{finding.message}\n{finding.reproduce}"
        failures += 1
    for verdict in outcome.verdicts:
        case = ET.SubElement(suite, "testcase", classname="assumptions", name=verdict.id)
        if verdict.verdict == REFUTED:
            ET.SubElement(case, "failure", message=f"refuted: {verdict.observed}", type=ASSUMPTION)
            failures += 1
        elif verdict.verdict == NOT_EXERCISED:
            ET.SubElement(case, "skipped", message="not exercised by this run")
            skipped += 1
    errors = [*outcome.errors, *outcome.fatal_gaps]
    if outcome.record.stopped:
        errors.insert(0, outcome.record.stopped)
    if outcome.record.interrupted is not None:
        errors.insert(0, "interrupted before the end of the run")
    for error in errors:
        case = ET.SubElement(suite, "testcase", classname="run", name="error")
        ET.SubElement(case, "error", message=error)
    suite.set("tests", str(len(outcome.findings) + len(outcome.verdicts) + len(errors)))
    suite.set("failures", str(failures))
    suite.set("errors", str(len(errors)))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{outcome.record.seconds:.3f}")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def report_data(outcome: Outcome) -> dict[str, Any]:
    """The machine-readable report (`report.json`)."""
    record = outcome.record
    replayed = record.replay_of
    return {
        "exit_code": outcome.exit_code,
        "verdict": outcome.verdict,
        "kind": "replay" if replayed is not None else "run",
        "target": record.target,
        "mode": record.mode,
        "spec": {"path": outcome.spec_path, "version": outcome.spec_version},
        "recording": None
        if replayed is None
        else {
            "path": getattr(replayed, "source", ""),
            "recorded_at": replayed.recorded_at,
            "target": replayed.target,
            "mode": replayed.mode,
            "spec_version": replayed.spec_version,
            "complete": replayed.complete,
        },
        "requests": record.requests,
        "checks": outcome.checks,
        "seconds": round(record.seconds, 3),
        "interrupted": record.interrupted is not None,
        "stopped": record.stopped,
        "findings": [
            {
                "category": f.category,
                "identity": f.identity.as_dict(),
                "check": f.check,
                "operation": f.operation,
                "field": f.field,
                "title": f.title,
                "message": f.message,
                "assumption": f.assumption,
                "assumptions": list(f.assumptions),
                "expected": f.expected,
                "observed": f.observed,
                "reproduce": f.reproduce,
                "count": f.count,
                "answers": f.answers,
                "examples": list(f.examples),
                "accepted": f.accepted,
                "baseline_entry": f.baseline_entry(),
            }
            for f in outcome.findings
        ],
        "assumptions": [
            {
                "id": v.id,
                "verdict": v.verdict,
                "observed": v.observed,
                "where": list(v.where),
                "reason": v.reason,
            }
            for v in outcome.verdicts
        ],
        "coverage": {label: seen.as_dict() for label, seen in outcome.coverage.items()},
        "not_exercised": [*outcome.fatal_gaps, *outcome.gaps],
        "errors": outcome.errors,
        "expired_acceptances": outcome.expired,
        "counts": {
            category: len(outcome.counted(category))
            for category in (BREAKING, ASSUMPTION, ADDITIVE_DRIFT)
        },
    }


def write_reports(outcome: Outcome, outputs: Outputs) -> str:
    """Write summary.md, junit.xml and report.json (each verified); return the summary."""
    text = summary(outcome)
    outputs.write(SUMMARY, text)
    outputs.write(JUNIT, junit(outcome))
    outputs.write(REPORT, json.dumps(report_data(outcome), ensure_ascii=False, indent=2) + "\n")
    return text
