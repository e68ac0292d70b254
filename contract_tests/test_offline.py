"""Once the venv exists, the make targets work with the network down.

They run in a network namespace that has only a loopback interface (`unshare -rn`), against a
venv of their own (`make VENV=...`) whose lock stamp is fresh but whose two projects are not
installed yet: `make setup` must install them (editable, no build isolation, `--offline`) with
no package index, and every target after it must run there too.
"""

from __future__ import annotations

import os
import shlex
import site
import subprocess
import sys
from pathlib import Path

import pytest
from smspartner_contract.model import LIVE, Settings, Target
from smspartner_contract.privacy import Outputs
from smspartner_contract.recording import write_cassette
from smspartner_contract.run import Runner

from contract_tests.runs import ROOT

TARGETS = (
    "help",
    "setup",
    "assumptions",
    "contract",
    "replay CASSETTE={cassette}",
    "compare OLD={cassette} NEW={cassette}",
    "parity CASSETTE={cassette}",
    "generate",
    "breaking",
    "docs",
    "lint",
)


def _isolated(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the locked packages (a .pth line) and their commands, not the projects."""
    home = tmp_path_factory.mktemp("offline") / "venv"
    created = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    packages = next((home / "lib").glob("python3.*/site-packages"))
    (packages / "_locked.pth").write_text(site.getsitepackages()[0] + "\n")
    for tool in Path(sys.executable).parent.iterdir():  # the locked tools' commands (uv, ruff...)
        mine = tool.name.startswith(("python", "activate", "pip", "smspartner-"))
        if not mine and not (home / "bin" / tool.name).exists():
            (home / "bin" / tool.name).symlink_to(tool)
    (home / ".installed").touch()  # the lock is installed: what `make setup` leaves
    return home


def test_the_network_namespace_has_no_way_out() -> None:
    probe = _isolated(
        "ip -o link show | grep -v ' lo:' | wc -l; ip route show | wc -l",
        {"PATH": os.environ["PATH"]},
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["0", "0"]  # no interface but loopback, no route


def test_every_make_target_works_offline(venv: Path, tmp_path: Path) -> None:
    from smspartner_emulator import create_app

    target = Target("http://127.0.0.1/v1", "demo-api-key", None, app=create_app(access_log=False))
    runner = Runner(target, Settings(mode=LIVE))
    record = runner.run()
    cassette = write_cassette(record, "1.0.0", Outputs(tmp_path, runner.privacy))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMSPARTNER_", "MAKE", "MFLAGS", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(SMSPARTNER_CONTRACT_EXAMPLES="3", SMSPARTNER_CONTRACT_MODE="live")
    steps = [
        f"make --no-print-directory VENV={shlex.quote(str(venv))} "
        + step.format(cassette=shlex.quote(str(cassette)))
        for step in TARGETS
    ]
    script = "ip link set lo up && set -e && " + " && ".join(
        f"echo '== {step}' && {step}" for step in steps
    )
    result = _isolated(script, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for step in TARGETS:
        assert f"== make --no-print-directory VENV={venv} {step.split()[0]}" in result.stdout
    assert (venv / ".project-installed").is_file()
    assert (venv / ".client-installed").is_file()
    assert "smspartner-contract exited" not in result.stdout
