"""Each field, parameter, error code and status code of both documentation pages is in the spec.

The list comes from the pages themselves (fixtures/documented_items.yaml), not from the
spec, so a field dropped or renamed in the spec fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from smspartner_contract.spec import LoadedSpec, load_spec

DOCUMENTED = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "documented_items.yaml").read_text(encoding="utf-8")
)
ENDPOINTS = sorted(DOCUMENTED)


@pytest.fixture(scope="module")
def spec() -> LoadedSpec:
    return load_spec()


def operation(spec: LoadedSpec, name: str) -> dict[str, Any]:
    page = DOCUMENTED[name]
    path_item = spec.data["paths"].get(page["path"])
    assert path_item is not None, f"{page['path']} is missing from the spec"
    found = path_item.get(page["method"])
    assert found is not None, f"{page['method'].upper()} {page['path']} is missing"
    return dict(found)


def parameters(spec: LoadedSpec, op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolved = (spec.resolve(p) for p in op.get("parameters", []))
    return {p["name"]: p for p in resolved}


def field_schema(
    spec: LoadedSpec, schema: dict[str, Any], field_path: str, *, required: bool = True
) -> dict[str, Any]:
    """Walk `a.b[].c` through properties and items; assert each step is required (if asked)."""
    node = spec.resolve(schema)
    for step in field_path.split("."):
        is_list = step.endswith("[]")
        name = step.removesuffix("[]")
        properties = node.get("properties", {})
        assert name in properties, f"field {field_path!r}: {name!r} is not a property"
        if required:
            assert name in node.get("required", []), f"field {field_path!r}: {name!r} not required"
        node = spec.resolve(properties[name])
        assert node.get("description"), f"field {field_path!r} has no description"
        if is_list:
            assert node.get("type") == "array", f"field {field_path!r}: {name!r} is not a list"
            node = spec.resolve(node["items"])
    return dict(node)


def media_schema(spec: LoadedSpec, op: dict[str, Any], status: str, media: str) -> Any:
    response = spec.resolve(op["responses"][status])
    return response["content"][media]["schema"]


def error_examples(spec: LoadedSpec, op: dict[str, Any]) -> dict[int, str]:
    content = spec.resolve(op["responses"]["400"])["content"]["application/json"]
    values = (spec.resolve(example)["value"] for example in content["examples"].values())
    return {value["code"]: value["message"] for value in values}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_parameters_are_described(spec: LoadedSpec, name: str) -> None:
    page = DOCUMENTED[name]
    op = operation(spec, name)
    params = parameters(spec, op)
    scheme = spec.data["components"]["securitySchemes"]["apiKey"]
    applied = [next(iter(item)) for item in op.get("security", spec.data.get("security", []))]
    for param in page["parameters"]["required"]:
        if param == "apiKey":
            assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "query", "apiKey")
            assert "apiKey" in applied, f"{name}: the apiKey scheme is not applied"
        else:
            assert params.get(param, {}).get("required") is True, f"{name}: {param} not required"
            assert params[param]["in"] == "query"
    for param in page["parameters"]["optional"]:
        assert param in params, f"{name}: optional parameter {param} is missing"
        assert params[param].get("required", False) is False
    format_schema = params["_format"]["schema"]
    assert format_schema["enum"] == page["format_values"]
    assert format_schema["default"] == "json"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_success_fields_are_described(spec: LoadedSpec, name: str) -> None:
    page = DOCUMENTED[name]
    op = operation(spec, name)
    schema = media_schema(spec, op, "200", "application/json")
    for field_path in page["success_fields"]:
        field_schema(spec, schema, field_path)
    for field_path in page.get("string_numbers", []):
        found = field_schema(spec, schema, field_path)
        assert found.get("type") == "string", f"{field_path} must stay a string"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_error_envelope_and_codes(spec: LoadedSpec, name: str) -> None:
    page = DOCUMENTED[name]
    op = operation(spec, name)
    schema = media_schema(spec, op, "400", "application/json")
    for field_path in page["error_fields"]:
        field_schema(spec, schema, field_path, required=field_path in page["error_required"])
    documented = spec.data["components"]["schemas"]["DocumentedErrorCode"]
    listed = dict(zip(documented["enum"], documented["x-enum-descriptions"], strict=True))
    examples = error_examples(spec, op)
    for code, message in page["error_codes"].items():
        assert listed.get(code) == message, (
            f"{name}: error code {code} is not listed as {message!r}"
        )
        assert examples.get(code) == message, f"{name}: no example of error {code} {message!r}"
        assert str(code) in op["description"], f"{name}: description does not name code {code}"


@pytest.mark.parametrize("name", ENDPOINTS)
def test_success_code_and_media_types(spec: LoadedSpec, name: str) -> None:
    page = DOCUMENTED[name]
    op = operation(spec, name)
    assert str(page["success_code"]) in op["description"]
    for status in ("200", "400"):
        content = spec.resolve(op["responses"][status])["content"]
        assert sorted(content) == sorted(page["media_types"]), f"{name} {status} media types"


def test_stop_list_repeats_code_200(spec: LoadedSpec) -> None:
    schema = spec.data["components"]["schemas"]["StopList"]
    assert schema["properties"]["code"]["const"] == DOCUMENTED["stop-sms/list"]["success_code"]


def test_rental_status_codes_are_documented(spec: LoadedSpec) -> None:
    status = spec.resolve(
        spec.data["components"]["schemas"]["RentalStatus"]["properties"]["status"]
    )
    # String keys: OpenAPI 3.1 (and Spectral's parser) wants string keys in every mapping.
    quoted = {str(code): text for code, text in status["x-status-codes"].items()}
    for code, text in DOCUMENTED["location/status"]["rental_status_codes"].items():
        assert str(code) in quoted, f"rental status code {code} is missing"
        assert quoted[str(code)].startswith(text), f"rental status {code}: {quoted[str(code)]!r}"
        assert str(code) in status["description"]
