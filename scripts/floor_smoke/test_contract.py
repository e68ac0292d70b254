"""smspartner-contract at its floor: a run against the emulator, replay, compare, parity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMAND = Path(sys.executable).parent / "smspartner-contract"


def contract(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    env["SMSPARTNER_CONTRACT_EXAMPLES"] = "5"
    return subprocess.run(
        [str(COMMAND), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_run_replay_compare_parity_against_the_emulator(tmp_path: Path) -> None:
    run = contract(tmp_path, "run")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "the target matches the spec" in run.stdout
    reports = tmp_path / "build" / "contract"
    cassette = reports / "cassette.yaml"
    replay = contract(tmp_path, "replay", str(cassette))
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    # The same recording with one value changed and one field added in the stop list's answers.
    text = cassette.read_text("utf-8")
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace('"id":19,', '"id":1900,').replace(
        '"nbData":4,', '"nbData":4,"extra":1,'), "utf-8")  # fmt: skip
    assert changed.read_text("utf-8") != text
    compare = contract(tmp_path, "compare", str(cassette), str(changed))
    assert compare.returncode == 1, compare.stdout[-2000:] + compare.stderr[-2000:]
    differences = (reports / "compare.md").read_text("utf-8")
    assert "field added: /extra (integer)" in differences  # a change of the API
    assert "value changed: /data/*/id" in differences  # the account's data
    parity = contract(tmp_path, "parity", str(changed))
    assert parity.returncode == 1, parity.stdout[-2000:] + parity.stderr[-2000:]
    assert "field the emulator lacks: /extra" in (reports / "parity.md").read_text("utf-8")


def test_the_assumption_ledger(tmp_path: Path) -> None:
    ledger = contract(tmp_path, "assumptions", "--json")
    assert ledger.returncode == 0, ledger.stderr
    assert ledger.stdout.lstrip().startswith(("{", "["))


RECORDINGS = Path(os.environ.get("SMSPARTNER_SMOKE_RECORDINGS", "recordings"))


def test_recordings_of_the_stop_17_runner_replay_alike(tmp_path: Path) -> None:
    """Recordings committed before the runner owned its format (schemathesis's metadata
    inside) replay with the exit status and verdicts graded then, at this schemathesis too."""
    import json

    expected = json.loads((RECORDINGS / "v1-expected.json").read_text("utf-8"))
    for name, graded in sorted(expected.items()):
        reports = tmp_path / name
        replay = contract(tmp_path, "replay", str(RECORDINGS / name), "--report-dir", str(reports))
        assert replay.returncode == graded["exit_code"], (name, replay.stderr[-2000:])
        report = json.loads((reports / "report.json").read_text("utf-8"))
        verdicts = {a["id"]: a["verdict"] for a in report["assumptions"]}
        assert verdicts == graded["verdicts"], name
        found = sorted({(f["category"], f["check"], f["operation"]) for f in report["findings"]})
        assert [list(f) for f in found] == graded["findings"], name
