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
    assert "value changed: /data/0/id: 19 -> 1900" in differences
    assert "field added: /extra = 1" in differences
    parity = contract(tmp_path, "parity", str(changed))
    assert parity.returncode == 1, parity.stdout[-2000:] + parity.stderr[-2000:]
    assert "field the emulator lacks: /extra" in (reports / "parity.md").read_text("utf-8")


def test_the_assumption_ledger(tmp_path: Path) -> None:
    ledger = contract(tmp_path, "assumptions", "--json")
    assert ledger.returncode == 0, ledger.stderr
    assert ledger.stdout.lstrip().startswith(("{", "["))
