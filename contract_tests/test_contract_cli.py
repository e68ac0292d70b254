"""`smspartner-contract` as CI runs it: exit codes, reports, one-line failures.

Each test runs the console script as a subprocess, with the environment a person would set,
against a target served on 127.0.0.1 (or the emulator the command starts itself).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from defusedxml import ElementTree as ET  # type: ignore[import-untyped]
from smspartner_contract.cli import main
from smspartner_emulator import create_app, load_fixtures
from smspartner_emulator.server import serving
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from contract_tests.runs import (
    CLI,
    DOCS_TOKEN,
    ROOT,
    assert_hidden,
    closed_url,
    one_line,
    outputs,
    run_cli,
)
from contract_tests.workflows import CURRENT_MAJORS

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
    down = closed_url()
    line = one_line(run_cli(tmp_path, env=env_for(down)))
    start = f"contract: GET {down}/stop-sms/list?apiKey=REDACTED-API-KEY"
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


WORKFLOWS = {
    "checkout": ROOT / "examples" / "contract-live.yml",
    "pip": ROOT / "examples" / "contract-live-pip.yml",
}
CACHE_KEY = re.compile(r"-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$")


def workflow_steps(which: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    workflow = yaml.safe_load(WORKFLOWS[which].read_text("utf-8"))
    return workflow, workflow["jobs"]["contract"]["steps"]


def step_named(steps: list[dict[str, Any]], start: str) -> dict[str, Any]:
    return next(s for s in steps if str(s.get("name", "")).startswith(start))


@pytest.mark.parametrize("which", sorted(WORKFLOWS))
def test_the_live_workflow_keeps_the_run_s_status_and_only_complete_recordings(which: str) -> None:
    """What the job must do, read off the workflow: its status is the run's, compare runs
    after it whatever happened, a recording is kept only from a complete run, cache keys are
    unique per attempt, actions are current, no `cat` of a file that may be missing."""
    workflow, steps = workflow_steps(which)
    contract = next(step for step in steps if "SMSPARTNER_BASE_URL" in step.get("env", {}))
    assert contract["run"].strip().splitlines()[-1].split()[:2] in (
        [".venv/bin/smspartner-contract", "run"],
        ["smspartner-contract", "run"],
    )
    assert contract["env"]["SMSPARTNER_API_KEY"] == "${{ secrets.SMSPARTNER_API_KEY }}"
    assert "continue-on-error" not in contract
    assert "||" not in contract["run"]
    later = steps[steps.index(contract) + 1 :]
    assert later
    assert all(str(step.get("if", "")).startswith("always()") for step in later)
    runs = [str(step.get("run", "")) for step in steps]
    assert not any("make contract" in run for run in runs)
    names = [str(step.get("name", step.get("uses"))) for step in steps]
    order = [
        names.index(step_named(steps, "The recording of the last complete run")["name"]),
        steps.index(contract),
        names.index(step_named(steps, "What the API answered differently")["name"]),
        names.index(step_named(steps, "Keep this run's recording")["name"]),
        next(
            i
            for i, s in enumerate(steps)
            if str(s.get("uses", "")).startswith("actions/cache/save")
        ),
    ]
    assert order == sorted(order)
    keep = step_named(steps, "Keep this run's recording")["run"]
    assert "grep -qx 'complete: true'" in keep
    for step in steps:
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/"):
            action, _, version = uses.partition("@")
            assert version == f"v{CURRENT_MAJORS[action]}", uses
        if uses.startswith("actions/cache/"):
            assert CACHE_KEY.search(step["with"]["key"]), step
        if uses.startswith("actions/setup-node"):
            assert int(str(step["with"]["node-version"]).split(".")[0]) >= 22
    for run in runs:
        for line in run.splitlines():
            if re.search(r"\bcat\b", line):
                shown = line.split("cat", 1)[1].split(">>")[0].strip()
                assert f"[ -f {shown} ]" in run, f"unguarded: {line.strip()}"
        checked = subprocess.run(["bash", "-n", "-c", run], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    if which == "pip":
        assert not any(re.search(r"\bmake\b", run) for run in runs)
        assert not any("with" in s and "repository" in s["with"] for s in steps)
        installs = [line for run in runs for line in run.splitlines() if 'pip" install' in line]
        # the kit's names are not published: its wheels are given as files, never looked up
        assert installs, runs
        assert all("ci/smspartner-kit/*.whl" in line for line in installs), installs
        assert all("--find-links" not in line for line in installs), installs
        assert workflow["env"]["SMSPARTNER_KIT"].startswith("smspartner-contract")
        assert any("$SMSPARTNER_KIT" in line for line in installs), installs


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Recordings of live runs: the API as documented, the API with new fields, an outage
    (incomplete), and a file that is no recording."""
    from smspartner_contract.model import LIVE, Settings, Target
    from smspartner_contract.privacy import Outputs
    from smspartner_contract.recording import write_cassette
    from smspartner_contract.run import Runner

    from contract_tests.runs import DEMO_KEY, IN_PROCESS_URL

    directory = tmp_path_factory.mktemp("recordings")
    made = {}
    down = closed_url()
    for name, target in (
        (
            "documented",
            Target(IN_PROCESS_URL, DEMO_KEY, DOCS_TOKEN, app=create_app(access_log=False)),
        ),
        (
            "new-fields",
            Target(
                IN_PROCESS_URL,
                DEMO_KEY,
                DOCS_TOKEN,
                app=create_app(access_log=False, scenario="field_added"),
            ),
        ),
        ("outage", Target(down, DEMO_KEY, DOCS_TOKEN)),
    ):
        runner = Runner(target, Settings(mode=LIVE))
        record = runner.run()
        written = write_cassette(record, "2.0.0", Outputs(directory / name, runner.privacy))
        made[name] = written
    garbage = directory / "garbage.yaml"
    garbage.write_text("interactions: [\n", encoding="utf-8")
    made["garbage"] = garbage
    return made


@pytest.mark.parametrize("which", sorted(WORKFLOWS))
@pytest.mark.parametrize(
    ("previous", "tonight", "compare", "kept", "annotation"),
    [
        (None, "documented", None, "documented", "No earlier complete recording"),
        ("documented", "new-fields", 1, "new-fields", "::error::the API's answers changed"),
        ("documented", "outage", 5, "documented", "::notice::nothing to compare"),
        ("garbage", "documented", 2, "documented", "::warning::compare could not be made (exit 2"),
    ],
)
def test_the_live_workflow_s_steps_after_the_run(
    tmp_path: Path,
    recordings: dict[str, Path],
    which: str,
    previous: str | None,
    tonight: str,
    compare: int | None,
    kept: str,
    annotation: str,
) -> None:
    """The workflow's own shell steps, run with bash after a run: the compare step fails only
    when the API's answers changed (red on that night), never because compare had nothing to
    say; the job summary gets what exists; the recording kept for tomorrow is the last
    complete one."""
    workflow, steps = workflow_steps(which)
    env = {**os.environ, **workflow.get("env", {})}
    reports = tmp_path / env.get("REPORTS", "build/contract")
    reports.mkdir(parents=True)
    shutil.copy(recordings[tonight], reports / "cassette.yaml")
    if previous is not None:
        (tmp_path / "previous").mkdir()
        shutil.copy(recordings[previous], tmp_path / "previous" / "cassette.yaml")
    (reports / "summary.md").write_text("# Contract run\n", encoding="utf-8")
    summary = tmp_path / "step-summary.md"
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    env["PATH"] = f"{CLI.parent}{os.pathsep}{env['PATH']}"
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "smspartner-contract").symlink_to(CLI)
    said = ""
    for start in ("The run's summary", "What the API answered differently", "Keep this run's"):
        script = step_named(steps, start)["run"]
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        red = start == "What the API answered differently" and compare == 1
        assert done.returncode == (1 if red else 0), (start, done.stdout, done.stderr)
        said += done.stdout
    text = summary.read_text("utf-8")
    assert annotation in said + text
    assert text.startswith("# Contract run")
    assert ("# What the API answered differently" in text) == (compare in (0, 1))
    assert (tmp_path / "previous" / "cassette.yaml").read_bytes() == recordings[kept].read_bytes()
