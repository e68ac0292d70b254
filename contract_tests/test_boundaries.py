"""The kit's boundaries: schemathesis behind one module, no package cycle, facts in the spec,
recordings that outlive the runner that made them, outputs that cannot leak."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from smspartner_contract import report
from smspartner_contract.cli import grade, main
from smspartner_contract.grading import Outcome
from smspartner_contract.privacy import OutputRefused, Outputs, Privacy
from smspartner_contract.recording import read_record
from smspartner_contract.spec import spec_data

from contract_tests.runs import ROOT, run_cli

RUNNER = ROOT / "contract" / "smspartner_contract"
EMULATOR = ROOT / "emulator" / "smspartner_emulator"
CLIENT = ROOT / "generated" / "smspartner-client" / "smspartner_client"
PACKAGES = {
    "smspartner_contract": RUNNER,
    "smspartner_emulator": EMULATOR,
    "smspartner_client": CLIENT,
}
RECORDINGS = ROOT / "contract_tests" / "fixtures" / "recordings"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_schemathesis_is_imported_in_one_module_of_the_runner() -> None:
    importers = sorted(
        path.name
        for path in RUNNER.glob("*.py")
        if any(name.split(".")[0] == "schemathesis" for name in _imports(path))
    )
    assert importers == ["engine.py"]


@pytest.mark.parametrize(
    "private", ["_unique_key", "_meta", "CheckContext(", "schemathesis.engine"]
)
def test_no_module_but_the_engine_touches_schemathesis_internals(private: str) -> None:
    users = sorted(
        path.name
        for path in RUNNER.glob("*.py")
        if path.name != "engine.py" and private in path.read_text(encoding="utf-8")
    )
    assert users == []


def test_the_three_packages_import_each_other_without_a_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for name, directory in PACKAGES.items():
        uses = set().union(*(_imports(path) for path in directory.rglob("*.py")))
        graph[name] = {
            other
            for other in PACKAGES
            if other != name and any(used == other or used.startswith(f"{other}.") for used in uses)
        }
    assert graph["smspartner_client"] == set()
    assert graph["smspartner_emulator"] <= {"smspartner_client"}
    assert "smspartner_contract" not in graph["smspartner_emulator"]
    seen: list[str] = []

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"cycle: {' -> '.join((*path, node))}"
        for nxt in graph[node]:
            visit(nxt, (*path, node))
        seen.append(node)

    for node in graph:
        visit(node, ())


ALLOWED = {"facts.py": {"apiKey"}, "privacy.py": {"token"}}
"""`apiKey` is also OpenAPI's name of a security scheme type (`OPENAPI_API_KEY_TYPE`); `token`
also the masking module's kind of a secret value (`smspartner_client.redact.Kind`)."""


def _facts_of_this_api() -> list[str]:
    """Operation paths, parameter names and documented codes of the spec."""
    spec = spec_data()
    found = set(spec["paths"])
    for item in spec["paths"].values():
        for operation in item.values():
            for raw in operation.get("parameters", []):
                node = raw
                while "$ref" in node:
                    node = spec["components"]["parameters"][node["$ref"].rsplit("/", 1)[-1]]
                found.add(node["name"])
            found |= {str(s["code"]) for s in operation.get("x-documented-errors", [])}
    found |= {s["name"] for s in spec["components"]["securitySchemes"].values()}
    return sorted(found)


@pytest.mark.parametrize("directory", [RUNNER], ids=["runner"])
def test_no_module_names_an_operation_a_parameter_or_a_code_of_the_api(directory: Path) -> None:
    """Facts live in the spec (`x-` extensions); code reads them. Strings and numbers in code
    only: docstrings and comments may give examples."""
    offenders = []
    facts = _facts_of_this_api()
    for path in sorted(directory.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        codes = {int(fact) for fact in facts if fact.isdigit()}
        allowed = ALLOWED.get(path.name, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docstrings:
                value = node.value
                if isinstance(value, str) and value in facts and value not in allowed:
                    offenders.append(f"{path.name}:{node.lineno}: {value!r}")
            # A code is an integer compared with a code, or listed beside another code.
            numbers: list[ast.AST] = []
            if isinstance(node, ast.Compare) and "code" in ast.unparse(node).lower():
                numbers = [node.left, *node.comparators]
            elif isinstance(node, ast.Set | ast.List | ast.Tuple):
                listed: list[ast.AST] = [e for e in node.elts if _code(e, codes)]
                numbers = listed if len(listed) >= 2 else []
            elif isinstance(node, ast.Dict):
                listed = [key for key in node.keys if key is not None and _code(key, codes)]
                numbers = listed if len(listed) >= 2 else []
            offenders += [
                f"{path.name}:{n.lineno}: {n.value}"  # type: ignore[attr-defined]
                for n in numbers
                if _code(n, codes)
            ]
    assert offenders == []


def _code(node: ast.AST, codes: set[int]) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and node.value in codes
    )


def test_the_facts_are_in_the_spec() -> None:
    """The test above would pass on an empty list: the spec does state these facts."""
    facts = _facts_of_this_api()
    assert len(facts) >= 6
    assert any(fact.startswith("/") for fact in facts)
    assert any(fact.isdigit() for fact in facts)


@pytest.mark.parametrize("name", sorted(json.loads((RECORDINGS / "v1-expected.json").read_text())))
def test_a_recording_of_the_previous_runner_replays_with_the_same_findings(name: str) -> None:
    """Format 1, written by stop 17's runner (schemathesis metadata inside): read as the kit's
    own metadata, judged alike."""
    expected = json.loads((RECORDINGS / "v1-expected.json").read_text())[name]
    record = read_record(RECORDINGS / name)
    outcome = grade(record, record.target, None)
    assert outcome.exit_code == expected["exit_code"]
    found = sorted([f.category, f.check, f.operation] for f in outcome.findings)
    assert sorted({tuple(f) for f in found}) == sorted(tuple(f) for f in expected["findings"])
    assert {v.id: v.verdict for v in outcome.verdicts} == expected["verdicts"]
    assert len(record.interactions) == expected["interactions"]


def test_an_unknown_future_recording_format_is_refused_in_one_line(tmp_path: Path) -> None:
    data = yaml.safe_load((RECORDINGS / "v1-live-field_added.yaml").read_text())
    data["format"] = "smspartner-recording/9"
    path = tmp_path / "future.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_cli(tmp_path, "replay", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "smspartner-recording/9" in lines[0]
    assert "newer kit" in lines[0]


KEY = "Kx7-boundary-key-2026"


def test_a_writer_that_forgets_to_mask_is_refused(tmp_path: Path) -> None:
    privacy = Privacy(spec_data(), key=KEY)
    outputs = Outputs(tmp_path, privacy)
    with pytest.raises(OutputRefused, match="was not written"):
        outputs.write("leaky.md", f"the key was {KEY}")
    assert not (tmp_path / "leaky.md").exists()
    assert outputs.write("fine.md", "nothing to hide").is_file()


def test_a_new_report_line_that_forgets_to_mask_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writer added to the reports that quotes the environment's key: the run refuses to
    write it, says so in one line and exits 2."""
    from smspartner_emulator import create_app
    from smspartner_emulator.server import serving

    original = report.summary

    def careless(outcome: Outcome) -> str:
        return original(outcome) + f"\nDebug: key {KEY}\n"

    monkeypatch.setattr(report, "summary", careless)
    monkeypatch.chdir(tmp_path)
    import dataclasses

    from smspartner_emulator import default_fixtures

    fixtures = dataclasses.replace(default_fixtures(), api_keys=(KEY,))
    with serving(create_app(fixtures, access_log=False)) as url:
        code = main(
            [],
            env={
                "SMSPARTNER_BASE_URL": url,
                "SMSPARTNER_API_KEY": KEY,
                "SMSPARTNER_CONTRACT_MODE": "live",
            },
        )
    out, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "summary.md was not written" in err
    assert KEY not in out + err
    assert not (tmp_path / "build" / "contract" / "summary.md").exists()


def test_a_self_referencing_ref_is_one_line_in_the_runner(tmp_path: Path) -> None:
    text = (ROOT / "spec" / "smspartner.yaml").read_text(encoding="utf-8")
    looped = text.replace(
        "    StopEntryId:\n",
        "    StopEntryId:\n      $ref: '#/components/schemas/StopEntryId'\n",
        1,
    )
    spec = tmp_path / "looped.yaml"
    spec.write_text(looped, encoding="utf-8")
    result = run_cli(
        tmp_path, "replay", str(RECORDINGS / "v1-live-field_added.yaml"), "--spec", str(spec)
    )
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "$ref loop" in lines[0]
