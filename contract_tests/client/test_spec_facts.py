"""The client takes its facts about the API from the spec (issue 23, the generator's part).

No template or static module of generator/ names an operation path, a parameter name or an API
code of the spec: the key's parameter comes from the security scheme, the secret parameters
from `x-secret`, each operation's answer cap from `x-max-answer-bytes`, the default base URL
from `servers[0]`, written by scripts/generate_client.py into `_spec.py`. These tests change a
copy of the spec and look at what the generator derives from it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import smspartner_client
import yaml
from smspartner_client import _spec, client

from scripts.generate_client import (
    GENERATOR_DIR,
    GenerationError,
    _spec_module,
    client_spec,
    operation_facts,
)

SPEC_FILE = Path(__file__).resolve().parents[2] / "spec" / "smspartner.yaml"
ALLOWED = {
    # The kit's one masking module (owned by the masking work): it finds keys by the names
    # servers and libraries give them, whatever the spec says.
    "static/redact.py",
}


@pytest.fixture
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return loaded


def _parameters(spec: dict[str, Any]) -> set[str]:
    names = {parameter["name"] for parameter in spec["components"]["parameters"].values()}
    names |= {
        scheme["name"]
        for scheme in spec["components"]["securitySchemes"].values()
        if "name" in scheme
    }
    return names


def _codes(spec: dict[str, Any]) -> set[int]:
    codes: set[int] = set()
    for item in spec["paths"].values():
        for operation in item.values():
            found = re.findall(r"(\d+) \(", operation.get("description", ""))
            codes |= {int(code) for code in found}
    return codes - {200}


def _sources() -> dict[str, str]:
    return {
        path.relative_to(GENERATOR_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(GENERATOR_DIR.rglob("*"))
        if path.is_file() and path.suffix in (".py", ".jinja", ".yaml")
    }


def test_the_generator_names_no_path_parameter_or_code_of_the_api(spec: dict[str, Any]) -> None:
    patterns = [re.escape(path) for path in spec["paths"]]
    patterns += [re.escape(path.strip("/")) for path in spec["paths"]]
    patterns += [rf"(?<![\w-]){re.escape(name)}(?![\w-])" for name in _parameters(spec)]
    patterns += [rf"(?i)\bcodes? \(?{code}\b" for code in _codes(spec)]
    assert _codes(spec) >= {1, 10}, "the spec's descriptions list the documented codes"
    found = [
        f"{name}: {match.group(0)!r}"
        for name, text in _sources().items()
        if name not in ALLOWED
        for pattern in patterns
        for match in re.finditer(pattern, text)
    ]
    assert found == []


def test_the_generated_facts_are_the_spec_s(spec: dict[str, Any]) -> None:
    view = client_spec(spec)
    scheme = next(
        scheme
        for scheme in spec["components"]["securitySchemes"].values()
        if scheme["type"] == "apiKey"
    )
    assert client.API_KEY_PARAMETER == _spec.API_KEY_PARAMETER == scheme["name"]
    assert scheme["in"] == _spec.API_KEY_LOCATION
    assert (
        client.DEFAULT_BASE_URL == smspartner_client.DEFAULT_BASE_URL == spec["servers"][0]["url"]
    )
    facts = operation_facts(view)
    assert set(_spec.OPERATIONS) == set(facts)
    for key, operation in _spec.OPERATIONS.items():
        assert operation.secret_parameters == facts[key]["secret_parameters"]
        assert operation.max_answer_bytes == facts[key]["max_answer_bytes"]
    secret = [
        parameter["name"]
        for parameter in spec["components"]["parameters"].values()
        if parameter.get("x-secret")
    ]
    assert secret
    assert {name for op in _spec.OPERATIONS.values() for _, name in op.secret_parameters} == set(
        secret
    )


def test_the_facts_follow_a_changed_spec(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    scheme = changed["components"]["securitySchemes"]["apiKey"]
    scheme["name"] = "key"
    changed["servers"][0]["url"] = "https://example.invalid/api/"
    parameters = changed["components"]["parameters"]
    secret = next(parameter for parameter in parameters.values() if parameter.get("x-secret"))
    secret["name"] = "rentalId"
    for item in changed["paths"].values():
        for operation in item.values():
            operation["x-max-answer-bytes"] = 1234
    module = _spec_module(client_spec(changed))
    assert "API_KEY_PARAMETER = 'key'" in module
    assert "DEFAULT_BASE_URL = 'https://example.invalid/api'" in module
    assert "(('query', 'rentalId'),)" in module
    assert module.count("max_answer_bytes=1234") == len(changed["paths"])


def test_a_parameter_that_only_picks_the_media_type_is_left_out(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    parameters = changed["components"]["parameters"]
    chooser = next(
        parameter
        for parameter in parameters.values()
        if set(parameter.get("schema", {}).get("enum", [])) == {"json", "xml"}
    )
    chooser["name"] = "output"
    parameters["sort"] = {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": ["asc", "desc"]},
    }
    for item in changed["paths"].values():
        for operation in item.values():
            operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/sort"})
    view = client_spec(changed)
    for item in view["paths"].values():
        for operation in item.values():
            refs = [parameter.get("$ref", "") for parameter in operation["parameters"]]
            assert "#/components/parameters/sort" in refs
            assert not [ref for ref in refs if ref.endswith("/format")]


def test_a_bad_answer_cap_is_refused(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    next(iter(changed["paths"].values()))["get"]["x-max-answer-bytes"] = "big"
    with pytest.raises(GenerationError, match="x-max-answer-bytes"):
        operation_facts(client_spec(changed))


def test_the_key_needs_a_security_scheme(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["security"] = []
    with pytest.raises(GenerationError, match="security scheme"):
        _spec_module(client_spec(changed))
