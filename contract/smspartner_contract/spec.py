"""Where the spec is, and loading it with the line of every node (messages name a place).

An installed package carries its copy of the spec (`smspartner_contract/spec/smspartner.yaml`,
force-included in the wheel); a checkout (editable install) reads `spec/smspartner.yaml` in
place, so a maintainer's edit is what the next run checks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from smspartner_contract import ledger

_PACKAGED = Path(__file__).resolve().parent / "spec" / "smspartner.yaml"
_CHECKOUT = Path(__file__).resolve().parents[2] / "spec" / "smspartner.yaml"
SPEC_PATH = _CHECKOUT if _CHECKOUT.is_file() else _PACKAGED
MAX_SPEC_BYTES = 4 * 1024 * 1024


class SpecError(Exception):
    """The spec file cannot be read or parsed."""


@dataclass(frozen=True)
class LoadedSpec:
    """The spec as data, plus a map from JSON pointer to 1-based line number."""

    path: Path
    data: dict[str, Any]
    lines: dict[str, int]

    def place(self, pointer: str) -> str:
        """`file:line #pointer`, the line of the closest node that has one."""
        probe = pointer
        while probe and probe not in self.lines:
            probe = probe.rsplit("/", 1)[0]
        line = self.lines.get(probe, 1)
        return f"{self.path.name}:{line} #{pointer}"

    def resolve(self, node: Any) -> Any:
        """Follow local `$ref`s until a node that is not a reference."""
        return ledger.resolve(self.data, node)

    def at(self, ref: str) -> Any:
        """The node at a local reference like `#/components/schemas/Error`."""
        return ledger.at(self.data, ref.removeprefix("#"))


def read_spec_text(path: Path) -> str:
    """The spec's text (at most MAX_SPEC_BYTES); SpecError with a one-line reason otherwise."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES // 2**20} MiB")
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise SpecError(f"{path}: cannot read the spec: {reason}") from None


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def spec_data(path: Path = SPEC_PATH) -> dict[str, Any]:
    """The parsed spec as plain data (cached per path: one parse per process, with the C
    loader; `load_spec` also maps every node to its line, for messages)."""
    text = read_spec_text(path)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        reason = " ".join(str(error).split())[:300]
        raise SpecError(f"{path}: cannot load the spec: {reason}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec is not a mapping")
    return data


def load_spec(path: Path = SPEC_PATH) -> LoadedSpec:
    """Parse the spec; raise SpecError with a one-line reason when it cannot be read."""
    text = read_spec_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        reason = str(error).replace("\n", " ")
        raise SpecError(f"{path}: cannot load the spec: {reason}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the spec is not a mapping")
    lines: dict[str, int] = {}
    if root is not None:
        _index_lines(root, "", lines)
    return LoadedSpec(path=path, data=data, lines=lines)


def _index_lines(node: yaml.Node, pointer: str, lines: dict[str, int]) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{pointer}/{ledger.escape(str(key_node.value))}"
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, f"{pointer}/{index}", lines)
