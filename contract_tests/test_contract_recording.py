"""Record, replay, compare, parity: the evidence of a run kept and used offline.

Runs are in-process against the emulator (faithful or drifting); replays, comparisons and
parity read the cassettes those runs wrote, with no target at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from smspartner_contract.cli import grade
from smspartner_contract.compare import compare, compare_files
from smspartner_contract.grading import Outcome
from smspartner_contract.model import LIVE, Settings, Target
from smspartner_contract.parity import parity
from smspartner_contract.privacy import Outputs
from smspartner_contract.recording import read_record, write_cassette
from smspartner_contract.run import Runner
from smspartner_contract.spec import SPEC_PATH, spec_data
from smspartner_emulator import create_app
from smspartner_emulator.recording import load_cassette
from starlette.applications import Starlette

from contract_tests.runs import DEMO_KEY, DOCS_TOKEN, IN_PROCESS_URL, run_cli
from contract_tests.test_contract_privacy import Echoing


def recorded(app: Any, path: Path, mode: str = LIVE) -> Outcome:
    """Run against `app`, write the cassette to `path`, return the run's outcome."""
    target = Target(IN_PROCESS_URL, DEMO_KEY, DOCS_TOKEN, app=app)
    runner = Runner(target, Settings(mode=mode, max_examples=5))
    record = runner.run()
    outputs = Outputs(path.parent, runner.privacy)
    written = write_cassette(record, str(spec_data()["info"]["version"]), outputs)
    written.rename(path)
    return grade(record, record.target, None)


def replayed(path: Path) -> Outcome:
    record = read_record(path)
    return grade(record, record.target, None)


def summary_of(outcome: Outcome) -> set[tuple[Any, ...]]:
    return {(f.identity, f.category, f.assumptions, f.count) for f in outcome.findings}


@pytest.mark.parametrize(
    "scenario",
    ["phone_format_changed", "field_renamed", "errors_as_200", "xml_entry_added", "xml_malformed"],
)
def test_a_replay_finds_what_the_run_found(tmp_path: Path, scenario: str) -> None:
    cassette = tmp_path / "cassette.yaml"
    run = recorded(create_app(access_log=False, scenario=scenario), cassette, mode="full")
    replay = replayed(cassette)
    assert run.findings, f"{scenario} found nothing to compare"
    assert summary_of(replay) == summary_of(run)
    assert replay.exit_code == run.exit_code
    assert [(v.id, v.verdict) for v in replay.verdicts] == [(v.id, v.verdict) for v in run.verdicts]


def test_the_faithful_recording_replays_clean_through_the_command(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    cassette = tmp_path / "faithful.yaml"
    assert recorded(emulator_app, cassette).exit_code == 0
    result = run_cli(tmp_path, "replay", str(cassette))  # no server runs: offline by design
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the target matches the spec" in result.stdout
    assert (tmp_path / "build" / "contract" / "replay" / "report.json").is_file()


def test_a_replay_judges_by_today_s_spec(tmp_path: Path, emulator_app: Starlette) -> None:
    """A maintainer adopts the refuted guess in the spec; the replay of the same recording no
    longer reports it."""
    cassette = tmp_path / "national.yaml"
    run = recorded(create_app(access_log=False, scenario="phone_format_changed"), cassette)
    assert run.exit_code == 4
    text = SPEC_PATH.read_text(encoding="utf-8")
    old = "pattern: '^\\+[0-9]{6,15}$'"
    assert text.count(old) == 1
    edited = tmp_path / "smspartner.yaml"
    edited.write_text(text.replace(old, "pattern: '^(\\+|0)[0-9]{6,15}$'"), encoding="utf-8")
    before = run_cli(tmp_path, "replay", str(cassette))
    after = run_cli(tmp_path, "replay", str(cassette), "--spec", str(edited))
    assert before.returncode == 4, before.stdout + before.stderr
    assert "phone-number-format` | refuted" in before.stdout
    assert after.returncode == 0, after.stdout + after.stderr
    assert "phone-number-format` | confirmed" in after.stdout


def test_a_cassette_that_is_not_one_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: something-else\ninteractions: []\n", encoding="utf-8")
    result = run_cli(tmp_path, "replay", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"contract: {bad}: format: expected")
    assert len(result.stderr.strip().splitlines()) == 1


def test_two_recordings_of_the_same_answers_compare_equal(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    """Two runs, two files: the same real values got the same placeholders in both."""
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    recorded(emulator_app, first)
    recorded(emulator_app, second)
    assert first.read_text("utf-8") != second.read_text("utf-8")  # recorded at other times
    assert compare_files(first, second, tmp_path / "out") == 0
    assert "Nothing changed." in (tmp_path / "out" / "compare.md").read_text("utf-8")


def test_comparing_names_the_changed_field(tmp_path: Path, emulator_app: Starlette) -> None:
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    recorded(emulator_app, before)
    recorded(create_app(access_log=False, scenario="field_renamed"), after)
    result = compare(load_cassette(before), load_cassette(after))
    assert result.both == len(load_cassette(before).interactions)
    assert "field removed: /data/*/phoneNumber (was string)" in result.changes
    assert "field added: /data/*/phone (string)" in result.changes
    assert compare_files(before, after, tmp_path / "out") == 1
    text = (tmp_path / "out" / "compare.md").read_text()
    assert "field removed: /data/*/phoneNumber" in text


def test_comparing_shows_a_message_text_that_no_schema_describes(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    """The error messages change (they echo the request): every check passes, compare tells."""
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    recorded(emulator_app, before)
    outcome = recorded(Echoing(emulator_app), after)
    assert not [
        f
        for f in outcome.findings
        if f.operation == "GET /location/status" and f.check == "documented_error_codes"
    ]
    result = compare(load_cassette(before), load_cassette(after))
    change = result.changes["value changed: /message"]
    assert any(
        detail.startswith("Clé API incorrecte -> requested:") for _, detail in change.examples
    ), change


def test_parity_of_a_faithful_recording_finds_nothing(
    tmp_path: Path, emulator_app: Starlette
) -> None:
    cassette = tmp_path / "faithful.yaml"
    recorded(emulator_app, cassette)
    assert parity(load_cassette(cassette).interactions) == {}


def test_parity_lists_what_the_emulator_must_change(tmp_path: Path) -> None:
    cassette = tmp_path / "renamed.yaml"
    recorded(create_app(access_log=False, scenario="field_renamed"), cassette)
    found = parity(load_cassette(cassette).interactions)
    assert "field the emulator lacks: /data/*/phone" in found
    assert "field only the emulator sends: /data/*/phoneNumber" in found
    result = run_cli(tmp_path, "parity", str(cassette))
    assert result.returncode == 1
    assert "field the emulator lacks: /data/*/phone" in result.stdout
