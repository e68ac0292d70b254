"""smspartner-contract at its floor: a run against the emulator, its replay and compare."""

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


def test_run_replay_compare_against_the_emulator(tmp_path: Path) -> None:
    run = contract(tmp_path, "run")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "the target matches the spec" in run.stdout
    cassette = tmp_path / "build" / "contract" / "cassette.yaml"
    replay = contract(tmp_path, "replay", str(cassette))
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    compare = contract(tmp_path, "compare", str(cassette), str(cassette))
    assert compare.returncode == 0, compare.stdout[-2000:] + compare.stderr[-2000:]


def test_the_assumption_ledger(tmp_path: Path) -> None:
    ledger = contract(tmp_path, "assumptions", "--json")
    assert ledger.returncode == 0, ledger.stderr
    assert ledger.stdout.lstrip().startswith(("{", "["))
