"""Shared test tools: the app in-process, the CLI as a subprocess, an XML reader, the docs.

Helpers are given as fixtures (test modules cannot import each other under importlib mode).
Nothing here reads the OpenAPI spec: the emulator is checked against the docs only.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

import httpx
import pytest
import yaml
from smspartner_emulator import create_app
from smspartner_emulator.process import (
    COMMAND,
    EmulatorStartError,
    RunningEmulator,
    started_emulator,
)
from starlette.types import ASGIApp, Message, Scope

FIXTURES = Path(__file__).parent / "fixtures"

# An XML answer read back: ("cdata", text) or ("bare", text) for a leaf, a list for an entry
# holding entries (an empty `<entry/>` is an empty list).
Tree = tuple[str, str] | list[Any]


class XmlShapeError(Exception):
    """The XML is not the keyless `<result>`/`<entry>` form."""


def parse_entries(body: bytes | str) -> list[Any]:
    """Read `<result>` into a Tree, keeping CDATA apart from bare text (which expat can).

    Whitespace outside CDATA is layout; bare text and CDATA in one element, elements other
    than `entry`, attributes, or text beside child entries are errors.
    """
    parser = expat.ParserCreate("UTF-8")
    stack: list[dict[str, Any]] = []
    root: list[Any] = []
    in_cdata = False

    def start(name: str, attrs: dict[str, str]) -> None:
        expected = "result" if not stack else "entry"
        if name != expected or attrs:
            raise XmlShapeError(f"unexpected element <{name}> {attrs or ''}")
        if not stack and root:
            raise XmlShapeError("second root")
        stack.append({"children": [], "cdata": None, "bare": ""})

    def end(name: str) -> None:
        node = stack.pop()
        children, cdata, bare = node["children"], node["cdata"], node["bare"].strip()
        if children and (cdata is not None or bare):
            raise XmlShapeError("text beside child entries")
        if cdata is not None and bare:
            raise XmlShapeError("bare text beside CDATA")
        value: Any
        if children:
            value = children
        elif cdata is not None:
            value = ("cdata", cdata)
        elif bare:
            value = ("bare", bare)
        else:
            value = []
        if stack:
            stack[-1]["children"].append(value)
        else:
            if not isinstance(value, list):
                raise XmlShapeError("text directly in <result>")
            root.append(value)

    def text(data: str) -> None:
        node = stack[-1]
        if in_cdata:
            node["cdata"] = (node["cdata"] or "") + data
        else:
            node["bare"] += data

    def cdata_start() -> None:
        nonlocal in_cdata
        in_cdata = True
        node = stack[-1]
        node["cdata"] = node["cdata"] or ""

    def cdata_end() -> None:
        nonlocal in_cdata
        in_cdata = False

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartCdataSectionHandler = cdata_start
    parser.EndCdataSectionHandler = cdata_end
    parser.Parse(body.encode("utf-8") if isinstance(body, str) else body, True)
    if len(root) != 1:
        raise XmlShapeError("no <result>")
    result: list[Any] = root[0]
    return result


def json_as_tree(value: Any) -> Any:
    """What the JMS-style XML of a JSON value reads back as."""
    if isinstance(value, bool):
        return ("bare", "true" if value else "false")
    if isinstance(value, int):
        return ("bare", str(value))
    if isinstance(value, str):
        return ("cdata", value)
    if isinstance(value, dict):
        return [json_as_tree(item) for item in value.values()]
    if isinstance(value, list):
        return [json_as_tree(item) for item in value]
    raise TypeError(type(value).__name__)


@pytest.fixture(scope="session")
def xml_tree() -> Callable[[bytes | str], list[Any]]:
    return parse_entries


@pytest.fixture(scope="session")
def as_tree() -> Callable[[Any], Any]:
    return json_as_tree


@pytest.fixture(scope="session")
def docs_example() -> Callable[[str], str]:
    """Text of a docs example copied into tests/fixtures (e.g. `stop_list_success.json`)."""

    def read(name: str) -> str:
        return (FIXTURES / name).read_text("utf-8")

    return read


@pytest.fixture(scope="session")
def docs_codes() -> dict[str, dict[int, str]]:
    data: dict[str, dict[int, str]] = yaml.safe_load(
        (FIXTURES / "docs_codes.yaml").read_text("utf-8")
    )
    return data


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The emulator with built-in fixtures, in-process; base URL ends in /v1."""
    transport = httpx.ASGITransport(app=create_app(access_log=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator/v1") as http:
        yield http


def check_envelope(response: httpx.Response, status: int, code: int, message: str) -> None:
    """An error answer: status, media type and the exact envelope, in JSON or XML."""
    assert response.status_code == status
    media = response.headers["content-type"]
    if media == "application/json":
        assert response.json() == {"success": False, "code": code, "message": message}
        assert list(response.json()) == ["success", "code", "message"]
    else:
        assert media == "application/xml"
        assert parse_entries(response.content) == [
            ("bare", "false"),
            ("bare", str(code)),
            ("cdata", message),
        ]


@pytest.fixture(scope="session")
def envelope() -> Callable[[httpx.Response, int, int, str], None]:
    return check_envelope


@dataclass(frozen=True)
class Emulator(RunningEmulator):
    """A started CLI and the file its stderr goes to."""

    stderr: Path


@contextmanager
def running_emulator(args: Sequence[str], stderr: Path) -> Iterator[Emulator]:
    """Start the CLI with `--port 0` (and `args`), stop it at the end."""
    with stderr.open("w") as err:
        try:
            with started_emulator(*args, stderr=err) as running:
                yield Emulator(running.url, running.process, stderr)
        except EmulatorStartError as exc:
            raise AssertionError(f"{exc}; stderr: {stderr.read_text()!r}") from None


@pytest.fixture
def start_emulator(tmp_path: Path) -> Callable[..., Any]:
    """`with start_emulator("--log-level", "warning") as emu:` runs the real CLI."""

    def start(*args: str) -> Any:
        return running_emulator(args, tmp_path / f"stderr-{time.monotonic_ns()}.txt")

    return start


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One CLI with its default options for a whole module (each start costs a second)."""
    stderr = tmp_path_factory.mktemp("shared-emulator") / "stderr.txt"
    with running_emulator((), stderr) as emulator:
        yield emulator


def run_cli(args: Sequence[str], timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion (for start-up failures)."""
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def cli() -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
    return run_cli


@dataclass
class RawAnswer:
    """What an ASGI app sent for one request."""

    status: int
    headers: dict[str, str]
    body: bytes


async def call_asgi(
    app: ASGIApp,
    method: str,
    path: str,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> RawAnswer:
    """One request straight into the ASGI app: any method, path and query bytes, no client."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogatepass"),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"emulator"), *headers],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
    }
    messages: list[Message] = []
    received = False

    async def receive() -> Message:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start, *bodies = messages
    assert start["type"] == "http.response.start"
    sent = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return RawAnswer(start["status"], sent, b"".join(m.get("body", b"") for m in bodies))


@pytest.fixture(scope="session")
def asgi_call() -> Callable[..., Coroutine[Any, Any, RawAnswer]]:
    return call_asgi
