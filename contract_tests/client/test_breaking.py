"""The breaking-change gate (`python -m scripts.breaking`, `make breaking`).

Renaming a field in a copy of the spec and regenerating makes the gate fail, naming the field
(in the spec and in the client) and the version rule; bumping the major version makes it pass.
One generation (a few seconds) in a temporary directory; the repository is not touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.breaking import (
    CHANGELOG,
    RELEASES,
    allows_breaks,
    check,
    last_snapshot,
    main,
    parse_version,
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
