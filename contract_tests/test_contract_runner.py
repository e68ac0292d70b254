"""`python -m contract_tests.contract.runner` as CI runs it: exit codes, reports, no key leak.

Each test serves a target on 127.0.0.1 in a thread and runs the runner as a subprocess, with
the environment a person would set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from defusedxml import ElementTree as ET  # type: ignore[import-untyped]
from smspartner_emulator import create_app, load_fixtures
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from contract_tests.contract.drift import CATALOGUE, DriftingApp
from contract_tests.emulator_server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = ROOT / "emulator" / "smspartner_emulator" / "fixtures" / "default.yaml"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
TEAM_KEY = "Kx7-team/key+value"
"""A distinctive key (with characters URL encoding changes) that no output may show."""


def run_runner(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    clean.update(env, PYTHONPATH=str(ROOT), SMSPARTNER_CONTRACT_EXAMPLES="10")
    return subprocess.run(
        [sys.executable, "-m", "contract_tests.contract.runner"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def team_app(tmp_path_factory: pytest.TempPathFactory) -> Starlette:
    """The emulator's built-in data, with TEAM_KEY as its only key."""
    data = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    data["api_keys"] = [TEAM_KEY]
    path = tmp_path_factory.mktemp("fixtures") / "team.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return create_app(load_fixtures(path), access_log=False)


@pytest.fixture(scope="module")
def team_url(team_app: Starlette) -> Iterator[str]:
    with serve_in_thread(team_app) as url:
        yield url


def env_for(url: str, key: str = TEAM_KEY) -> dict[str, str]:
    return {
        "SMSPARTNER_BASE_URL": url,
        "SMSPARTNER_API_KEY": key,
        "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
    }


def all_output(result: subprocess.CompletedProcess[str], tmp_path: Path) -> str:
    reports = tmp_path / "build" / "contract"
    files = [p.read_text(encoding="utf-8") for p in sorted(reports.glob("*"))]
    return "\n".join([result.stdout, result.stderr, *files])


def assert_no_key(text: str) -> None:
    for form in (TEAM_KEY, "Kx7-team%2Fkey%2Bvalue", "Kx7-team/key%2Bvalue", "Kx7"):
        assert form not in text


def test_a_faithful_target_passes(tmp_path: Path, team_url: str) -> None:
    result = run_runner(tmp_path, **env_for(team_url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the target matches the spec" in result.stdout
    suite = ET.parse(tmp_path / "build" / "contract" / "junit.xml").getroot()
    assert int(suite.get("tests", "0")) >= 10
    assert suite.get("failures") == "0"
    assert_no_key(all_output(result, tmp_path))


def test_breaking_drift_fails_with_a_summary(tmp_path: Path, team_app: Starlette) -> None:
    with serve_in_thread(DriftingApp(team_app, CATALOGUE["field_retyped"])) as url:
        result = run_runner(tmp_path, **env_for(url))
    assert result.returncode == 1, result.stdout + result.stderr
    summary = (tmp_path / "build" / "contract" / "summary.md").read_text(encoding="utf-8")
    assert "BREAKING DRIFT" in summary
    assert "## GET /stop-sms/list" in summary
    assert "`response_schema_conformance`" in summary
    assert "field: `/data/0/id`" in summary
    assert "reproduce: `curl -X GET 'http://127.0.0.1:" in summary
    assert "apiKey=***" in summary
    suite = ET.parse(tmp_path / "build" / "contract" / "junit.xml").getroot()
    assert int(suite.get("failures", "0")) >= 1
    assert_no_key(all_output(result, tmp_path))


def test_additive_drift_has_its_own_exit_code(tmp_path: Path, team_app: Starlette) -> None:
    with serve_in_thread(DriftingApp(team_app, CATALOGUE["field_added"])) as url:
        result = run_runner(tmp_path, **env_for(url))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "ADDITIVE DRIFT only" in result.stdout
    assert "/requestId" in result.stdout
    assert_no_key(all_output(result, tmp_path))


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_an_unreachable_target_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = one_line_failure(run_runner(tmp_path, **env_for(f"http://127.0.0.1:{port}/v1")))
    assert line.startswith(f"contract: cannot reach http://127.0.0.1:{port}/v1")


def test_a_target_answering_html_is_one_line(tmp_path: Path) -> None:
    page = HTMLResponse("<html><body>Welcome to nginx!</body></html>")
    html_site = Starlette(routes=[Route("/{path:path}", lambda request: page)])
    with serve_in_thread(html_site) as url:
        line = one_line_failure(run_runner(tmp_path, **env_for(url)))
    assert "text/html, not the API's JSON" in line


@pytest.mark.parametrize("body", [[], None, "ok"])
def test_a_target_answering_other_json_is_one_line(tmp_path: Path, body: object) -> None:
    answer = JSONResponse(body)
    json_site = Starlette(routes=[Route("/{path:path}", lambda request: answer)])
    with serve_in_thread(json_site) as url:
        line = one_line_failure(run_runner(tmp_path, **env_for(url)))
    assert "not the API's object envelope" in line


def test_a_wrong_key_is_one_line(tmp_path: Path, team_url: str) -> None:
    result = run_runner(tmp_path, **env_for(team_url, key="Kx7-wrong-key"))
    line = one_line_failure(result)
    assert "refuses the API key (code 10" in line
    assert "Kx7" not in result.stdout + result.stderr


def test_without_a_url_the_runner_starts_and_stops_the_emulator(tmp_path: Path) -> None:
    import re
    import socket

    result = run_runner(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"checking http://127\.0\.0\.1:(\d+)/v1 \(loopback\)", result.stdout)
    assert found, result.stdout
    assert "the target matches the spec" in result.stdout
    assert result.stderr == ""
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", int(found.group(1))))  # stopped at the end of the run
