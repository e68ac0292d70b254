"""`pip install` of this repository gives working commands and a pytest plugin, outside it.

A fresh virtual environment gets the two projects from the working tree (the client, then the
kit: emulator, contract runner, plugin). Their dependencies come from this venv through a
`.pth` line, so the test needs no package index; the projects themselves are built and
installed for real (wheels, console scripts, entry points, the spec packaged with the runner).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.runs import ROOT

USER_TEST = """
import pytest
from smspartner_client import RateLimited
from smspartner_client.api.stops import list_stop_sms


def test_my_code_reads_the_stop_list(smspartner_client):
    stops = list_stop_sms.sync(client=smspartner_client)
    assert stops.nb_data == len(stops.data) > 0


def test_my_code_survives_rate_limiting(smspartner_emulator, smspartner_client):
    with smspartner_emulator.scenario("rate_limited"):
        with pytest.raises(RateLimited) as caught:
            list_stop_sms.sync(client=smspartner_client)
    assert caught.value.status_code == 429
    assert list_stop_sms.sync(client=smspartner_client).success is True
"""


def run(*command: str | Path, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSPARTNER_", "PYTHON"))}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with both projects installed from the working tree; its bin directory."""
    home = tmp_path_factory.mktemp("fresh")
    created = run(sys.executable, "-m", "venv", home / "venv", cwd=home)
    assert created.returncode == 0, created.stderr
    packages = next((home / "venv" / "lib").glob("python3.*/site-packages"))
    (packages / "_kit_dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    pip: list[str | Path] = [
        home / "venv" / "bin" / "python",
        "-m",
        "pip",
        "--disable-pip-version-check",
    ]
    installed = run(
        *pip,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        ROOT / "generated" / "smspartner-client",
        ROOT,
        cwd=home,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home / "venv" / "bin"


def test_the_packages_are_installed_from_the_tree_not_used_in_place(fresh: Path) -> None:
    where = run(
        fresh / "python",
        "-c",
        "import smspartner_contract.spec as s, smspartner_emulator as e;"
        "print(s.SPEC_PATH, e.__file__)",
        cwd=fresh,
    )
    spec, emulator = where.stdout.split()
    assert spec.startswith(str(fresh.parent))
    assert spec.endswith("smspartner_contract/spec/smspartner.yaml")
    assert emulator.startswith(str(fresh.parent))
    assert Path(spec).read_text("utf-8") == (ROOT / "spec" / "smspartner.yaml").read_text("utf-8")


@pytest.mark.parametrize("command", ["smspartner-emulator", "smspartner-contract"])
def test_both_commands_answer_help(fresh: Path, command: str) -> None:
    result = run(fresh / command, "--help", cwd=fresh)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {command}")


def test_a_contract_run_against_the_emulator_from_another_project(
    fresh: Path, tmp_path: Path
) -> None:
    env_run = run(fresh / "smspartner-contract", cwd=tmp_path)
    assert env_run.returncode == 0, env_run.stdout + env_run.stderr
    assert "the target matches the spec" in env_run.stdout
    assert (tmp_path / "build" / "contract" / "report.json").is_file()


def test_a_users_suite_uses_the_plugin_with_no_conftest(fresh: Path, tmp_path: Path) -> None:
    (tmp_path / "test_my_app.py").write_text(USER_TEST, encoding="utf-8")
    result = run(fresh / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
