"""The committed client in generated/ is exactly what the current spec and templates generate."""

from __future__ import annotations

from pathlib import Path

import pytest
import smspartner_client
import yaml

from scripts.generate_client import (
    SPEC,
    TARGET,
    GenerationError,
    answer_shapes,
    client_spec,
    spec_version,
    stale_files,
)


def test_committed_client_is_current() -> None:
    stale = stale_files()
    assert not stale, (
        f"{TARGET.name} is not what spec/smspartner.yaml generates; run `make generate` "
        "and commit generated/:\n  " + "\n  ".join(stale)
    )


def test_a_spec_change_names_the_files(tmp_path: Path) -> None:
    """Changing one field's type without regenerating is caught, with the files named (the
    model, and the JSON types the client checks answers against)."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec["components"]["schemas"]["StopEntry"]["properties"]["id"] = {
        "type": "string",
        "description": "Identifier of the STOP entry.",
    }
    changed = tmp_path / "smspartner.yaml"
    changed.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert stale_files(spec_file=changed) == [
        "changed: smspartner_client/_shapes.py",
        "changed: smspartner_client/models/stop_entry.py",
    ]


def test_the_client_view_of_the_spec() -> None:
    """XML media types, `_format` and the XML-only schemas are left out; the rest is kept."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    view = client_spec(spec)
    for path_item in view["paths"].values():
        for operation in path_item.values():
            assert all("format" not in str(parameter) for parameter in operation["parameters"])
    for response in view["components"]["responses"].values():
        assert list(response["content"]) == ["application/json"]
    schemas = set(view["components"]["schemas"])
    assert not {name for name in schemas if name.endswith("Xml")}
    assert {"StopList", "RentalStatus", "Error", "ErrorCode", "DocumentedErrorCode"} <= schemas
    assert view["components"]["securitySchemes"] == spec["components"]["securitySchemes"]
    assert view["security"] == [{"apiKey": []}]
    assert spec["components"]["parameters"]["format"]  # the input is left untouched


def test_the_client_version_is_the_spec_version() -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    version = spec["info"]["version"]
    assert smspartner_client.__version__ == version
    assert f'version = "{version}"' in (TARGET / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("version", ["1.0", "v2.0.0", "2.0.0-beta", "02.0.0", ""])
def test_a_version_that_is_not_semver_is_refused(version: str) -> None:
    with pytest.raises(GenerationError, match="not semver"):
        spec_version({"info": {"version": version}})


def test_the_shapes_keep_types_and_drop_guesses() -> None:
    """The client checks JSON types, required fields and documented consts; the patterns,
    ranges and enums (guesses or not) are left out."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    shapes = answer_shapes(client_spec(spec))
    assert shapes["StopEntry"] == {
        "type": "object",
        "properties": {
            "id": {"$ref": "StopEntryId"},
            "phoneNumber": {"$ref": "InternationalPhoneNumber"},
            "createdAt": {"$ref": "LocalDateTime"},
        },
        "required": ["id", "phoneNumber", "createdAt"],
    }
    assert shapes["InternationalPhoneNumber"] == {"type": "string"}  # no pattern
    assert shapes["StopEntryId"] == {"type": "integer"}  # no minimum
    assert shapes["RentalStatusText"] == {"type": "string"}  # no enum
    assert shapes["StopList"]["properties"]["code"] == {"type": "integer", "const": 200}
    assert shapes["Error"]["properties"]["error"] == {}  # any shape
