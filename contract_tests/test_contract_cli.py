"""`smspartner-contract` as CI runs it: exit codes, reports, one-line failures.

Each test runs the console script as a subprocess, with the environment a person would set,
against a target served on 127.0.0.1 (or the emulator the command starts itself).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from defusedxml import ElementTree as ET  # type: ignore[import-untyped]
from smspartner_contract.cli import main
from smspartner_emulator import create_app, load_fixtures
from smspartner_emulator.server import serving
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from contract_tests.runs import DOCS_TOKEN, ROOT, assert_hidden, one_line, outputs, run_cli

TEAM_KEY = "Kx7-team/key+value"
"""A distinctive key (with characters URL encoding changes) that no output may show."""
DEFAULT_FIXTURES = ROOT / "emulator" / "smspartner_emulator" / "fixtures" / "default.yaml"


@pytest.fixture(scope="module")
def team_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The emulator's built-in data with TEAM_KEY as its only key, on a loopback port."""
    data = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    data["api_keys"] = [TEAM_KEY]
    path = tmp_path_factory.mktemp("fixtures") / "team.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with serving(create_app(load_fixtures(path), access_log=False)) as url:
        yield url


def env_for(url: str, key: str = TEAM_KEY, **more: str) -> dict[str, str]:
    return {
        "SMSPARTNER_BASE_URL": url,
        "SMSPARTNER_API_KEY": key,
        "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
        **more,
    }


def test_without_a_url_the_run_starts_and_stops_the_emulator(tmp_path: Path) -> None:
    result = run_cli(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"checking http://127\.0\.0\.1:(\d+)/v1 \(full\)", result.stdout)
    assert found, result.stdout
    assert "the target matches the spec" in result.stdout
    assert result.stderr == ""
    reports = tmp_path / "build" / "contract"
    assert {p.name for p in reports.iterdir()} == {
        "summary.md",
        "junit.xml",
        "report.json",
        "cassette.yaml",
    }
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", int(found.group(1))))  # stopped at the end of the run


@pytest.mark.parametrize(
    ("scenario", "code", "verdict"),
    [
        ("field_renamed", 1, "BREAKING DRIFT"),
        ("phone_format_changed", 4, "GUESSES REFUTED: 1 guess(es) of the spec do not hold"),
        ("field_added", 3, "ADDITIVE DRIFT only"),
    ],
)
def test_the_exit_status_reaches_the_caller(
    tmp_path: Path, scenario: str, code: int, verdict: str
) -> None:
    result = run_cli(tmp_path, env={"SMSPARTNER_CONTRACT_SCENARIO": scenario})
    assert result.returncode == code, result.stdout + result.stderr
    assert verdict in result.stdout
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    assert report["exit_code"] == code


def test_report_json_has_the_documented_shape(tmp_path: Path, team_url: str) -> None:
    result = run_cli(tmp_path, env=env_for(team_url))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    assert {"exit_code", "verdict", "findings", "assumptions", "coverage"} <= set(report)
    assert report["exit_code"] == 0
    assert {entry["verdict"] for entry in report["assumptions"]} == {"confirmed"}
    assert set(report["assumptions"][0]) >= {"id", "verdict", "observed"}
    coverage = report["coverage"]["GET /location/status"]
    assert coverage["missing_documented_error_codes"] == []
    assert set(coverage["error_codes"]) >= {"1", "10", "31", "32"}
    suite = ET.fromstring((tmp_path / "build" / "contract" / "junit.xml").read_text("utf-8"))
    assert suite.get("failures") == "0"
    assert len(suite.findall("testcase")) == len(report["assumptions"])
    assert_hidden(outputs(result, tmp_path), TEAM_KEY)


def test_a_finding_in_report_json_says_what_was_expected_and_seen(tmp_path: Path) -> None:
    result = run_cli(tmp_path, env={"SMSPARTNER_CONTRACT_SCENARIO": "nb_data_inconsistent"})
    assert result.returncode == 4, result.stdout + result.stderr
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    finding = next(f for f in report["findings"] if f["check"] == "count_consistency")
    assert finding["category"] == "assumption"
    assert finding["assumption"] == "nb-data-count"
    assert finding["expected"].startswith("nbData = ")
    assert finding["reproduce"].startswith("curl -G http://127.0.0.1:")
    assert '--data-urlencode "apiKey=${SMSPARTNER_API_KEY}"' in finding["reproduce"]
    entry = finding["baseline_entry"]
    assert {"operation", "check", "field", "reason", "expires"} <= set(entry)
    assert entry["field"] == "/nbData"
    refuted = {a["id"]: a for a in report["assumptions"] if a["verdict"] == "refuted"}
    assert list(refuted) == ["nb-data-count"]
    assert refuted["nb-data-count"]["observed"].startswith("nbData = ")


def test_an_unreachable_target_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = one_line(run_cli(tmp_path, env=env_for(f"http://127.0.0.1:{port}/v1")))
    start = f"contract: GET http://127.0.0.1:{port}/v1/stop-sms/list?apiKey=REDACTED-API-KEY"
    assert line.startswith(start), line
    assert "no usable answer (ConnectError" in line


def test_a_target_answering_html_is_one_line(tmp_path: Path) -> None:
    page = HTMLResponse("<html><body>Welcome to nginx!</body></html>")
    html_site = Starlette(routes=[Route("/{path:path}", lambda request: page)])
    with serving(html_site) as url:
        line = one_line(run_cli(tmp_path, env=env_for(url)))
    assert "text/html, not the API's JSON" in line


@pytest.mark.parametrize("body", [[], None, "ok"])
def test_a_target_answering_other_json_is_one_line(tmp_path: Path, body: object) -> None:
    answer = JSONResponse(body)
    json_site = Starlette(routes=[Route("/{path:path}", lambda request: answer)])
    with serving(json_site) as url:
        line = one_line(run_cli(tmp_path, env=env_for(url)))
    assert "not the API's object envelope" in line


def test_a_wrong_key_is_one_line(tmp_path: Path, team_url: str) -> None:
    result = run_cli(tmp_path, env=env_for(team_url, key="Kx7-wrong-key"))
    line = one_line(result)
    assert "refuses the API key (code 10" in line
    assert "Kx7-wrong" not in outputs(result, tmp_path)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:abc/v1", "not a valid URL"),
        ("http://xn--/v1", "not a valid URL"),
        ("http://[::1", "not a valid URL"),
        ("http://", "names no host"),
        ("ftp://127.0.0.1/v1", "not an http(s) URL"),
        ("http://127.0.0.1:99999/v1", "invalid port"),
        ("http://me:s3cret-pass@127.0.0.1:1/v1", "user:password@ credentials"),
    ],
)
def test_a_bad_base_url_is_refused_in_one_line(
    url: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], env={"SMSPARTNER_BASE_URL": url, "SMSPARTNER_API_KEY": TEAM_KEY}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("contract: ")
    assert reason in err
    assert "Kx7" not in err
    assert "s3cret" not in err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMSPARTNER_CONTRACT_MODE", "sometimes"),
        ("SMSPARTNER_CONTRACT_EXAMPLES", "many"),
        ("SMSPARTNER_CONTRACT_DEADLINE", "nan"),
        ("SMSPARTNER_CONTRACT_MAX_BODY", "12"),
    ],
)
def test_a_bad_setting_is_refused_in_one_line(
    name: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], env={name: value}) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"contract: {name} must ")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["replay", "parity", "compare"])
def test_a_file_that_is_not_a_cassette_is_refused_in_one_line(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "notes.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    paths = [str(bad), str(bad)] if command == "compare" else [str(bad)]
    line = one_line(run_cli(tmp_path, command, *paths))
    assert line == f"contract: {bad}: (top): expected a mapping"


def test_help_names_the_commands_and_the_environment(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for word in ("replay", "compare", "parity", "assumptions", "SMSPARTNER_BASE_URL"):
        assert word in result.stdout


def test_the_live_workflow_keeps_the_exit_status_and_compares_recordings() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "contract-live.yml").read_text("utf-8"))
    steps = workflow["jobs"]["contract"]["steps"]
    runs = [step.get("run", "") for step in steps]
    contract = next(step for step in steps if "SMSPARTNER_BASE_URL" in step.get("env", {}))
    assert contract["run"].strip() == ".venv/bin/smspartner-contract run"
    assert contract["env"]["SMSPARTNER_API_KEY"] == "${{ secrets.SMSPARTNER_API_KEY }}"
    assert not any("make contract" in run for run in runs)
    assert any("smspartner-contract compare previous/cassette.yaml" in run for run in runs)
    restored = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache/restore")]
    assert restored
    assert restored[0]["with"]["path"] == "previous/cassette.yaml"
