"""Accepted drift: a finding a maintainer accepted (with a reason, until a date) is reported as
accepted and does not fail the run; once the date has passed it counts again and the expired
entry is reported. The file is schemathesis's baseline format; our entries must say why."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from smspartner_contract.cli import grade
from smspartner_contract.grading import (
    ASSUMPTION,
    REFUTED,
    BaselineError,
    Outcome,
    load_baseline,
)
from smspartner_contract.recording import write_cassette
from smspartner_contract.run import LIVE, Record, Runner, Settings, Target, redactor_for
from smspartner_emulator import create_app

from contract_tests.runs import IN_PROCESS_URL, run_cli

TODAY = dt.date.today()
REASON = "The live API sends national numbers; the spec change is under review (PR 42)."


@pytest.fixture(scope="module")
def national() -> Record:
    target = Target(
        IN_PROCESS_URL,
        "demo-api-key",
        None,
        app=create_app(access_log=False, scenario="phone_format_changed"),
    )
    return Runner(target, Settings(mode=LIVE)).run()


def graded(record: Record, baseline: Path | None) -> Outcome:
    accepted = load_baseline(baseline) if baseline is not None else None
    return grade(record, IN_PROCESS_URL, redactor_for(), accepted)


def accepting(tmp_path: Path, record: Record, expires: dt.date, **extra: str) -> Path:
    finding = next(f for f in graded(record, None).findings if f.category == ASSUMPTION)
    entry = {**finding.baseline_entry(), "reason": REASON, "expires": expires.isoformat()}
    entry.update(extra)
    path = tmp_path / "accepted-drift.json"
    path.write_text(json.dumps({"format_version": 1, "entries": [entry]}), encoding="utf-8")
    return path


def test_the_repository_baseline_is_valid() -> None:
    from smspartner_contract.cli import BASELINE

    for entry in load_baseline(BASELINE).entries:  # each with a reason and a date, or it raises
        assert entry.operation in {"GET /stop-sms/list", "GET /location/status"}


def test_an_accepted_finding_does_not_fail_the_run(tmp_path: Path, national: Record) -> None:
    before = graded(national, None)
    assert before.exit_code == 4
    after = graded(national, accepting(tmp_path, national, TODAY + dt.timedelta(days=30)))
    accepted = [f for f in after.findings if f.accepted is not None]
    assert [f.accepted for f in accepted] == [REASON]
    assert after.exit_code == 0
    verdicts = {v.id: v.verdict for v in after.verdicts}
    assert verdicts["phone-number-format"] == REFUTED  # accepted, not hidden
    assert after.expired == []


def test_an_expired_acceptance_counts_again_and_is_reported(
    tmp_path: Path, national: Record
) -> None:
    outcome = graded(national, accepting(tmp_path, national, TODAY - dt.timedelta(days=1)))
    assert outcome.exit_code == 4
    assert all(f.accepted is None for f in outcome.findings)
    assert len(outcome.expired) == 1
    assert "expired" in outcome.expired[0]
    assert REASON in outcome.expired[0]


def test_an_entry_must_say_why(tmp_path: Path, national: Record) -> None:
    path = accepting(tmp_path, national, TODAY, reason=" ")
    with pytest.raises(BaselineError, match="has no `reason`"):
        graded(national, path)
    cassette = tmp_path / "national.yaml"
    write_cassette(national, redactor_for(), "1.0.0", cassette)
    result = run_cli(tmp_path, "replay", "--baseline", str(path), str(cassette))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"contract: {path}: entry ")
    assert lines[0].endswith("has no `reason`")
