"""Generate the typed client `generated/smspartner-client/` from `spec/smspartner.yaml`.

    python -m scripts.generate_client          # regenerate the committed tree (make generate)
    python -m scripts.generate_client --check  # exit 1, naming the files, if it is not current

Steps, all deterministic (same spec, templates and pins: same bytes):

1. Derive the view of the spec the generator reads (nothing is written next to the spec):
   the client always asks for JSON, so the `application/xml` media types, the parameter that
   selects the answer's encoding (`x-answer-format`) and what only they reference (the
   positional `*Xml` schemas, whose `items: false` openapi-python-client 0.29 cannot even
   parse) are left out; and a guess
   (`x-unconfirmed`) must not make the client brittle, so an `enum` under such a mark is
   dropped (the rental status texts are plain strings to the client): the view of
   `scripts/json_only_view.py`, which stock tools read too. The client's version
   is the spec's `info.version`, which must be semver (`MAJOR.MINOR.PATCH`).
2. Run the pinned openapi-python-client (`--meta uv`, config and custom templates from
   `generator/`) into a fresh temporary directory, copy the static modules of
   `generator/static/` (e.g. `redact.py`) into the package, and write two modules of facts
   read from the spec, so that no template or static module names an operation, a parameter
   or a code of the API: `_shapes.py`, the JSON types of the view's schemas, which the client
   checks answers against (`_shape.py`), and `_spec.py`, the rest (the key's parameter from
   the security scheme of type apiKey, the default base URL from `servers[0]`, and per
   operation its secret parameters, `x-secret: true`, and its answer cap,
   `x-max-answer-bytes`). The repository's LICENSE is copied into the project.
3. Format with the pinned ruff of this venv, by absolute path (`--no-cache`: no `.ruff_cache`
   in the output); both versions are checked against the pins in pyproject.toml.
4. Replace the target tree as a whole, so no file of an older generation survives.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import pprint
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from smspartner_contract.facts import iter_operations
from smspartner_contract.refs import RefError, resolve

from scripts.json_only_view import ViewError, json_only_view, load

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "smspartner.yaml"
GENERATOR_DIR = ROOT / "generator"
CONFIG = GENERATOR_DIR / "config.yaml"
TEMPLATES = GENERATOR_DIR / "templates"
STATIC = GENERATOR_DIR / "static"
"""Modules copied into the package as they are (nothing in them depends on the spec)."""
PROJECT_NAME = "smspartner-client"
PACKAGE_NAME = "smspartner_client"
TARGET = ROOT / "generated" / PROJECT_NAME

SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
SHAPES_MODULE = "_shapes.py"
SPEC_MODULE = "_spec.py"
LICENSE = ROOT / "LICENSE"
# What a shape keeps of a schema: JSON types and structure; formats, patterns, ranges and enums
# are left out (see generator/static/_shape.py for why).
SHAPE_KEYS = ("type", "properties", "required", "items")
# Files that tools create in the tree after generation; never part of the comparison.
IGNORED_NAMES = frozenset(
    {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist"}
)
IGNORED_SUFFIXES = (".pyc", ".egg-info")


class GenerationError(RuntimeError):
    """The generator or ruff failed, or a tool is not the pinned version."""


# ---- 1. the spec as the generator sees it ---------------------------------------------------


def client_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The view the generator reads: the JSON-only view (`scripts/json_only_view.py`)."""
    return json_only_view(spec)


def spec_version(spec: dict[str, Any]) -> str:
    """`info.version`, the client's version; `GenerationError` unless it is semver."""
    version = str(spec.get("info", {}).get("version", ""))
    if not SEMVER.fullmatch(version):
        raise GenerationError(f"info.version {version!r} is not semver (MAJOR.MINOR.PATCH)")
    return version


def _shape(schema: Any) -> dict[str, Any]:
    """What the client checks of `schema`: types, required fields, items, documented consts."""
    if not isinstance(schema, dict):
        return {}
    if isinstance(schema.get("$ref"), str):
        return {"$ref": schema["$ref"].rsplit("/", 1)[-1]}
    if "allOf" in schema or "not" in schema:
        raise GenerationError("allOf and not are not supported by the client's shape checks")
    shape: dict[str, Any] = {key: schema[key] for key in SHAPE_KEYS if key in schema}
    if "properties" in shape:
        shape["properties"] = {name: _shape(sub) for name, sub in schema["properties"].items()}
    if "items" in shape:
        shape["items"] = _shape(schema["items"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            shape["anyOf"] = [_shape(option) for option in schema[key]]
    if "const" in schema and "x-unconfirmed" not in schema:
        shape["const"] = schema["const"]
    return shape


def answer_shapes(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The shape of every schema of the client's view of the spec, by schema name."""
    schemas = view.get("components", {}).get("schemas", {})
    return {name: _shape(schema) for name, schema in sorted(schemas.items())}


def _shapes_module(view: dict[str, Any]) -> str:
    shapes = pprint.pformat(answer_shapes(view), width=100, sort_dicts=False)
    return (
        '"""JSON types of the answers (generated by scripts/generate_client.py from the spec\'s\n'
        'schemas; do not edit). Read by `_shape.py`."""\n\n'
        "from typing import Any\n\n"
        f"SHAPES: dict[str, dict[str, Any]] = {shapes}\n"
    )


def _api_key_parameter(view: dict[str, Any]) -> tuple[str, str]:
    """(`in`, `name`) of the key: the security scheme of type apiKey the operations require."""
    schemes = view.get("components", {}).get("securitySchemes", {})
    required = [name for requirement in view.get("security", []) for name in requirement]
    keys = [
        schemes[name]
        for name in dict.fromkeys(required)
        if isinstance(schemes.get(name), dict) and schemes[name].get("type") == "apiKey"
    ]
    if len(keys) != 1 or keys[0].get("in") not in ("query", "header"):
        raise GenerationError(
            "the client needs exactly one required security scheme of type apiKey, "
            "in the query or a header"
        )
    return str(keys[0]["in"]), str(keys[0]["name"])


def _default_base_url(view: dict[str, Any]) -> str:
    """`servers[0].url`, its variables replaced by their defaults."""
    servers = view.get("servers") or []
    if not servers or not isinstance(servers[0], dict) or "url" not in servers[0]:
        raise GenerationError("the spec names no server (servers[0].url): no default base URL")
    url = str(servers[0]["url"])
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url.rstrip("/")


def operation_facts(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the client needs to know of each operation, by `METHOD /path`: the parameters
    whose values are secrets (`x-secret: true`: masked like the key in every error and log
    line of a call), as (`in`, name) pairs, and the cap of its success answers
    (`x-max-answer-bytes`, None for the client's default)."""
    facts: dict[str, dict[str, Any]] = {}
    for method, path, operation in iter_operations(view):
        path_item = view["paths"][path]
        parameters = [
            resolve(view, parameter)
            for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]
        ]
        cap = operation.get("x-max-answer-bytes")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise GenerationError(
                f"{method.upper()} {path}: x-max-answer-bytes must be a positive integer"
            )
        facts[f"{method.upper()} {path}"] = {
            "secret_parameters": tuple(
                (str(parameter.get("in")), str(parameter["name"]))
                for parameter in parameters
                if isinstance(parameter, dict) and parameter.get("x-secret") is True
            ),
            "max_answer_bytes": cap,
        }
    return facts


def _spec_module(view: dict[str, Any]) -> str:
    location, name = _api_key_parameter(view)
    operations = {
        key: f"Operation(secret_parameters={value['secret_parameters']!r}, "
        f"max_answer_bytes={value['max_answer_bytes']!r})"
        for key, value in sorted(operation_facts(view).items())
    }
    entries = "".join(f"    {key!r}: {value},\n" for key, value in operations.items())
    return (
        '"""Facts of the spec the client acts on (generated by scripts/generate_client.py from\n'
        "the spec; do not edit): the key's parameter (the security scheme of type apiKey), the\n"
        "default base URL (`servers[0]`), and per operation (`METHOD /path`) its secret\n"
        'parameters (`x-secret`) and the cap of its success answers (`x-max-answer-bytes`)."""\n\n'
        "from ._operation import Operation\n\n"
        f"API_KEY_LOCATION = {location!r}\n"
        f"API_KEY_PARAMETER = {name!r}\n"
        f"DEFAULT_BASE_URL = {_default_base_url(view)!r}\n\n"
        f"OPERATIONS: dict[str, Operation] = {{\n{entries}}}\n"
    )


# ---- 2. and 3. generation and formatting -----------------------------------------------------


def _pins() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    pins: dict[str, str] = {}
    for requirement in project["optional-dependencies"]["dev"]:
        name, sep, version = requirement.partition("==")
        if sep:
            pins[name.strip().lower()] = version.strip()
    return pins


def _check_pins() -> None:
    pins = _pins()
    for package in ("openapi-python-client", "ruff"):
        installed = metadata.version(package)
        if installed != pins.get(package):
            raise GenerationError(
                f"{package} {installed} is installed but pyproject.toml pins "
                f"{pins.get(package)}: run `make setup`"
            )


def _tool(name: str) -> Path:
    """The venv's executable `name` (next to this interpreter), never one from PATH."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise GenerationError(f"{path} not found: run `make setup`")
    return path


TOOL_TIMEOUT = 300
"""Seconds the generator or ruff may take (a few seconds normally)."""


def _run(command: list[str], cwd: Path) -> None:
    env = {**os.environ, "RUFF_NO_CACHE": "true", "NO_COLOR": "1"}
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GenerationError(
            f"{' '.join(command[:3])}... took more than {TOOL_TIMEOUT} s"
        ) from None
    if result.returncode != 0:
        raise GenerationError(
            f"{' '.join(command[:3])}... failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )


def generate_into(workdir: Path, spec_file: Path = SPEC) -> Path:
    """Generate the client into `workdir` (which must exist) and return the project directory."""
    _check_pins()
    try:
        spec = load(spec_file)
    except ViewError as exc:
        raise GenerationError(str(exc)) from None
    spec_version(spec)
    try:
        view = client_spec(spec)
    except RefError as exc:
        raise GenerationError(str(exc)) from None
    spec_path = workdir / "smspartner.client.json"
    spec_path.write_text(json.dumps(view, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    project = workdir / PROJECT_NAME
    _run(
        [
            str(_tool("openapi-python-client")),
            "generate",
            "--path",
            str(spec_path),
            "--config",
            str(CONFIG),
            "--custom-template-path",
            str(TEMPLATES),
            "--meta",
            "uv",
            "--output-path",
            str(project),
            "--fail-on-warning",
        ],
        cwd=workdir,
    )
    for module in sorted(STATIC.glob("*.py")):
        shutil.copyfile(module, project / PACKAGE_NAME / module.name)
    (project / PACKAGE_NAME / SHAPES_MODULE).write_text(_shapes_module(view), encoding="utf-8")
    (project / PACKAGE_NAME / SPEC_MODULE).write_text(_spec_module(view), encoding="utf-8")
    shutil.copyfile(LICENSE, project / "LICENSE")
    ruff = str(_tool("ruff"))
    _run([ruff, "check", "--fix-only", "--no-cache", "--quiet", "."], cwd=project)
    _run([ruff, "format", "--no-cache", "--quiet", "."], cwd=project)
    for leftover in project.rglob(".ruff_cache"):
        shutil.rmtree(leftover)
    return project


# ---- 4. compare and replace -----------------------------------------------------------------


def _ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES or part.endswith(IGNORED_SUFFIXES) for part in relative.parts)


def tree_files(root: Path) -> set[str]:
    """Relative POSIX paths of the files under `root`, tool caches left out."""
    if not root.is_dir():
        return set()
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not _ignored(path.relative_to(root))
    }


def differences(expected: Path, actual: Path) -> list[str]:
    """`changed: F`, `missing: F` (would be generated) and `extra: F` (stale) lines."""
    wanted, present = tree_files(expected), tree_files(actual)
    lines = [f"missing: {name}" for name in sorted(wanted - present)]
    lines += [f"extra: {name}" for name in sorted(present - wanted)]
    lines += [
        f"changed: {name}"
        for name in sorted(wanted & present)
        if not filecmp.cmp(expected / name, actual / name, shallow=False)
    ]
    return sorted(lines, key=lambda line: line.split(": ", 1)[1])


def stale_files(target: Path = TARGET, spec_file: Path = SPEC) -> list[str]:
    """Generate from `spec_file` into a temporary directory; list how `target` differs from it."""
    with tempfile.TemporaryDirectory(prefix="smspartner-client-") as tmp:
        return differences(generate_into(Path(tmp), spec_file), target)


def regenerate(target: Path = TARGET) -> list[str]:
    """Regenerate `target` as a whole; return the differences with the previous tree."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generating-", dir=target.parent) as tmp:
        fresh = generate_into(Path(tmp))
        changes = differences(fresh, target)
        if target.exists():
            old = Path(tmp) / "previous"
            target.rename(old)
        fresh.rename(target)
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1 and name the files if the committed client is not current",
    )
    args = parser.parse_args(argv)
    target = TARGET.relative_to(ROOT).as_posix()
    try:
        if args.check:
            stale = stale_files()
            if stale:
                print(f"{target} is not what {SPEC.name} generates; run `make generate`:")
                print("\n".join(f"  {line}" for line in stale))
                return 1
            print(f"{target} is current")
            return 0
        changes = regenerate()
    except GenerationError as exc:
        print(f"generation failed: {exc}", file=sys.stderr)
        return 2
    summary = f"{len(changes)} file(s) changed" if changes else "no change"
    print(f"generated {target} ({summary})")
    for line in changes:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
