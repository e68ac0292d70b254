"""The run's reports: summary.md for people, junit.xml for CI, report.json for tools.

Everything in them was masked when the findings were built (the key `***`, tokens `abcd••••`,
phone numbers `+33•••••••19`); `write_reports` masks each file's text once more with the run's
redactor before writing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from smspartner_contract.grading import (
    ADDITIVE,
    ASSUMPTION,
    BREAKING,
    NOT_EXERCISED,
    REFUTED,
    Finding,
    Outcome,
)
from smspartner_contract.run import redactor_for

SUMMARY, JUNIT, REPORT = "summary.md", "junit.xml", "report.json"


def _finding_lines(finding: Finding) -> list[str]:
    about = f" refutes `{finding.assumption}`" if finding.assumptions else ""
    times = f" (seen {finding.count}x)" if finding.count > 1 else ""
    lines = [
        f"- **{finding.category}** `{finding.check}`{about}: {finding.title}{times}",
        f"  - field: `{finding.field}`",
        f"  - expected: {finding.expected}; seen: {finding.observed}",
        f"  - {finding.message}",
        f"  - reproduce: `{finding.reproduce}`",
    ]
    if finding.accepted is not None:
        lines.insert(1, f"  - accepted drift (does not fail the run): {finding.accepted}")
    return lines


def _mode(outcome: Outcome) -> str:
    record = outcome.record
    if record.mode == "live":
        return "live: the probe plan only (GET)"
    return "full: the probe plan, then schemathesis's examples, coverage and fuzzing phases"


def summary(outcome: Outcome) -> str:
    """Markdown: the verdict, the findings by operation, the ledger, the coverage."""
    record = outcome.record
    lines = [
        "# Contract run",
        "",
        f"- target: `{record.target}`",
        f"- mode: {_mode(outcome)}",
        f"- verdict: **{outcome.verdict}**",
        f"- exit status: {outcome.exit_code}",
        f"- {record.requests} requests, {outcome.checks} checks, {record.seconds:.1f} s",
        "",
    ]
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
    lines += [
        "## Assumptions (the ledger)",
        "",
        "| id | verdict | seen |",
        "| --- | --- | --- |",
    ]
    for verdict in outcome.verdicts:
        seen = verdict.observed or ""
        lines.append(f"| `{verdict.id}` | {verdict.verdict} | {seen} |")
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
        missing = ", ".join(str(code) for code in answered.missing_codes) or "none"
        cells = (label, kinds, codes, missing, str(answered.success))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    notes = [*outcome.fatal_gaps, *outcome.gaps]
    if notes:
        lines += ["## Not exercised", "", *(f"- {note}" for note in notes), ""]
    if outcome.expired:
        lines += ["## Expired acceptances", "", *(f"- {line}" for line in outcome.expired), ""]
    if outcome.errors:
        lines += ["## Errors", "", *(f"- {error}" for error in outcome.errors), ""]
    return "\n".join(lines)


def junit(outcome: Outcome) -> str:
    """A failing case per finding, a case per guess (failing when refuted), errors as errors."""
    suite = ET.Element("testsuite", name="smspartner-contract")
    failures = skipped = 0
    for finding in outcome.findings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=finding.operation,
            name=f"{finding.check} {finding.field}",
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
    return {
        "exit_code": outcome.exit_code,
        "verdict": outcome.verdict,
        "target": record.target,
        "mode": record.mode,
        "requests": record.requests,
        "checks": outcome.checks,
        "seconds": round(record.seconds, 3),
        "interrupted": record.interrupted is not None,
        "stopped": record.stopped,
        "findings": [
            {
                "category": f.category,
                "check": f.check,
                "operation": f.operation,
                "field": f.field,
                "message": f.message,
                "assumption": f.assumption,
                "assumptions": list(f.assumptions),
                "expected": f.expected,
                "observed": f.observed,
                "reproduce": f.reproduce,
                "count": f.count,
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
            for category in (BREAKING, ASSUMPTION, ADDITIVE)
        },
    }


def write_pair(directory: Path, name: str, text: str, data: Any) -> None:
    """`name.md` and `name.json` (compare, parity), masked, and the text printed."""
    mask = redactor_for().mask
    text = mask(text)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    as_json = mask(json.dumps(data, ensure_ascii=False, indent=2))
    (directory / f"{name}.json").write_text(as_json + "\n", encoding="utf-8")
    print(text)
    print(f"reports: {directory}/{name}.md, {directory}/{name}.json")


def write_reports(outcome: Outcome, directory: Path, mask: Callable[[str], str]) -> str:
    """Write summary.md, junit.xml and report.json; return the summary text."""
    directory.mkdir(parents=True, exist_ok=True)
    text = mask(summary(outcome))
    (directory / SUMMARY).write_text(text, encoding="utf-8")
    (directory / JUNIT).write_text(mask(junit(outcome)), encoding="utf-8")
    data = json.dumps(report_data(outcome), ensure_ascii=False, indent=2)
    (directory / REPORT).write_text(mask(data) + "\n", encoding="utf-8")
    return text
