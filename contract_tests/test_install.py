"""A user's app installs the kit from the built wheels, outside the repository, and its tests pass.

The app (written into a temporary directory, as a user would write it) pins its own httpx,
depends on smspartner-client at run time and on smspartner-emulator for its tests, and tests
its code with the plugin's fixtures under plain `pytest`, no conftest. Two venvs, one per httpx
pin the issue names (0.25.2, 0.27.2): the kit's ranges must admit both. A third venv is the
app's CI job: it adds smspartner-contract and runs `smspartner-contract run` against the
emulator (exit 0), from the installed wheel and its packaged spec.

The wheels are the session's (built once, scripts/build_dists.py), installed by file name: the
names are never looked up on an index (none of them is published). The other packages come
from the package index through uv and its cache: this module needs the index, like
`make floors`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.runs import ROOT
from scripts.build_dists import Built, build_once, session_dir

UV = Path(sys.executable).parent / "uv"
PYTEST_PIN = "pytest==9.2.0"

APP_CODE = '''\
"""The app's own code: which numbers must never get an SMS."""

from smspartner_client import AuthenticatedClient, SmsPartnerError
from smspartner_client.api.stops import list_stop_sms


def stop_numbers(client: AuthenticatedClient) -> list[str] | None:
    """The numbers on SMS Partner's STOP list; None when the API cannot say."""
    try:
        return [entry.phone_number for entry in list_stop_sms.sync(client=client).data]
    except SmsPartnerError:
        return None


async def stop_count(client: AuthenticatedClient) -> int:
    async with client:
        return (await list_stop_sms.asyncio(client=client)).nb_data
'''

APP_TESTS = """\
import asyncio

import httpx
from smspartner_client import AuthenticatedClient

from myapp.stops import stop_count, stop_numbers


def test_the_stop_list(smspartner_client):
    numbers = stop_numbers(smspartner_client)
    assert numbers
    assert all(number.startswith("+") for number in numbers)


def test_the_app_survives_a_server_error(smspartner_emulator):
    client = AuthenticatedClient(
        base_url=smspartner_emulator.url, api_key=smspartner_emulator.api_key, max_retries=0
    )
    with client, smspartner_emulator.scenario("server_error"):
        assert stop_numbers(client) is None


def test_async_calls(smspartner_emulator):
    client = AuthenticatedClient(
        base_url=smspartner_emulator.url, api_key=smspartner_emulator.api_key
    )
    assert asyncio.run(stop_count(client)) > 0


def test_the_apps_own_httpx_pin_holds():
    assert httpx.__version__ == "{httpx}"
"""

APP_PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
"""


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    drop = ("SMSPARTNER_", "PYTHON", "VIRTUAL_ENV", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["SMSPARTNER_CONTRACT_EXAMPLES"] = "5"
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built: list[Built] = build_once(session_dir(tmp_path_factory.getbasetemp()))
    return {item.distribution.name: item.wheel for item in built}


def write_app(home: Path, httpx: str, wheels: dict[str, Path], *, ci: bool) -> Path:
    """The user's app: code, tests, and the requirement files a user would keep."""
    app = home / "myapp-project"
    (app / "myapp").mkdir(parents=True)
    (app / "tests").mkdir()
    (app / "myapp" / "__init__.py").write_text("", "utf-8")
    (app / "myapp" / "stops.py").write_text(APP_CODE, "utf-8")
    (app / "tests" / "test_stops.py").write_text(APP_TESTS.replace("{httpx}", httpx), "utf-8")
    (app / "pyproject.toml").write_text(APP_PYPROJECT, "utf-8")
    runtime = f"httpx=={httpx}\n{wheels['smspartner-client']}\n"
    (app / "requirements.txt").write_text(runtime, "utf-8")
    tests = f"-r requirements.txt\n{wheels['smspartner-emulator']}\n{PYTEST_PIN}\n"
    (app / "requirements-test.txt").write_text(tests, "utf-8")
    (app / "requirements-ci.txt").write_text(
        f"-r requirements-test.txt\n{wheels['smspartner-contract']}\n", "utf-8"
    )
    return app / ("requirements-ci.txt" if ci else "requirements-test.txt")


def venv_for(home: Path, requirements: Path) -> Path:
    """A fresh venv with `requirements` installed by uv; its bin directory."""
    created = run(UV, "venv", "--quiet", "--python", sys.executable, home / "venv", cwd=home)
    assert created.returncode == 0, created.stderr
    python = home / "venv" / "bin" / "python"
    installed = run(
        UV, "pip", "install", "--quiet", "--python", python, "-r", requirements,
        cwd=requirements.parent,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return python.parent


def importable(bin_dir: Path, module: str) -> bool:
    probe = run(bin_dir / "python", "-c", f"import {module}", cwd=bin_dir)
    return probe.returncode == 0


@pytest.mark.parametrize("httpx", ["0.25.2", "0.27.2"])
def test_an_app_pinning_httpx_tests_itself_with_the_plugin(
    tmp_path: Path, wheels: dict[str, Path], httpx: str
) -> None:
    requirements = write_app(tmp_path, httpx, wheels, ci=False)
    bin_dir = venv_for(tmp_path, requirements)
    tests = run(bin_dir / "pytest", "-q", "-p", "no:cacheprovider", cwd=requirements.parent)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    assert "4 passed" in tests.stdout
    # What an app's tests get, and what they do not: the runner and its heavy dependencies.
    assert not importable(bin_dir, "smspartner_contract")
    assert not importable(bin_dir, "schemathesis")
    assert not importable(bin_dir, "hypothesis")


def test_a_ci_job_adds_the_runner_and_checks_the_contract(
    tmp_path: Path, wheels: dict[str, Path]
) -> None:
    requirements = write_app(tmp_path, "0.27.2", wheels, ci=True)
    bin_dir = venv_for(tmp_path, requirements)
    for command in ("smspartner-emulator", "smspartner-contract"):
        helped = run(bin_dir / command, "--help", cwd=tmp_path)
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: {command}")
    probe = "import smspartner_contract.spec as s; print(s.SPEC_PATH)"
    where = run(bin_dir / "python", "-c", probe, cwd=tmp_path)
    spec = Path(where.stdout.strip())
    assert spec.is_relative_to(tmp_path / "venv"), "the spec is read from the installed wheel"
    assert spec.read_bytes() == (ROOT / "spec" / "smspartner.yaml").read_bytes()
    contract = run(bin_dir / "smspartner-contract", "run", cwd=requirements.parent)
    assert contract.returncode == 0, contract.stdout[-3000:] + contract.stderr[-3000:]
    assert "the target matches the spec" in contract.stdout
    assert (requirements.parent / "build" / "contract" / "report.json").is_file()
    tests = run(bin_dir / "pytest", "-q", "-p", "no:cacheprovider", cwd=requirements.parent)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
