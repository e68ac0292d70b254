"""The spec is valid, its examples fit their schemas, and a broken spec is caught by place."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from smspartner_contract.spec import SPEC_PATH, load_spec

from contract_tests.spec_examples import find_example_problems

ROOT = SPEC_PATH.parent.parent
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the mutation anchor {old!r} must occur once"
    target = tmp_path / "smspartner.yaml"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def redocly_lint(spec: Path) -> subprocess.CompletedProcess[str]:
    if not REDOCLY.exists():
        pytest.fail("node_modules is missing: run the tests through `make test`")
    command = [str(REDOCLY), "lint", "--config", str(ROOT / "redocly.yaml"), str(spec)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_spec_is_valid_openapi_3_1() -> None:
    spec_dict, base_uri = read_from_filename(str(SPEC_PATH))
    validate(spec_dict, base_uri=base_uri)
    assert spec_dict["openapi"].startswith("3.1")


def test_every_example_matches_its_schema() -> None:
    assert [str(problem) for problem in find_example_problems(load_spec())] == []


def test_a_json_example_that_breaks_its_schema_is_named(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, "        nbData: 1\n", '        nbData: "1"\n')
    problems = [str(problem) for problem in find_example_problems(load_spec(broken))]
    assert len(problems) == 1
    assert "#/components/examples/StopListJson/value/nbData" in problems[0]
    assert "'1' is not of type 'integer'" in problems[0]


def test_an_xml_example_that_breaks_its_schema_is_named(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, "<entry>49</entry>", "<entry><![CDATA[49]]></entry>")
    problems = [str(problem) for problem in find_example_problems(load_spec(broken))]
    assert len(problems) == 1
    assert "#/components/examples/RentalStatusXml/value" in problems[0]
    assert "application/xml" in problems[0]


def test_malformed_xml_example_is_named(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, "<entry>32</entry>", "<entry>32</entr>")
    problems = [str(problem) for problem in find_example_problems(load_spec(broken))]
    assert len(problems) == 1
    assert "RentalNotFoundXml" in problems[0]
    assert "not well-formed XML" in problems[0]


def test_style_ruleset_passes_on_the_spec() -> None:
    result = redocly_lint(SPEC_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_style_ruleset_names_a_missing_description(tmp_path: Path) -> None:
    broken = broken_copy(
        tmp_path,
        "          description: The numbers on the STOP list.\n",
        "",
    )
    shutil.copy(ROOT / "redocly.yaml", tmp_path / "redocly.yaml")
    result = redocly_lint(broken)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "#/components/schemas/StopList/properties/data" in output
    assert "rule/schema-has-description" in output


def test_style_ruleset_names_a_response_without_example(tmp_path: Path) -> None:
    broken = broken_copy(
        tmp_path,
        """          examples:
            docs:
              $ref: "#/components/examples/StopListXml"
""",
        "",
    )
    result = redocly_lint(broken)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "rule/response-has-example" in output
    assert "StopListOk/content/application~1xml" in output


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            (
                "{code: 31, when: parameter-missing, parameter: token}",
                "{code: 31, when: parameter-missing, parameter: tokken}",
            ),
            "parameter: expected one of",
        ),
        (
            (
                "{code: 10, when: credential-wrong}\n        - {code: 31",
                "{code: 10, when: credential-mistyped}\n        - {code: 31",
            ),
            "when: ",
        ),
        (("x-personal-data: phone", "x-personal-data: shoe-size"), "x-personal-data: expected"),
        (("x-envelope:", "x-not-the-envelope:"), "x-envelope: missing"),
    ],
)
def test_a_malformed_fact_is_one_line_in_make_lint(
    tmp_path: Path, edit: tuple[str, str], problem: str
) -> None:
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert edit[0] in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.check_facts", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=SPEC_PATH.parent.parent,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert problem in lines[0]
