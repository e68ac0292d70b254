"""The breaking-change gate (`python -m scripts.breaking`, `make breaking`).

Renaming a field in a copy of the spec and regenerating makes the gate fail, naming the field
(in the spec and in the client) and the version rule; bumping the major version makes it pass.
Adding an operation, a parameter or a field of an answer asks for a minor bump (the committed
client stands for the new one there: additions are read from the spec). One generation (a few
seconds) in a temporary directory; the repository is not touched.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.breaking import (
    CHANGELOG,
    RELEASES,
    allows_additions,
    allows_breaks,
    check,
    last_snapshot,
    main,
    parse_version,
    spec_changes,
    write_snapshot,
)
from scripts.generate_client import SPEC, TARGET, generate_into


def write_spec(spec: dict[str, Any], path: Path, version: str) -> Path:
    spec["info"]["version"] = version
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """(releases holding the current tree as release, the spec with `phoneNumber` renamed
    `phone`, the client generated from it)."""
    tmp = tmp_path_factory.mktemp("breaking")
    current = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    releases = tmp / "releases"
    write_snapshot(TARGET, SPEC, releases, current["info"]["version"])
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    entry = spec["components"]["schemas"]["StopEntry"]
    entry["properties"]["phone"] = entry["properties"].pop("phoneNumber")
    entry["required"] = ["phone" if name == "phoneNumber" else name for name in entry["required"]]
    spec_file = write_spec(spec, tmp / "smspartner.yaml", current["info"]["version"])
    (tmp / "generated").mkdir()
    client = generate_into(tmp / "generated", spec_file)
    return releases, spec, client


def test_a_renamed_field_fails_the_gate(
    renamed: tuple[Path, dict[str, Any], Path], tmp_path: Path
) -> None:
    releases, spec, client = renamed
    version = spec["info"]["version"]
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", version)
    passed, report = check(client, spec_file, releases, tmp_path / "CHANGELOG.md")
    assert not passed
    assert "spec: StopEntry.phoneNumber: removed from the answer" in report
    assert (
        "client: smspartner_client.models.stop_entry.StopEntry.phone_number: "
        "public object was removed"
    ) in report
    assert "StopEntry(), parameter `phone_number`: parameter was removed" in report
    major = parse_version(version)[0]
    assert "Version rule (semver)" in report
    assert f"set info.version in smspartner.yaml to {major + 1}.0.0" in report


def test_a_minor_bump_is_not_enough(
    renamed: tuple[Path, dict[str, Any], Path], tmp_path: Path
) -> None:
    releases, spec, client = renamed
    major, minor, _ = parse_version(spec["info"]["version"])
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", f"{major}.{minor + 1}.0")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(f"## [{major}.{minor + 1}.0]\n\n- renamed\n", encoding="utf-8")
    passed, report = check(client, spec_file, releases, changelog)
    assert not passed
    assert "without a major version bump" in report


def test_a_major_bump_passes_once_the_changelog_says_so(
    renamed: tuple[Path, dict[str, Any], Path], tmp_path: Path
) -> None:
    releases, spec, client = renamed
    bumped = f"{parse_version(spec['info']['version'])[0] + 1}.0.0"
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", bumped)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n", encoding="utf-8")
    passed, report = check(client, spec_file, releases, changelog)
    assert not passed
    assert f"CHANGELOG.md has no `## [{bumped}]` section" in report
    changelog.write_text(
        f"# Changelog\n\n## [{bumped}] - unreleased\n\n- phone\n", encoding="utf-8"
    )
    passed, report = check(client, spec_file, releases, changelog)
    assert passed, report
    assert f"allowed by the major version {bumped}" in report
    assert "StopEntry.phoneNumber: removed from the answer" in report


def test_the_command_line(renamed: tuple[Path, dict[str, Any], Path], tmp_path: Path) -> None:
    releases, spec, client = renamed
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", spec["info"]["version"])
    arguments = ["--spec", str(spec_file), "--client", str(client), "--releases", str(releases)]
    assert main([*arguments, "--changelog", str(tmp_path / "none.md")]) == 1
    assert main([*arguments, "--release"]) == 1  # a failing gate records nothing
    assert last_snapshot(releases) is not None
    assert main(["--spec", str(tmp_path / "missing.yaml")]) == 2


def test_the_tree_passes_against_the_committed_release() -> None:
    passed, report = check(TARGET, SPEC, RELEASES, CHANGELOG)
    assert passed, report


def test_snapshots_are_reproducible(tmp_path: Path) -> None:
    first = write_snapshot(TARGET, SPEC, tmp_path / "a", "9.9.9").read_bytes()
    second = write_snapshot(TARGET, SPEC, tmp_path / "b", "9.9.9").read_bytes()
    assert first == second


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("1.0.0", "2.0.0", True),
        ("1.2.3", "1.3.0", False),
        ("1.2.3", "1.2.4", False),
        ("0.1.0", "0.2.0", True),
        ("0.1.0", "0.1.1", False),
    ],
)
def test_the_version_rule(old: str, new: str, allowed: bool) -> None:
    assert allows_breaks(parse_version(old), parse_version(new)) is allowed


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("1.2.3", "1.3.0", True),
        ("1.2.3", "2.0.0", True),
        ("1.2.3", "1.2.4", False),
        ("1.2.3", "1.2.3", False),
        ("0.1.0", "0.1.1", True),
        ("0.1.0", "0.1.0", False),
    ],
)
def test_the_version_rule_for_additions(old: str, new: str, allowed: bool) -> None:
    assert allows_additions(parse_version(old), parse_version(new)) is allowed


# ---- additions ------------------------------------------------------------------------------

ACCOUNT = {
    "type": "object",
    "description": "The account.",
    "required": ["success", "email"],
    "properties": {
        "success": {"$ref": "#/components/schemas/SuccessFlag"},
        "email": {"type": "string", "description": "E-mail.", "x-personal-data": "email"},
    },
}


def current_spec() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


def with_additions(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` plus a third read endpoint, an optional parameter and a field of an answer."""
    spec = copy.deepcopy(spec)
    spec["components"]["schemas"]["Account"] = ACCOUNT
    spec["paths"]["/me"] = {
        "get": {
            "operationId": "getAccount",
            "summary": "The account",
            "responses": {
                "200": {
                    "description": "The account.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Account"}}
                    },
                },
            },
        }
    }
    operation = spec["paths"]["/stop-sms/list"]["get"]
    operation["parameters"] = [
        *operation["parameters"],
        {"name": "since", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    entry = spec["components"]["schemas"]["StopEntry"]
    entry["properties"]["label"] = {"type": "string", "description": "A label."}
    return spec


ADDED = [
    "operation getAccount (GET /me): added",
    "operation listStopSms, query parameter `since`: added (optional)",
    "StopEntry.label: added to the answer (in the 200 answer of listStopSms)",
]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Releases holding the current tree (client and spec) as the last release."""
    releases = tmp_path_factory.mktemp("released") / "releases"
    write_snapshot(TARGET, SPEC, releases, current_spec()["info"]["version"])
    return releases


def test_additions_are_named_and_break_nothing() -> None:
    changes = spec_changes(current_spec(), with_additions(current_spec()))
    assert changes.breaks == []
    assert changes.additions == sorted(ADDED)


def test_an_addition_without_a_minor_bump_fails_the_gate(released: Path, tmp_path: Path) -> None:
    spec = with_additions(current_spec())
    major, minor, patch = parse_version(spec["info"]["version"])
    for version in (f"{major}.{minor}.{patch}", f"{major}.{minor}.{patch + 1}"):
        spec_file = write_spec(spec, tmp_path / "smspartner.yaml", version)
        changelog = tmp_path / "CHANGELOG.md"
        changelog.write_text(f"## [{version}]\n\n- /me\n", encoding="utf-8")
        passed, report = check(TARGET, spec_file, released, changelog)
        assert not passed, report
        assert "no breaking change" in report
        assert "3 addition(s) without a minor version bump:" in report
        for text in ADDED:
            assert f"  - spec: {text}" in report
        assert "Version rule (semver): what is added" in report
        assert f"set info.version in smspartner.yaml to {major}.{minor + 1}.0" in report


def test_a_minor_bump_lets_additions_pass(released: Path, tmp_path: Path) -> None:
    spec = with_additions(current_spec())
    major, minor, _ = parse_version(spec["info"]["version"])
    bumped = f"{major}.{minor + 1}.0"
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", bumped)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(f"## [{bumped}]\n\n- GET /me\n", encoding="utf-8")
    passed, report = check(TARGET, spec_file, released, changelog)
    assert passed, report
    assert f"3 addition(s), allowed by the version {bumped}:" in report


def test_a_removal_still_needs_a_major_bump_when_something_is_added(
    released: Path, tmp_path: Path
) -> None:
    spec = with_additions(current_spec())
    del spec["paths"]["/location/status"]
    major, minor, _ = parse_version(spec["info"]["version"])
    bumped = f"{major}.{minor + 1}.0"
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", bumped)
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(f"## [{bumped}]\n", encoding="utf-8")
    passed, report = check(TARGET, spec_file, released, changelog)
    assert not passed
    assert "spec: operation getRentalStatus (GET /location/status): removed" in report
    assert "breaking change(s) without a major version bump" in report
    assert f"set info.version in smspartner.yaml to {major + 1}.0.0" in report
    assert "3 addition(s), allowed by the version" in report


def test_what_else_counts_as_an_addition_or_a_break() -> None:
    old = current_spec()
    new = copy.deepcopy(old)
    format_schema = new["components"]["parameters"]["format"]["schema"]
    format_schema["enum"] = [*format_schema["enum"], "csv"]
    new["paths"]["/location/status"]["get"]["responses"]["404"] = {"description": "Not here."}
    operation = new["paths"]["/stop-sms/list"]["get"]
    operation["parameters"] = [
        *operation["parameters"],
        {"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}},
    ]
    changes = spec_changes(old, new)
    assert changes.additions == [
        "operation getRentalStatus, query parameter `_format`: values ['csv'] now accepted",
        "operation getRentalStatus: answer 404 added",
        "operation listStopSms, query parameter `_format`: values ['csv'] now accepted",
    ]
    assert changes.breaks == ["operation listStopSms, query parameter `page`: now required"]


def test_a_schema_that_contains_itself_is_compared_once() -> None:
    old = current_spec()
    new = copy.deepcopy(old)
    entry = new["components"]["schemas"]["StopEntry"]
    entry["properties"]["previous"] = {"$ref": "#/components/schemas/StopEntry"}
    assert spec_changes(old, new).additions == [
        "StopEntry.previous: added to the answer (in the 200 answer of listStopSms)"
    ]
    assert spec_changes(new, new) == spec_changes(old, old)


# ---- a $ref loop ----------------------------------------------------------------------------


def test_a_ref_loop_stops_the_gate_in_one_line(released: Path, tmp_path: Path) -> None:
    spec = current_spec()
    spec["components"]["schemas"]["Looping"] = {"$ref": "#/components/schemas/Looping"}
    spec["components"]["schemas"]["StopEntry"]["properties"]["id"] = {
        "$ref": "#/components/schemas/Looping"
    }
    spec_file = write_spec(spec, tmp_path / "smspartner.yaml", spec["info"]["version"])
    arguments = ["--spec", str(spec_file), "--releases", str(released)]
    result = subprocess.run(
        [sys.executable, "-m", "scripts.breaking", *arguments],
        cwd=SPEC.parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "breaking-change gate: cannot run: $ref loop: "
        "#/components/schemas/Looping -> #/components/schemas/Looping"
    ]
