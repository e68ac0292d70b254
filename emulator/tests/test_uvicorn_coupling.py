"""uvicorn's internals the emulator relies on are all in `protocol`, and still what they were.

When a uvicorn release changes one of them, a test here fails saying which and what to do,
before the limits misbehave in a subtler way.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from pathlib import Path

import pytest
import uvicorn
from smspartner_emulator import protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

PACKAGE = Path(protocol.__file__).parent
CLASSES: dict[str, type] = {
    "HttpToolsProtocol": HttpToolsProtocol,
    "RequestResponseCycle": RequestResponseCycle,
    "Server": uvicorn.Server,
}
PUBLIC_UVICORN = {"uvicorn"}
"""What modules other than `protocol` may import: the package's public surface."""
UPGRADE = (
    f"uvicorn {uvicorn.__version__} differs from the version smspartner_emulator.protocol was"
    " written against: "
)


def source_hash(function: object) -> str:
    text = textwrap.dedent(inspect.getsource(function))  # type: ignore[arg-type]
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(protocol.COPIED))
def test_the_copied_uvicorn_methods_are_unchanged(name: str) -> None:
    class_name, method = name.split(".")
    copied_from, recorded = protocol.COPIED[name]
    now = source_hash(getattr(CLASSES[class_name], method))
    assert now == recorded, (
        f"{UPGRADE}{name} changed since {copied_from} (the emulator's"
        f" LimitedHttpToolsProtocol.{method} is a copy of it with a size cap): compare"
        f" uvicorn's new {method} with the copy in protocol.py, carry the change over, then"
        f" record the new hash {now} in protocol.COPIED"
    )


@pytest.mark.parametrize(
    ("class_name", "method"),
    [(cls, method) for cls, methods in protocol.OVERRIDDEN.items() for method in methods],
)
def test_the_methods_relied_on_keep_their_signature(class_name: str, method: str) -> None:
    expected = protocol.OVERRIDDEN[class_name][method]
    found = getattr(CLASSES[class_name], method, None)
    assert found is not None, (
        f"{UPGRADE}{class_name}.{method} is gone; protocol.py overrides or calls it"
    )
    parameters = tuple(inspect.signature(found).parameters)
    assert parameters == expected, (
        f"{UPGRADE}{class_name}.{method}{parameters} was {expected}: adapt protocol.py's use of"
        " it, then protocol.OVERRIDDEN"
    )


def assigned_attributes(cls: type) -> set[str]:
    """`self.NAME = ...` (or annotated) anywhere in the class's own source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names = set()
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                names.add(target.attr)
    return names


@pytest.mark.parametrize(
    ("class_name", "attribute"),
    [(cls, name) for cls, names in protocol.ATTRIBUTES.items() for name in names],
)
def test_the_attributes_relied_on_still_exist(class_name: str, attribute: str) -> None:
    assert attribute in assigned_attributes(CLASSES[class_name]), (
        f"{UPGRADE}{class_name} no longer sets `self.{attribute}`, which protocol.py uses"
    )


def test_no_other_module_reaches_into_uvicorn() -> None:
    """uvicorn's internals are imported by `protocol` only; the rest uses `uvicorn.Config`
    and `uvicorn.Server` (and names uvicorn in prose)."""
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "protocol.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("uvicorn"), f"{path.name}: from {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] != "uvicorn" or alias.name in PUBLIC_UVICORN, (
                        f"{path.name}: import {alias.name}"
                    )
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "uvicorn"
            ):
                assert node.attr in {"Config", "Server"}, f"{path.name}: uvicorn.{node.attr}"
