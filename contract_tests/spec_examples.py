"""Check every example of the spec against the schema it illustrates.

Redocly validates examples as data, which cannot work for the positional XML answers
(their examples are XML text). Here JSON examples are validated as they are and XML
examples are first decoded by `positional_xml`, so both media types are held to the
same schemas the contract tests use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from smspartner_contract.facts import HTTP_METHODS
from smspartner_contract.positional_xml import PositionalXmlError, decode
from smspartner_contract.spec import LoadedSpec

SPEC_URI = "urn:smspartner-spec"


@dataclass(frozen=True)
class ExampleProblem:
    """One example that does not fit its schema, with the place to look."""

    place: str
    context: str
    reason: str

    def __str__(self) -> str:
        return f"{self.place} ({self.context}): {self.reason}"


def schema_validator(spec: LoadedSpec, schema_pointer: str) -> Draft202012Validator:
    """A JSON Schema validator for the schema at a JSON pointer into the spec.

    The spec is registered as one resource, so the schema's own `#/components/...`
    references resolve inside it.
    """
    resource = Resource.from_contents(spec.data, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator({"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=registry)


def _media_examples(spec: LoadedSpec) -> Iterator[tuple[str, str, Any, str, bool]]:
    """Yield (pointer of the example value, context, value, pointer of the schema, is_xml)."""
    for path, item in spec.data.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for status, response in operation.get("responses", {}).items():
                response = spec.resolve(response)
                for media_type, media in response.get("content", {}).items():
                    context = f"{method.upper()} {path} {status} {media_type}"
                    is_xml = media_type.endswith("xml")
                    media_pointer = _pointer_of_media(spec, path, method, status, media_type)
                    schema = f"{media_pointer}/schema"
                    if "example" in media:
                        yield f"{media_pointer}/example", context, media["example"], schema, is_xml
                    for name, example in media.get("examples", {}).items():
                        ref = example.get("$ref") if isinstance(example, dict) else None
                        if ref:
                            pointer = ref.removeprefix("#")
                        else:
                            pointer = f"{media_pointer}/examples/{name}"
                        resolved = spec.resolve(example)
                        if "value" in resolved:
                            yield f"{pointer}/value", context, resolved["value"], schema, is_xml


def _pointer_of_media(spec: LoadedSpec, path: str, method: str, status: str, media: str) -> str:
    response = spec.data["paths"][path][method]["responses"][status]
    escaped_media = media.replace("/", "~1")
    if isinstance(response, dict) and "$ref" in response:
        return f"{response['$ref'].removeprefix('#')}/content/{escaped_media}"
    escaped_path = path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped_path}/{method}/responses/{status}/content/{escaped_media}"


def _parameter_examples(spec: LoadedSpec) -> Iterator[tuple[str, str, Any, str]]:
    for name, parameter in spec.data.get("components", {}).get("parameters", {}).items():
        if "example" in parameter:
            pointer = f"/components/parameters/{name}"
            context = f"parameter {parameter.get('name', name)}"
            yield f"{pointer}/example", context, parameter["example"], f"{pointer}/schema"


def _schema_examples(spec: LoadedSpec) -> Iterator[tuple[str, str, Any, str]]:
    for name, schema in spec.data.get("components", {}).get("schemas", {}).items():
        pointer = f"/components/schemas/{name}"
        for index, value in enumerate(schema.get("examples", [])):
            yield f"{pointer}/examples/{index}", f"schema {name}", value, pointer


def find_example_problems(spec: LoadedSpec) -> list[ExampleProblem]:
    """Every example that fails its schema; an empty list means all examples are valid."""
    problems: list[ExampleProblem] = []
    checked = 0

    def check(pointer: str, context: str, value: Any, schema: str) -> None:
        nonlocal checked
        checked += 1
        for error in schema_validator(spec, schema).iter_errors(value):
            at = "".join(f"/{part}" for part in error.absolute_path) or "/"
            place = spec.place(pointer + at.rstrip("/"))
            problems.append(ExampleProblem(place, context, f"at {at}: {error.message}"))

    for pointer, context, value, schema, is_xml in _media_examples(spec):
        if is_xml:
            if not isinstance(value, str):
                problems.append(
                    ExampleProblem(spec.place(pointer), context, "XML example is not text")
                )
                continue
            try:
                value = decode(value)
            except PositionalXmlError as error:
                problems.append(ExampleProblem(spec.place(pointer), context, str(error)))
                continue
        check(pointer, context, value, schema)
    for pointer, context, value, schema in [*_parameter_examples(spec), *_schema_examples(spec)]:
        check(pointer, context, value, schema)
    if checked == 0:
        problems.append(ExampleProblem(spec.place(""), "whole spec", "no example found"))
    return problems
