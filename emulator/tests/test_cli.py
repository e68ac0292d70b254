"""The `smspartner-emulator` command: start-up, the docs' examples over a real socket, refusals.

Each test runs the installed console script as a subprocess on 127.0.0.1, as a user would.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
URL_LINE = re.compile(r"http://127\.0\.0\.1:([0-9]+)/v1")
Start = Callable[..., Any]
Cli = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]
XmlTree = Callable[[bytes | str], list[Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_fixtures(path: Path, key: str) -> Path:
    data = {
        "api_keys": [key],
        "stop_list": [{"id": 3, "phoneNumber": "+33611223344", "createdAt": "2021-06-01 09:00:00"}],
        "rentals": [],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_port_zero_serves_the_docs_examples(
    start_emulator: Start, docs_example: Callable[[str], str], xml_tree: XmlTree
) -> None:
    with start_emulator("--log-level", "warning") as emu:
        match = URL_LINE.fullmatch(emu.url)
        assert match is not None, emu.url
        assert int(match.group(1)) > 0
        query = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN}
        as_json = httpx.get(f"{emu.url}/location/status", params=query)
        as_xml = httpx.get(f"{emu.url}/location/status", params={**query, "_format": "xml"})
        wrong_key = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": "x"})
    docs = json.loads(docs_example("location_status_success.json"))
    assert as_json.status_code == 200
    assert as_json.json() == {**docs, "token": DOCS_TOKEN}
    assert as_xml.headers["content-type"] == "application/xml"
    assert xml_tree(as_xml.content) == xml_tree(docs_example("location_status_success.xml"))
    assert wrong_key.status_code == 400
    assert wrong_key.json() == {"success": False, "code": 10, "message": "Clé API incorrecte"}


def test_a_chosen_port_is_used(start_emulator: Start) -> None:
    port = free_port()
    with start_emulator("--port", str(port), "--log-level", "warning") as emu:
        assert emu.url == f"http://127.0.0.1:{port}/v1"
        response = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY})
        assert response.json()["success"] is True


def test_a_fixtures_file_replaces_the_builtin_ones(start_emulator: Start, tmp_path: Path) -> None:
    fixtures = write_fixtures(tmp_path / "team.yaml", "team-key")
    with start_emulator("--fixtures", str(fixtures), "--log-level", "warning") as emu:
        ours = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": "team-key"})
        demo = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY})
        rental = httpx.get(
            f"{emu.url}/location/status", params={"apiKey": "team-key", "token": DOCS_TOKEN}
        )
    assert ours.json()["data"] == [
        {"id": 3, "phoneNumber": "+33611223344", "createdAt": "2021-06-01 09:00:00"}
    ]
    assert demo.json()["code"] == 10
    assert rental.json()["code"] == 32


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        ("api_keys: [unclosed", "YAML"),
        ("- just\n- a list\n", "mapping"),
        ("api_keys: []\nstop_list: []\nrentals: []\n", "api_keys"),
        (
            "api_keys: [k]\nrentals: []\nstop_list:\n"
            "  - {id: '1', phoneNumber: '0600000000', createdAt: '2020-01-01 00:00:00'}\n",
            "stop_list[0].id: expected an integer",
        ),
    ],
    ids=["missing", "bad-yaml", "not-a-mapping", "no-key", "id-not-an-integer"],
)
def test_a_malformed_fixtures_file_is_refused_at_start(
    cli: Cli, tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "fixtures.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = cli(["--port", "0", "--fixtures", str(path)])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"smspartner-emulator: {path}")
    assert problem.lower() in lines[0].lower(), lines[0]


def test_a_busy_port_is_one_line_and_exit_1(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(["--port", str(port)])
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"smspartner-emulator: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


@pytest.mark.parametrize("host", ["a" * 70])  # refused by the IDNA codec, before any lookup
def test_a_host_that_cannot_be_bound_is_one_line_and_exit_1(cli: Cli, host: str) -> None:
    result = cli(["--host", host, "--port", "0"])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"smspartner-emulator: cannot listen on {host}:0: ")


@pytest.mark.parametrize("value", ["-1", "nan", "soon", "601"])
def test_a_bad_latency_is_refused(cli: Cli, value: str) -> None:
    result = cli(["--latency", value])
    assert result.returncode == 2
    assert "argument --latency" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_access_log_masks_the_key(start_emulator: Start, tmp_path: Path) -> None:
    team_key = "Zq9-team-key-7Yw"
    fixtures = write_fixtures(tmp_path / "team.yaml", team_key)
    with start_emulator("--fixtures", str(fixtures)) as emu:
        httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": team_key, "_format": "xml"})
        httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": "Zq9-wrong"})
        httpx.get(
            f"{emu.url}/stop-sms/list",
            params={"apiKey": team_key},
            headers={"Prefer": "scenario=rate_limited"},
        )
        assert emu.stop() == 0  # the lines still pending are written on the way out
        log = emu.stderr.read_text()
    assert team_key not in log
    assert "Zq9" not in log
    assert re.search(r"GET /v1/stop-sms/list\?apiKey=\*\*\*&_format=xml 200 \S+ scenario=none", log)
    assert re.search(r"GET /v1/stop-sms/list\?apiKey=\*\*\* 400 \S+ scenario=none", log)
    assert re.search(r"GET /v1/stop-sms/list\?apiKey=\*\*\* 429 \S+ scenario=rate_limited", log)


def wait_for_connection(pid: int, client_port: int, timeout: float = 10.0) -> None:
    """Until the emulator process holds the accepted end of our connection."""
    deadline = time.monotonic() + timeout
    process = psutil.Process(pid)
    while time.monotonic() < deadline:
        if any(c.raddr and c.raddr.port == client_port for c in process.net_connections("tcp")):
            return
        time.sleep(0.02)
    raise AssertionError("the emulator never accepted the connection")


def test_sigterm_lets_in_flight_requests_finish(start_emulator: Start) -> None:
    """A request being answered (slowly, `--latency`) when SIGTERM arrives still gets its answer."""
    with start_emulator("--latency", "2", "--log-level", "warning") as emu:
        answers: list[httpx.Response | Exception] = []
        port = int(emu.url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            client_port = raw.getsockname()[1]
            raw.sendall(
                b"GET /v1/stop-sms/list?apiKey=demo-api-key HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )

            def read_answer() -> None:
                chunks = []
                while chunk := raw.recv(65536):
                    chunks.append(chunk)
                head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                status = int(head.split(b" ")[1])
                answers.append(httpx.Response(status, content=body))

            reader = threading.Thread(target=read_answer)
            reader.start()
            wait_for_connection(emu.process.pid, client_port)
            time.sleep(0.3)  # let uvicorn parse the request: it is now in the app's latency
            emu.process.send_signal(signal.SIGTERM)
            reader.join(timeout=15)
        assert emu.process.wait(timeout=15) == 0
        log = emu.stderr.read_text()
    assert len(answers) == 1
    answer = answers[0]
    assert isinstance(answer, httpx.Response)
    assert answer.status_code == 200
    assert answer.json()["nbData"] == 4
    assert "Traceback" not in log
