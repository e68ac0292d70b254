"""The three distributions as built (sdist, then the wheel from it): what a user installs.

Built once per test session (the xdist workers share the files, scripts/build_dists.py), then
read as archives: the licence in each file, the metadata (classifiers, URLs, ranges), the
entry points, `py.typed`, the spec inside the runner's wheel, the dependencies against what the
code imports, and the kit's mark that makes a foreign sibling distribution refused.
"""

from __future__ import annotations

import ast
import email.message
import email.parser
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from smspartner_emulator import _kit

from contract_tests.runs import ROOT
from scripts.build_dists import (
    DISTRIBUTIONS,
    Built,
    build_once,
    check,
    session_dir,
)

NAMES = [d.name for d in DISTRIBUTIONS]
KIT_PACKAGES = {d.package: canonicalize_name(d.name) for d in DISTRIBUTIONS}
PROJECT_URLS = {"https://www.smspartner.fr", "https://api.smspartner.fr/v1"}
LINK_HOSTS = {"www.smspartner.fr", "api.smspartner.fr", "127.0.0.1", "localhost"}
RUNTIME = {
    "smspartner-client": {"httpx", "httpcore", "attrs", "tenacity"},
    "smspartner-emulator": {"smspartner-client", "starlette", "uvicorn", "pyyaml"},
    "smspartner-contract": {
        "smspartner-emulator",
        "smspartner-client",
        "schemathesis",
        "httpx",
        "deepdiff",
        "jsonschema",
        "referencing",
        "requests",
        "starlette",
        "pyyaml",
    },
}
"""What each audience may get: the client for an app, the emulator for its tests, the runner
for CI (httpcore: the client subclasses its stream; starlette: the runner's ASGI types)."""
NEVER = {"smspartner-emulator": {"schemathesis", "hypothesis", "smspartner-contract"}}
IMPORTED_BUT_NOT_REQUIRED = {
    # The plugin module is loaded by pytest itself (entry point pytest11), never otherwise.
    "smspartner-emulator": {"pytest"},
}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    shared = session_dir(tmp_path_factory.getbasetemp())
    return {item.distribution.name: item for item in build_once(shared)}


def wheel_files(item: Built) -> dict[str, bytes]:
    with zipfile.ZipFile(item.wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sdist_files(item: Built) -> dict[str, bytes]:
    """The sdist's regular files by path below its top directory; symlinks fail the test."""
    found: dict[str, bytes] = {}
    with tarfile.open(item.sdist) as archive:
        for member in archive.getmembers():
            assert not member.issym(), f"a symlink in the sdist: {member.name}"
            assert not member.islnk(), f"a hard link in the sdist: {member.name}"
            handle = archive.extractfile(member)
            if handle is not None:
                found[member.name.split("/", 1)[1]] = handle.read()
    return found


def dist_info(item: Built) -> str:
    return next(n for n in wheel_files(item) if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]


def wheel_metadata(item: Built) -> email.message.Message:
    text = wheel_files(item)[f"{dist_info(item)}/METADATA"].decode("utf-8")
    return email.parser.Parser().parsestr(text)


def requirements(item: Built) -> list[Requirement]:
    return [Requirement(line) for line in wheel_metadata(item).get_all("Requires-Dist") or []]


def entry_points(item: Built) -> dict[str, dict[str, str]]:
    raw = wheel_files(item).get(f"{dist_info(item)}/entry_points.txt", b"").decode("utf-8")
    groups: dict[str, dict[str, str]] = {}
    group = ""
    for line in raw.splitlines():
        if line.startswith("["):
            group = line.strip("[]")
            groups[group] = {}
        elif "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            groups[group][name] = value
    return groups


def test_every_file_passes_twine_check_and_check_wheel_contents(built: dict[str, Built]) -> None:
    check(list(built.values()))


@pytest.mark.parametrize("name", NAMES)
def test_the_licence_is_in_the_wheel_and_the_sdist(built: dict[str, Built], name: str) -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    item = built[name]
    assert sdist_files(item).get("LICENSE") == licence
    assert wheel_files(item).get(f"{dist_info(item)}/licenses/LICENSE") == licence
    assert wheel_metadata(item)["License-Expression"] == "MIT"
    assert wheel_metadata(item).get_all("License-File") == ["LICENSE"]


@pytest.mark.parametrize("name", NAMES)
def test_classifiers_and_only_real_urls(built: dict[str, Built], name: str) -> None:
    item = built[name]
    meta = wheel_metadata(item)
    classifiers = set(meta.get_all("Classifier") or [])
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert ("Typing :: Typed" in classifiers) == (f"{item.distribution.package}/py.typed" in
                                                  wheel_files(item))  # fmt: skip
    assert meta["Requires-Python"] == ">=3.11"
    urls = {line.split(",", 1)[1].strip() for line in meta.get_all("Project-URL") or []}
    assert urls
    assert urls <= PROJECT_URLS


@pytest.mark.parametrize("name", NAMES)
def test_no_link_in_the_description_to_an_invented_place(
    built: dict[str, Built], name: str
) -> None:
    meta = wheel_metadata(built[name])
    assert meta["Description-Content-Type"] == "text/markdown"
    hosts = set(re.findall(r"https?://([^/\s`)\"'>:]+)", str(meta.get_payload())))
    assert hosts <= LINK_HOSTS


@pytest.mark.parametrize("name", NAMES)
def test_each_wheel_is_typed_and_the_sdist_holds_no_link(
    built: dict[str, Built], name: str
) -> None:
    item = built[name]
    assert f"{item.distribution.package}/py.typed" in wheel_files(item)
    assert f"{item.distribution.package}/__init__.py" in sdist_files(item)


def test_the_runner_carries_the_spec(built: dict[str, Built]) -> None:
    spec = (ROOT / "spec" / "smspartner.yaml").read_bytes()
    item = built["smspartner-contract"]
    assert wheel_files(item)["smspartner_contract/spec/smspartner.yaml"] == spec
    assert sdist_files(item)["smspartner_contract/spec/smspartner.yaml"] == spec


@pytest.mark.parametrize("name", NAMES)
def test_requirements_are_ranges_and_siblings_admit_each_other(
    built: dict[str, Built], name: str
) -> None:
    versions = {canonicalize_name(n): Version(wheel_metadata(b)["Version"]) for n, b in
                built.items()}  # fmt: skip
    for requirement in requirements(built[name]):
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", "~="}, f"{requirement}: no floor"
        assert not operators & {"==", "==="}, f"{requirement}: an exact pin"
        sibling = canonicalize_name(requirement.name)
        if sibling in versions:
            assert operators & {"<", "~="}, f"{requirement}: a sibling needs an upper bound"
            assert versions[sibling] in requirement.specifier, f"{requirement}: excludes the tree's"
            # make floors installs the tree's sibling, the only version of it ever tested
            floors = {
                Version(s.version) for s in requirement.specifier if s.operator in (">=", "~=")
            }
            assert floors == {versions[sibling]}, f"{requirement}: the floor is not the tested one"


@pytest.mark.parametrize("name", NAMES)
def test_each_audience_gets_only_what_it_needs(built: dict[str, Built], name: str) -> None:
    names = {canonicalize_name(r.name) for r in requirements(built[name])}
    assert names <= RUNTIME[name]
    assert not names & NEVER.get(name, set())


def imported(item: Built) -> set[str]:
    """Top-level modules the wheel's code imports at run time (not under TYPE_CHECKING)."""
    found: set[str] = set()
    for path, data in wheel_files(item).items():
        if not path.endswith(".py"):
            continue
        tree = ast.parse(data)
        skipped = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__", item.distribution.package}


def provided(requirement: Requirement) -> set[str]:
    """The distributions a requirement brings directly: itself and its extras' requirements."""
    names: set[str] = {canonicalize_name(requirement.name)}
    for line in metadata.requires(requirement.name) or []:
        extra = Requirement(line)
        wanted = [f'extra == "{e}"' for e in requirement.extras]
        if extra.marker is not None and any(w in str(extra.marker) for w in wanted):
            names.add(canonicalize_name(extra.name))
    return names


@pytest.mark.parametrize("name", NAMES)
def test_what_the_code_imports_is_declared_and_the_reverse(
    built: dict[str, Built], name: str
) -> None:
    item = built[name]
    owners = metadata.packages_distributions()
    needed = {
        KIT_PACKAGES.get(module) or canonicalize_name(owners[module][0])
        for module in imported(item)
    } - IMPORTED_BUT_NOT_REQUIRED.get(name, set())
    declared = requirements(item)
    brought = set().union(*(provided(r) for r in declared))
    assert needed <= brought, f"imported, not declared: {sorted(needed - brought)}"
    unused = {canonicalize_name(r.name) for r in declared} - needed
    assert not unused, f"declared, never imported: {sorted(unused)}"


def test_the_plugin_and_the_commands_are_entry_points(built: dict[str, Built]) -> None:
    emulator = entry_points(built["smspartner-emulator"])
    runner = entry_points(built["smspartner-contract"])
    assert emulator["pytest11"] == {"smspartner": "smspartner_emulator.pytest_plugin"}
    assert emulator["console_scripts"] == {"smspartner-emulator": "smspartner_emulator.cli:main"}
    assert runner["console_scripts"] == {"smspartner-contract": "smspartner_contract.cli:main"}


@pytest.mark.parametrize("name", NAMES)
def test_the_kits_mark_is_where_the_guard_expects_it(built: dict[str, Built], name: str) -> None:
    item = built[name]
    mark = entry_points(item).get(_kit.GROUP, {})
    assert mark == {name: item.distribution.package}


def test_the_guard_exists_once() -> None:
    copies = sorted(p.relative_to(ROOT) for p in ROOT.glob("*/smspartner_*/_kit.py"))
    assert copies == [Path("emulator/smspartner_emulator/_kit.py")]


def fake_distribution(where: Path, name: str, *, marked: bool) -> Path:
    """A dist-info directory under `where` claiming to be `name` 9.9.9."""
    info = where / f"{name.replace('-', '_')}-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 9.9.9\n")
    if marked:
        (info / "entry_points.txt").write_text(f"[{_kit.GROUP}]\n{name} = x\n")
    return where


def test_the_guard_tells_a_foreign_sibling(tmp_path: Path) -> None:
    foreign = fake_distribution(tmp_path / "foreign", "smspartner-emulator", marked=False)
    ours = fake_distribution(tmp_path / "ours", "smspartner-emulator", marked=True)
    problem = _kit.foreign(["smspartner-emulator"], path=[str(foreign)])
    assert problem is not None
    assert "smspartner-emulator 9.9.9 is not the smspartner-contract kit's" in problem
    assert _kit.foreign(["smspartner-emulator"], path=[str(ours)]) is None
    assert _kit.foreign(["smspartner-emulator"], path=[str(tmp_path / "none")]) is None


@pytest.mark.parametrize("command", ["import", "cli"])
def test_the_runner_refuses_a_foreign_emulator_in_one_line(tmp_path: Path, command: str) -> None:
    fake_distribution(tmp_path, "smspartner-emulator", marked=False)
    argv = (
        [sys.executable, "-c", "import smspartner_contract"]
        if command == "import"
        else [str(Path(sys.executable).parent / "smspartner-contract"), "--help"]
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == _kit.EXIT_FOREIGN
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("smspartner-contract: refusing to run: the installed")


def test_the_root_project_is_for_development_only() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "build-system" not in root
    assert "Private :: Do Not Upload" in root["project"]["classifiers"]
    for directory in (d.directory for d in DISTRIBUTIONS):
        project = tomllib.loads((directory / "pyproject.toml").read_text("utf-8"))
        assert project["build-system"]["requires"] == ["hatchling==1.33.0"]


@pytest.fixture(scope="module")
def from_the_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("from-tree")


@pytest.mark.parametrize("name", NAMES)
def test_a_wheel_from_the_tree_equals_the_wheel_from_the_sdist(
    built: dict[str, Built], from_the_tree: Path, name: str
) -> None:
    distribution = built[name].distribution
    target = from_the_tree / distribution.name
    command = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", target]
    result = subprocess.run(
        [*map(str, command), str(distribution.directory)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    direct = next(target.glob("*.whl"))
    assert direct.name == built[name].wheel.name
    with zipfile.ZipFile(direct) as one, zipfile.ZipFile(built[name].wheel) as other:
        assert {i.filename: i.CRC for i in one.infolist()} == {
            i.filename: i.CRC for i in other.infolist()
        }
