"""The run's reports: a drift summary for people (Markdown) and JUnit XML for CI.

Both are built from `Outcome`, whose texts are already masked; `write_reports` masks once more
with the key itself, so no report can carry it.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from contract_tests.contract.run import Finding, Outcome, mask, operations_of


def verdict(outcome: Outcome) -> str:
    if outcome.errors and not outcome.breaking:
        return "ERROR: the run could not complete"
    if outcome.breaking:
        return f"BREAKING DRIFT: {len(outcome.breaking)} failed check(s)"
    if outcome.additive:
        return f"ADDITIVE DRIFT only: {len(outcome.additive)} undocumented field report(s)"
    return "the target matches the spec"


def _finding_lines(finding: Finding) -> list[str]:
    first = finding.message.strip().splitlines()[0] if finding.message.strip() else ""
    return [
        f"- **{finding.category}** `{finding.check}` ({finding.code} {finding.title})",
        f"  - field: `{finding.field}`",
        f"  - {first}",
        f"  - reproduce: `{finding.curl}`",
    ]


def summary(outcome: Outcome, target_url: str) -> str:
    """Markdown: the verdict, then per operation which check failed on which field."""
    lines = [
        "# Contract run",
        "",
        f"- target: `{target_url}`",
        f"- verdict: **{verdict(outcome)}**",
        f"- {outcome.requests} requests, {outcome.checks} checks, {outcome.seconds:.1f} s",
        "",
    ]
    for operation, findings in sorted(operations_of(outcome.findings).items()):
        lines += [f"## {operation}", ""]
        for finding in sorted(findings, key=lambda f: (f.category, f.check, f.field)):
            lines += _finding_lines(finding)
        lines.append("")
    if outcome.errors:
        lines += ["## Errors", "", *(f"- {error}" for error in outcome.errors), ""]
    return "\n".join(lines)


def junit(outcome: Outcome) -> str:
    """A passing test case per (operation, check) that found nothing; one failing per finding."""
    suite = ET.Element("testsuite", name="smspartner-contract")
    failing = {(f.operation, f.check) for f in outcome.findings}
    for operation, check in sorted(outcome.checked - failing):
        ET.SubElement(suite, "testcase", classname=operation, name=check)
    for finding in sorted(outcome.findings, key=lambda f: (f.operation, f.check, f.field)):
        case = ET.SubElement(
            suite, "testcase", classname=finding.operation, name=f"{finding.check} {finding.field}"
        )
        failure = ET.SubElement(
            case, "failure", message=f"{finding.category}: {finding.title} ({finding.field})"
        )
        failure.text = f"{finding.message}\n{finding.curl}"
    for error in outcome.errors:
        case = ET.SubElement(suite, "testcase", classname="run", name="error")
        ET.SubElement(case, "error", message=error)
    passed = len(outcome.checked - failing)
    suite.set("tests", str(passed + len(outcome.findings) + len(outcome.errors)))
    suite.set("failures", str(len(outcome.findings)))
    suite.set("errors", str(len(outcome.errors)))
    suite.set("time", f"{outcome.seconds:.3f}")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(outcome: Outcome, target_url: str, directory: Path, secret: str) -> str:
    """Write summary.md and junit.xml; return the summary text."""
    directory.mkdir(parents=True, exist_ok=True)
    text = mask(summary(outcome, target_url), secret)
    (directory / "summary.md").write_text(text, encoding="utf-8")
    (directory / "junit.xml").write_text(mask(junit(outcome), secret), encoding="utf-8")
    return text
