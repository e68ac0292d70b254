"""The breaking-change gate: the generated client and the spec against the last release.

    python -m scripts.breaking             # exit 1, naming each break, if the version is too low
    python -m scripts.breaking --release   # record the tree as the last release (gate first)

The version rule (semver, the spec's `info.version`, which the client carries): what users call
or read that is removed or changed needs a new MAJOR version (MINOR while the major is 0); the
gate passes when there is no such change, or when the version's major is above the release's.
A version that differs from the release's needs its `## [X.Y.Z]` section in CHANGELOG.md.

What counts as a break:

- the client's public API, compared by griffe (`griffe.find_breaking_changes`: objects removed or
  of another kind, parameters removed, moved, of another kind or default, newly required), plus
  what griffe does not compare yet: annotations of attributes, parameters and return values, and
  the constructors of the attrs classes (models, clients), which griffe does not see;
- the spec: an operation, a status of it, a parameter or the security scheme removed; a new
  required parameter; a parameter's type changed or enum value removed; and in the JSON of the
  answers, a field removed, no longer required, or of another JSON type or `const`.

The last release is a committed snapshot, `releases/smspartner-client-X.Y.Z.tar.gz` (the client
package's sources and the spec; git tags would not survive this repository's workflow). Only
the highest version found there counts; `--release` replaces it after the gate passed.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import griffe
import yaml

from scripts.generate_client import (
    PACKAGE_NAME,
    ROOT,
    SEMVER,
    SPEC,
    TARGET,
    answer_shapes,
    client_spec,
)

RELEASES = ROOT / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"
SNAPSHOT = re.compile(r"smspartner-client-(\d+\.\d+\.\d+)\.tar\.gz")
SNAPSHOT_SPEC = "smspartner.yaml"
ATTRS_DECORATORS = frozenset({"define", "attrs.define", "_attrs_define", "frozen", "mutable"})
FIELD_CALLS = frozenset({"field", "attrs.field", "_attrs_field"})


class GateError(RuntimeError):
    """The gate cannot run: no readable spec, version or snapshot."""


Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    if not SEMVER.fullmatch(text):
        raise GateError(f"version {text!r} is not semver (MAJOR.MINOR.PATCH)")
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def allows_breaks(old: Version, new: Version) -> bool:
    """Whether `new` may break what `old` offered: a higher major (a higher minor under 1.0)."""
    return new[0] > old[0] or (old[0] == 0 and new[0] == 0 and new[1] > old[1])


def required_bump(old: Version) -> str:
    return f"{old[0]}.{old[1] + 1}.0" if old[0] == 0 else f"{old[0] + 1}.0.0"


def spec_version(spec: dict[str, Any]) -> str:
    return str(spec.get("info", {}).get("version", ""))


# ---- the release snapshot ------------------------------------------------------------------


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    return info


def write_snapshot(client: Path, spec_file: Path, releases: Path, version: str) -> Path:
    """The client package's sources and the spec, in a byte-for-byte reproducible archive."""
    package = client / PACKAGE_NAME
    files = {
        f"{PACKAGE_NAME}/{path.relative_to(package).as_posix()}": path.read_bytes()
        for path in sorted(package.rglob("*.py"))
    }
    files[SNAPSHOT_SPEC] = spec_file.read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in sorted(files.items()):
            archive.addfile(_tar_info(name, len(data)), io.BytesIO(data))
    releases.mkdir(parents=True, exist_ok=True)
    target = releases / f"smspartner-client-{version}.tar.gz"
    target.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    for old in releases.glob("smspartner-client-*.tar.gz"):
        if old != target:
            old.unlink()
    return target


def last_snapshot(releases: Path) -> tuple[str, Path] | None:
    found = [
        (parse_version(match.group(1)), match.group(1), path)
        for path in releases.glob("smspartner-client-*.tar.gz")
        if (match := SNAPSHOT.fullmatch(path.name))
    ]
    if not found:
        return None
    _, version, path = max(found)
    return version, path


def unpack_snapshot(path: Path, into: Path) -> None:
    with tarfile.open(path, mode="r:gz") as archive:
        archive.extractall(into, filter="data")


# ---- the client's public API (griffe) ------------------------------------------------------


def load_api(search_path: Path) -> griffe.Module:
    """The generated package at `search_path`, by static analysis (nothing is imported)."""
    module = griffe.load(PACKAGE_NAME, search_paths=[search_path], resolve_aliases=True)
    if not isinstance(module, griffe.Module):
        raise GateError(f"{search_path} holds no {PACKAGE_NAME} package")
    return module


def _describe(breakage: griffe.Breakage) -> str:
    text = f"{breakage.obj.path}"
    parameter = breakage.old_value if breakage.old_value is not None else breakage.new_value
    if isinstance(parameter, griffe.Parameter):
        text += f", parameter `{parameter.name}`"
    text += f": {breakage.kind.value.lower()}"
    if breakage.kind is griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT:
        text += f" (from {breakage.old_value.default} to {breakage.new_value.default})"
    elif breakage.details:
        text += f" ({breakage.details})"
    return text


def _public_objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """The public classes, functions and attributes defined in `obj`, recursively."""
    for member in obj.members.values():
        if isinstance(member, griffe.Alias) or not member.is_public:
            continue
        yield member
        if isinstance(member, griffe.Module | griffe.Class):
            yield from _public_objects(member)


def _init_parameters(cls: griffe.Class) -> dict[str, bool] | None:
    """`{name: required}` of the `__init__` attrs writes for `cls`; None if not an attrs class."""
    if not any(str(decorator.value) in ATTRS_DECORATORS for decorator in cls.decorators):
        return None
    parameters: dict[str, bool] = {}
    for name, member in cls.all_members.items():
        if not isinstance(member, griffe.Attribute) or "property" in member.labels:
            continue
        if member.annotation is None or "ClassVar" in str(member.annotation):
            continue
        keywords: dict[str, str] = {}
        value = member.value
        if isinstance(value, griffe.ExprCall) and str(value.function) in FIELD_CALLS:
            keywords = {
                argument.name: str(argument.value)
                for argument in value.arguments
                if isinstance(argument, griffe.ExprKeyword)
            }
            if keywords.get("init") == "False":
                continue
            required = "default" not in keywords and "factory" not in keywords
        else:
            required = value is None
        alias = keywords.get("alias", "").strip("'\"") or name.lstrip("_")
        parameters[alias] = required
    return parameters


def api_breaks(old: griffe.Module, new: griffe.Module) -> list[str]:
    """What users of `old` call or read that `new` removed or changed."""
    breaks = [_describe(breakage) for breakage in griffe.find_breaking_changes(old, new)]
    for before in _public_objects(old):
        try:
            after = new[before.path.split(".", 1)[1]]
        except KeyError:
            continue  # griffe named it
        if isinstance(after, griffe.Alias):
            continue
        breaks += _annotation_breaks(before, after)
        if isinstance(before, griffe.Class) and isinstance(after, griffe.Class):
            old_init, new_init = _init_parameters(before), _init_parameters(after)
            if old_init is not None and new_init is not None:
                breaks += _init_breaks(before.path, old_init, new_init)
    return sorted(set(breaks))


def _annotation_breaks(before: griffe.Object, after: griffe.Object) -> list[str]:
    """Annotations changed (griffe does not compare them yet)."""
    breaks = []
    if isinstance(before, griffe.Attribute) and isinstance(after, griffe.Attribute):
        old, new = str(before.annotation), str(after.annotation)
        if old != new:
            breaks.append(f"{before.path}: type changed from `{old}` to `{new}`")
    if isinstance(before, griffe.Function) and isinstance(after, griffe.Function):
        old_returns, new_returns = str(before.returns), str(after.returns)
        if before.returns is not None and old_returns != new_returns:
            breaks.append(
                f"{before.path}: return type changed from `{old_returns}` to `{new_returns}`"
            )
        new_parameters = {parameter.name: parameter for parameter in after.parameters}
        for parameter in before.parameters:
            other = new_parameters.get(parameter.name)
            if other is not None and str(parameter.annotation) != str(other.annotation):
                breaks.append(
                    f"{before.path}, parameter `{parameter.name}`: type changed from "
                    f"`{parameter.annotation}` to `{other.annotation}`"
                )
    return breaks


def _init_breaks(path: str, old: dict[str, bool], new: dict[str, bool]) -> list[str]:
    breaks = []
    for name, required in old.items():
        if name not in new:
            breaks.append(f"{path}(), parameter `{name}`: parameter was removed")
        elif new[name] and not required:
            breaks.append(f"{path}(), parameter `{name}`: parameter is now required")
    for name, required in new.items():
        if name not in old and required:
            breaks.append(f"{path}(), parameter `{name}`: parameter was added as required")
    return breaks


# ---- the spec ------------------------------------------------------------------------------


def _operations(spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """`{operationId: ("GET /path", operation)}`."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                key = operation.get("operationId", f"{method.upper()} {path}")
                found[key] = (f"{method.upper()} {path}", operation)
    return found


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _parameters(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = (_resolve(spec, p) for p in operation.get("parameters", []))
    return {f"{p['in']} parameter `{p['name']}`": p for p in parameters}


def _json_schema(spec: dict[str, Any], response: Any) -> Any:
    content = _resolve(spec, response).get("content", {})
    return next((value.get("schema") for media, value in content.items() if "json" in media), None)


class _Shapes:
    """The answers' JSON types of one spec (the client's own view, see generate_client)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.table = answer_shapes(client_spec(spec))

    def get(self, shape: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        name = shape.get("$ref")
        return name, (self.table.get(name, {}) if name else shape)


def _shape_breaks(
    old: dict[str, Any], new: dict[str, Any], where: str, shapes: tuple[_Shapes, _Shapes]
) -> Iterator[str]:
    old_name, old = shapes[0].get(old)
    _, new = shapes[1].get(new)
    where = old_name or where
    if old.get("type") != new.get("type"):
        yield f"{where}: type changed from {old.get('type')} to {new.get('type')}"
    if old.get("const") != new.get("const"):
        yield f"{where}: const changed from {old.get('const')!r} to {new.get('const')!r}"
    if json.dumps(old.get("anyOf")) != json.dumps(new.get("anyOf")):
        yield f"{where}: alternatives (anyOf/oneOf) changed"
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        field = f"{where}.{name}"
        if name not in new_properties:
            yield f"{field}: removed from the answer"
            continue
        if name in old.get("required", []) and name not in new.get("required", []):
            yield f"{field}: no longer required in the answer"
        yield from _shape_breaks(old_property, new_properties[name], field, shapes)
    if "items" in old and "items" in new:
        yield from _shape_breaks(old["items"], new["items"], f"{where}[]", shapes)


def _schema_shape(schema: Any) -> dict[str, Any]:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return {"$ref": schema["$ref"].rsplit("/", 1)[-1]}
    return schema if isinstance(schema, dict) else {}


def spec_breaks(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What users of the API as `old` describes it rely on that `new` removed or changed."""
    breaks: list[str] = []
    if old.get("components", {}).get("securitySchemes") != new.get("components", {}).get(
        "securitySchemes"
    ):
        breaks.append("security scheme changed (how the key is sent)")
    shapes = (_Shapes(old), _Shapes(new))
    new_operations = _operations(new)
    for operation_id, (label, operation) in _operations(old).items():
        if operation_id not in new_operations:
            breaks.append(f"operation {operation_id} ({label}): removed")
            continue
        _, other = new_operations[operation_id]
        where = f"operation {operation_id}"
        old_parameters, new_parameters = _parameters(old, operation), _parameters(new, other)
        for name, parameter in old_parameters.items():
            if name not in new_parameters:
                breaks.append(f"{where}, {name}: removed")
                continue
            old_schema = parameter.get("schema", {})
            new_schema = new_parameters[name].get("schema", {})
            if old_schema.get("type") != new_schema.get("type"):
                breaks.append(f"{where}, {name}: type changed")
            lost = set(old_schema.get("enum", [])) - set(
                new_schema.get("enum", old_schema.get("enum", []))
            )
            if lost:
                breaks.append(f"{where}, {name}: values {sorted(lost)} no longer accepted")
        for name, parameter in new_parameters.items():
            was_optional = name in old_parameters and not old_parameters[name].get("required")
            if parameter.get("required") and (name not in old_parameters or was_optional):
                breaks.append(f"{where}, {name}: now required")
        for status, response in operation.get("responses", {}).items():
            if status not in other.get("responses", {}):
                breaks.append(f"{where}: answer {status} removed")
                continue
            old_schema = _json_schema(old, response)
            new_schema = _json_schema(new, other["responses"][status])
            if old_schema is not None and new_schema is not None:
                context = f"{where} {status}"
                breaks += [
                    f"{text} (in the {status} answer of {operation_id})"
                    for text in _shape_breaks(
                        _schema_shape(old_schema), _schema_shape(new_schema), context, shapes
                    )
                ]
    return sorted(set(breaks))


# ---- the gate ------------------------------------------------------------------------------


def changelog_has(changelog: Path, version: str) -> bool:
    if not changelog.is_file():
        return False
    heading = re.compile(rf"^##\s+\[?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    return bool(heading.search(changelog.read_text(encoding="utf-8")))


def check(client: Path, spec_file: Path, releases: Path, changelog: Path) -> tuple[bool, str]:
    """(passed, report) of the gate for the tree (`client`, `spec_file`)."""
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    version = spec_version(spec)
    new_version = parse_version(version)
    release = last_snapshot(releases)
    if release is None:
        return True, f"no release in {releases} yet: nothing to compare {version} with"
    old_version_text, snapshot = release
    old_version = parse_version(old_version_text)
    if new_version < old_version:
        return False, f"version {version} is below the last release {old_version_text}"
    with tempfile.TemporaryDirectory(prefix="smspartner-release-") as tmp:
        unpack_snapshot(snapshot, Path(tmp))
        old_spec = yaml.safe_load((Path(tmp) / SNAPSHOT_SPEC).read_text(encoding="utf-8"))
        breaks = [f"spec: {text}" for text in spec_breaks(old_spec, spec)]
        breaks += [f"client: {text}" for text in api_breaks(load_api(Path(tmp)), load_api(client))]
    lines = [f"{version} against the last release {old_version_text} ({snapshot.name}):"]
    passed = True
    if breaks and allows_breaks(old_version, new_version):
        lines.append(f"{len(breaks)} breaking change(s), allowed by the major version {version}:")
        lines += [f"  - {text}" for text in breaks]
    elif breaks:
        passed = False
        lines.append(f"{len(breaks)} breaking change(s) without a major version bump:")
        lines += [f"  - {text}" for text in breaks]
        lines.append(
            "Version rule (semver): what users call or read that is removed or changed needs a "
            f"new major version: set info.version in {SPEC.name} to {required_bump(old_version)} "
            "(or more), regenerate (make generate) and record the change in CHANGELOG.md."
        )
    else:
        lines.append("no breaking change")
    if version != old_version_text and not changelog_has(changelog, version):
        passed = False
        lines.append(f"{changelog.name} has no `## [{version}]` section: record what changed")
    return passed, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--release", action="store_true", help="record the tree as the release")
    parser.add_argument("--spec", type=Path, default=SPEC)
    parser.add_argument("--client", type=Path, default=TARGET, help="the generated project")
    parser.add_argument("--releases", type=Path, default=RELEASES)
    parser.add_argument("--changelog", type=Path, default=CHANGELOG)
    args = parser.parse_args(argv)
    try:
        passed, report = check(args.client, args.spec, args.releases, args.changelog)
        print(report, file=sys.stdout if passed else sys.stderr)
        if not passed:
            print("breaking-change gate: FAILED", file=sys.stderr)
            return 1
        if args.release:
            spec = yaml.safe_load(args.spec.read_text(encoding="utf-8"))
            target = write_snapshot(args.client, args.spec, args.releases, spec_version(spec))
            print(f"recorded {target.relative_to(args.releases.parent)} as the last release")
    except (GateError, OSError, yaml.YAMLError, griffe.LoadingError) as exc:
        print(f"breaking-change gate: cannot run: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
