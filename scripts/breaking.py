"""The breaking-change gate: the generated client and the spec against the last release.

    python -m scripts.breaking             # exit 1, naming each break, if the version is too low
    python -m scripts.breaking --release   # record the tree as the last release (gate first)

The version rule (semver, the spec's `info.version`, which the client carries): what users call
or read that is removed or changed needs a new MAJOR version (MINOR while the major is 0); what
is added (an operation, a parameter, a field of an answer, an answer status, a parameter value)
needs a new MINOR version (PATCH while the major is 0). The gate passes when the version is high
enough for what changed. A version that differs from the release's needs its `## [X.Y.Z]`
section in CHANGELOG.md. A `$ref` loop in either spec stops the gate in one line (exit 2).

What counts as a break:

- the client's public API, compared by griffe (`griffe.find_breaking_changes`: objects removed or
  of another kind, parameters removed, moved, of another kind or default, newly required), plus
  what griffe does not compare yet: annotations of attributes, parameters and return values, and
  the constructors of the attrs classes (models, clients), which griffe does not see;
- the spec: an operation, a status of it, a parameter or the security scheme removed; a new
  required parameter; a parameter's type changed or enum value removed; and in the JSON of the
  answers, a field removed, no longer required, or of another JSON type or `const`.

What counts as an addition: in the spec, an operation, an answer status or an optional parameter
added, new values of a parameter's enum, and in the JSON of the answers, a field added.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import griffe
import yaml
from smspartner_contract.refs import RefError, resolve

from scripts.generate_client import (
    PACKAGE_NAME,
    ROOT,
    SEMVER,
    SPEC,
    TARGET,
    answer_shapes,
)
from scripts.json_only_view import ViewError, json_only_view, load

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


def allows_additions(old: Version, new: Version) -> bool:
    """Whether `new` may add to what `old` offered: a higher minor or major (under 1.0, any
    higher version: the minor is what a break needs there)."""
    if old[0] == 0 and new[0] == 0:
        return new > old
    return new[:2] > old[:2]


def required_minor_bump(old: Version) -> str:
    return f"0.{old[1]}.{old[2] + 1}" if old[0] == 0 else f"{old[0]}.{old[1] + 1}.0"


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
    """`{operationId: ("GET /path", operation)}`, the path's own parameters merged in."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                key = operation.get("operationId", f"{method.upper()} {path}")
                merged = {**operation, "parameters": [*shared, *operation.get("parameters", [])]}
                found[key] = (f"{method.upper()} {path}", merged)
    return found


def _parameters(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parameters = (resolve(spec, p) for p in operation.get("parameters", []))
    return {f"{p['in']} parameter `{p['name']}`": p for p in parameters}


def _json_schema(spec: dict[str, Any], response: Any) -> Any:
    content = resolve(spec, response).get("content", {})
    return next((value.get("schema") for media, value in content.items() if "json" in media), None)


class _Shapes:
    """The answers' JSON types of one spec (the client's own view, see generate_client)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.table = answer_shapes(json_only_view(spec))  # RefError on a $ref loop

    def get(self, shape: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        name = shape.get("$ref")
        return name, (self.table.get(name, {}) if name else shape)


@dataclass
class SpecChanges:
    """What `new` changed of `old`: breaks (need a major bump), additions (a minor one)."""

    breaks: list[str] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)


def _compare_shapes(
    old: dict[str, Any],
    new: dict[str, Any],
    where: str,
    shapes: tuple[_Shapes, _Shapes],
    changes: SpecChanges,
    seen: set[tuple[str, str]],
) -> None:
    old_name, old = shapes[0].get(old)
    new_name, new = shapes[1].get(new)
    if old_name and new_name:
        if (old_name, new_name) in seen:  # a schema met again (shared, or containing itself)
            return
        seen.add((old_name, new_name))
    where = old_name or where
    if old.get("type") != new.get("type"):
        changes.breaks.append(f"{where}: type changed from {old.get('type')} to {new.get('type')}")
    if old.get("const") != new.get("const"):
        changes.breaks.append(
            f"{where}: const changed from {old.get('const')!r} to {new.get('const')!r}"
        )
    if json.dumps(old.get("anyOf")) != json.dumps(new.get("anyOf")):
        changes.breaks.append(f"{where}: alternatives (anyOf/oneOf) changed")
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        member = f"{where}.{name}"
        if name not in new_properties:
            changes.breaks.append(f"{member}: removed from the answer")
            continue
        if name in old.get("required", []) and name not in new.get("required", []):
            changes.breaks.append(f"{member}: no longer required in the answer")
        _compare_shapes(old_property, new_properties[name], member, shapes, changes, seen)
    for name in new_properties:
        if name not in old_properties:
            changes.additions.append(f"{where}.{name}: added to the answer")
    if "items" in old and "items" in new:
        _compare_shapes(old["items"], new["items"], f"{where}[]", shapes, changes, seen)


def _schema_shape(schema: Any) -> dict[str, Any]:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return {"$ref": schema["$ref"].rsplit("/", 1)[-1]}
    return schema if isinstance(schema, dict) else {}


def _compare_parameters(
    where: str,
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
    changes: SpecChanges,
) -> None:
    for name, parameter in old.items():
        if name not in new:
            changes.breaks.append(f"{where}, {name}: removed")
            continue
        old_schema, new_schema = parameter.get("schema", {}), new[name].get("schema", {})
        if old_schema.get("type") != new_schema.get("type"):
            changes.breaks.append(f"{where}, {name}: type changed")
        old_values = old_schema.get("enum", [])
        new_values = new_schema.get("enum", old_values)
        lost = set(old_values) - set(new_values)
        if lost:
            changes.breaks.append(f"{where}, {name}: values {sorted(lost)} no longer accepted")
        gained = set(new_values) - set(old_values) if old_values else set()
        if gained:
            changes.additions.append(f"{where}, {name}: values {sorted(gained)} now accepted")
    for name, parameter in new.items():
        was_optional = name in old and not old[name].get("required")
        if parameter.get("required") and (name not in old or was_optional):
            changes.breaks.append(f"{where}, {name}: now required")
        elif name not in old:
            changes.additions.append(f"{where}, {name}: added (optional)")


def spec_changes(old: dict[str, Any], new: dict[str, Any]) -> SpecChanges:
    """What users of the API as `old` describes it rely on that `new` removed or changed
    (breaks), and what `new` offers that `old` did not (additions). RefError on a $ref loop."""
    changes = SpecChanges()
    shapes = (_Shapes(old), _Shapes(new))
    if old.get("components", {}).get("securitySchemes") != new.get("components", {}).get(
        "securitySchemes"
    ):
        changes.breaks.append("security scheme changed (how the key is sent)")
    old_operations, new_operations = _operations(old), _operations(new)
    for operation_id, (label, _) in new_operations.items():
        if operation_id not in old_operations:
            changes.additions.append(f"operation {operation_id} ({label}): added")
    for operation_id, (label, operation) in old_operations.items():
        if operation_id not in new_operations:
            changes.breaks.append(f"operation {operation_id} ({label}): removed")
            continue
        _, other = new_operations[operation_id]
        where = f"operation {operation_id}"
        _compare_parameters(where, _parameters(old, operation), _parameters(new, other), changes)
        old_responses, new_responses = operation.get("responses", {}), other.get("responses", {})
        for status in new_responses:
            if status not in old_responses:
                changes.additions.append(f"{where}: answer {status} added")
        for status, response in old_responses.items():
            if status not in new_responses:
                changes.breaks.append(f"{where}: answer {status} removed")
                continue
            old_schema = _json_schema(old, response)
            new_schema = _json_schema(new, new_responses[status])
            if old_schema is None or new_schema is None:
                continue
            found = SpecChanges()
            _compare_shapes(
                _schema_shape(old_schema),
                _schema_shape(new_schema),
                f"{where} {status}",
                shapes,
                found,
                seen=set(),
            )
            suffix = f" (in the {status} answer of {operation_id})"
            changes.breaks += [text + suffix for text in found.breaks]
            changes.additions += [text + suffix for text in found.additions]
    return SpecChanges(sorted(set(changes.breaks)), sorted(set(changes.additions)))


def changelog_has(changelog: Path, version: str) -> bool:
    if not changelog.is_file():
        return False
    heading = re.compile(rf"^##\s+\[?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    return bool(heading.search(changelog.read_text(encoding="utf-8")))


def check(client: Path, spec_file: Path, releases: Path, changelog: Path) -> tuple[bool, str]:
    """(passed, report) of the gate for the tree (`client`, `spec_file`)."""
    spec = load(spec_file)
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
        changes = spec_changes(old_spec, spec)
        breaks = [f"spec: {text}" for text in changes.breaks]
        breaks += [f"client: {text}" for text in api_breaks(load_api(Path(tmp)), load_api(client))]
        additions = [f"spec: {text}" for text in changes.additions]
    lines = [f"{version} against the last release {old_version_text} ({snapshot.name}):"]
    passed = True
    breaks_allowed = allows_breaks(old_version, new_version)
    if breaks and breaks_allowed:
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
    if additions and allows_additions(old_version, new_version):
        lines.append(f"{len(additions)} addition(s), allowed by the version {version}:")
        lines += [f"  - {text}" for text in additions]
    elif additions:
        passed = False
        lines.append(f"{len(additions)} addition(s) without a minor version bump:")
        lines += [f"  - {text}" for text in additions]
        if not breaks or breaks_allowed:  # otherwise the major bump asked above covers them
            lines.append(
                "Version rule (semver): what is added (an operation, a parameter, a field of an "
                f"answer) needs a new minor version: set info.version in {SPEC.name} to "
                f"{required_minor_bump(old_version)} (or more), regenerate (make generate) and "
                "record the addition in CHANGELOG.md."
            )
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
            spec = load(args.spec)
            target = write_snapshot(args.client, args.spec, args.releases, spec_version(spec))
            print(f"recorded {target.relative_to(args.releases.parent)} as the last release")
    except (GateError, RefError, ViewError, OSError, yaml.YAMLError, griffe.LoadingError) as exc:
        print(f"breaking-change gate: cannot run: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
