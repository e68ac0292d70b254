"""Make targets take file names as data: a name holding quotes, backquotes or `$(...)` is a
file name the command refuses, never a command the shell runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from contract_tests.runs import ROOT


@pytest.mark.parametrize(
    ("target", "variables"),
    [
        ("replay", {"CASSETTE": '{d}/x"; touch {d}/ran; echo "'}),
        ("parity", {"CASSETTE": "{d}/`touch {d}/ran`"}),
        ("compare", {"OLD": "{d}/$(touch {d}/ran)", "NEW": "{d}/';touch {d}/ran;'"}),
    ],
)
def test_a_hostile_file_name_runs_nothing(
    tmp_path: Path, target: str, variables: dict[str, str]
) -> None:
    given = [f"{name}={value.format(d=tmp_path)}" for name, value in variables.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", target, *given],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "smspartner-contract exited 2" in result.stdout
    assert not (tmp_path / "ran").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("target", "variables"),
    [
        ("help", {"HOST": "x'; touch {d}/ran; echo '", "PORT": "`touch {d}/ran`"}),
        ("emulator", {"HOST": "127.0.0.1; touch {d}/ran; echo"}),
        ("emulator", {"PORT": "$(touch {d}/ran)"}),
    ],
)
def test_a_hostile_host_or_port_runs_nothing(
    tmp_path: Path, target: str, variables: dict[str, str]
) -> None:
    given = [f"{name}={value.format(d=tmp_path)}" for name, value in variables.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", target, *given],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode == 0) == (target == "help"), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()
    if target == "help":  # the values are printed as they were given
        assert variables["HOST"].format(d=tmp_path) in result.stdout
