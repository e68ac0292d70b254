"""Accepted drift: a finding a maintainer accepted (with a reason, until a date) is reported as
accepted and does not fail the run; once the date has passed it counts again and the expired
entry is reported. Entries name what changed (`/data/*/source`), so they keep matching as the
STOP list grows; the previous kit's file (schemathesis's baseline format) is still read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from smspartner_contract.baseline import FORMAT, BaselineError, load_baseline
from smspartner_contract.cli import grade
from smspartner_contract.grading import ADDITIVE_DRIFT, ASSUMPTION, REFUTED, Outcome
from smspartner_contract.model import LIVE, Record, Settings, Target
from smspartner_contract.privacy import Outputs
from smspartner_contract.recording import write_cassette
from smspartner_contract.run import Runner, privacy_for
from smspartner_contract.spec import spec_data
from smspartner_emulator import StopEntry, create_app, default_fixtures

from contract_tests.runs import DEMO_KEY, IN_PROCESS_URL, run_cli

TODAY = dt.date.today()
REASON = "The live API sends national numbers; the spec change is under review (PR 42)."


def live_run(scenario: str, entries: int | None = None) -> Record:
    fixtures = default_fixtures()
    if entries is not None:
        stops = tuple(
            StopEntry(id=n, phone_number=f"+99900{n:07d}", created_at="2024-01-02 03:04:05")
            for n in range(1, entries + 1)
        )
        fixtures = dataclasses.replace(fixtures, stop_list=stops)
    app = create_app(fixtures, access_log=False, scenario=scenario)
    return Runner(Target(IN_PROCESS_URL, DEMO_KEY, None, app=app), Settings(mode=LIVE)).run()


@pytest.fixture(scope="module")
def national() -> Record:
    return live_run("phone_format_changed")


def graded(record: Record, baseline: Path | None) -> Outcome:
    accepted = load_baseline(baseline) if baseline is not None else None
    return grade(record, IN_PROCESS_URL, accepted)


def write(tmp_path: Path, entries: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "accepted-drift.json"
    document = top or {"format": FORMAT}
    path.write_text(json.dumps({**document, "entries": entries}), encoding="utf-8")
    return path


def accepting(tmp_path: Path, record: Record, until: dt.date, **extra: str) -> Path:
    finding = next(f for f in graded(record, None).findings if f.category == ASSUMPTION)
    entry = {**finding.baseline_entry(), "reason": REASON, "expires": until.isoformat()}
    entry.update(extra)
    return write(tmp_path, [entry])


def test_the_repository_baseline_is_valid() -> None:
    from smspartner_contract.cli import BASELINE

    labels = {
        f"{method.upper()} {path}" for path, item in spec_data()["paths"].items() for method in item
    }
    for entry in load_baseline(BASELINE).entries:  # each with a reason and a date, or it raises
        assert entry.operation in labels


def test_an_accepted_finding_does_not_fail_the_run(tmp_path: Path, national: Record) -> None:
    before = graded(national, None)
    assert before.exit_code == 4
    after = graded(national, accepting(tmp_path, national, TODAY + dt.timedelta(days=30)))
    assert [f.accepted for f in after.findings if f.accepted is not None] == [REASON]
    assert after.exit_code == 0
    verdicts = {v.id: v.verdict for v in after.verdicts}
    assert verdicts["phone-number-format"] == REFUTED  # accepted, not hidden
    assert after.expired == []


def test_an_entry_is_readable_and_writable_by_hand(national: Record) -> None:
    finding = next(f for f in graded(national, None).findings if f.category == ASSUMPTION)
    entry = finding.baseline_entry()
    assert entry["field"] == "/data/*/phoneNumber"
    assert entry["operation"] == "GET /stop-sms/list"
    assert entry["check"] == "response_schema_conformance"
    assert not any("bundled" in value or "schema0" in value for value in entry.values())


def test_an_expired_acceptance_counts_again_and_is_reported(
    tmp_path: Path, national: Record
) -> None:
    outcome = graded(national, accepting(tmp_path, national, TODAY - dt.timedelta(days=1)))
    assert outcome.exit_code == 4
    assert all(f.accepted is None for f in outcome.findings)
    assert len(outcome.expired) == 1
    assert "expired" in outcome.expired[0]
    assert REASON in outcome.expired[0]


def test_an_added_field_accepted_at_40_entries_stays_accepted_at_41_and_100(
    tmp_path: Path,
) -> None:
    """The STOP list grows every night: the acceptance of a new field must keep holding."""
    first = graded(live_run("field_added", 40), None)
    assert first.exit_code == 3
    entries = [
        {**f.baseline_entry(), "reason": "SMS Partner added it", "expires": "2099-12-31"}
        for f in first.findings
        if f.category == ADDITIVE_DRIFT
    ]
    assert any(e["field"] == "/data/*/source" for e in entries), entries
    path = write(tmp_path, entries)
    for size in (40, 41, 100):
        outcome = graded(live_run("field_added", size), path)
        assert outcome.exit_code == 0, (size, [f.identity for f in outcome.findings])
        source = next(f for f in outcome.findings if f.field == "/data/*/source")
        assert source.count == size  # one finding, counted per entry
    # Another field is not accepted by that entry.
    assert graded(live_run("field_renamed", 41), path).exit_code == 1


def test_the_previous_kit_s_file_is_still_read(tmp_path: Path) -> None:
    """Format 1 (schemathesis's baseline) with the old per-entry signature of a new field."""
    signature = ", ".join(f"/data/{n}/source" for n in range(40))
    legacy = {
        "operation": "GET /stop-sms/list",
        "check": "additive_drift",
        "failure": "AdditiveDrift",
        "signature": signature,
        "reason": "accepted last month",
        "expires": "2099-12-31",
    }
    path = write(tmp_path, [legacy], format_version=1)
    outcome = graded(live_run("field_added", 41), path)
    accepted = {f.field for f in outcome.findings if f.accepted}
    assert "/data/*/source" in accepted


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"reason": " "}, "`reason` must be a non-empty string"),
        ({"expires": "someday"}, "`expires` must be a date"),
        ({"check": None}, "`check` must be a non-empty string"),
    ],
)
def test_an_entry_must_say_what_why_and_until_when(
    tmp_path: Path, national: Record, entry: dict[str, Any], problem: str
) -> None:
    path = accepting(tmp_path, national, TODAY, **{k: v for k, v in entry.items() if v})
    if entry.get("check", "") is None:
        data = json.loads(path.read_text(encoding="utf-8"))
        del data["entries"][0]["check"]
        path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BaselineError, match=problem.replace("`", ".")):
        graded(national, path)
    outputs = Outputs(tmp_path, privacy_for(Target(IN_PROCESS_URL, DEMO_KEY), spec_data()))
    cassette = write_cassette(national, "2.0.0", outputs)
    result = run_cli(tmp_path, "replay", "--baseline", str(path), str(cassette))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"contract: {path}: entries[0]")
    assert problem in lines[0]


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo", "not json"])
def test_a_named_baseline_that_cannot_be_read_stops_the_command(
    tmp_path: Path, national: Record, kind: str
) -> None:
    outputs = Outputs(tmp_path, privacy_for(Target(IN_PROCESS_URL, DEMO_KEY), spec_data()))
    cassette = write_cassette(national, "2.0.0", outputs)
    path = tmp_path / "does-not-exist.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        import os

        os.mkfifo(path)
    elif kind == "not json":
        path.write_text("{not json", encoding="utf-8")
    result = run_cli(tmp_path, "replay", "--baseline", str(path), str(cassette), timeout=60)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert not (tmp_path / "build" / "contract" / "replay" / "summary.md").exists()
