"""Helpers of the contract tests: a run in-process, a run through the console script, and the
search of every output for a secret (whole, percent-encoded, or any 8-character part of it).
DEMO_KEY and DOCS_TOKEN are the emulator's built-in key and documented rental."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from smspartner_contract.cli import grade
from smspartner_contract.grading import Outcome
from smspartner_contract.model import FULL, Record, Settings, Target
from smspartner_contract.refs import resolve
from smspartner_contract.run import Runner
from smspartner_contract.target import emulator_credentials

DEMO_KEY, DOCS_TOKEN = emulator_credentials()
IN_PROCESS_URL = "http://127.0.0.1/v1"
CLI = Path(sys.executable).parent / "smspartner-contract"
ROOT = Path(__file__).resolve().parent.parent


def plan_size(spec: dict[str, Any], *, credentials: bool) -> int:
    """The probe plan's size, read off the spec's facts (independently of plan.py): per
    operation one success per answer format (if its credentials are given), one request per
    documented error situation; one per guessed enum of the probe operation's parameters."""
    total = 0
    for item in spec["paths"].values():
        for operation in item.values():
            parameters = [resolve(spec, p) for p in operation.get("parameters", [])]
            formats = [p for p in parameters if "x-answer-format" in p]
            needs = any("x-credential" in p for p in parameters if p.get("required"))
            if credentials or not needs:
                total += len(formats[0]["x-answer-format"]) if formats else 1
            total += len(operation.get("x-documented-errors", []))
            if operation.get("x-probe"):
                total += sum(
                    1 for p in parameters if "x-unconfirmed" in p and "enum" in p["schema"]
                )
    return total


def documented_codes(spec: dict[str, Any]) -> dict[str, set[int]]:
    """Each operation's documented error codes, read off the spec (`x-documented-errors`)."""
    return {
        f"{method.upper()} {path}": {int(e["code"]) for e in op.get("x-documented-errors", [])}
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }


def closed_url() -> str:
    """A loopback base URL nothing listens on: the API is down."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def operation_labels(spec: dict[str, Any]) -> list[str]:
    return [f"{m.upper()} {path}" for path, item in spec["paths"].items() for m in item]


def run_in_process(
    app: Any, *, mode: str = FULL, token: str | None = DOCS_TOKEN, examples: int = 20
) -> tuple[Record, Outcome]:
    """A contract run against an ASGI app, in-process, and its grading."""
    target = Target(IN_PROCESS_URL, DEMO_KEY, token, app=app)
    record = Runner(target, Settings(mode=mode, max_examples=examples)).run()
    return record, grade(record, record.target, None)


def run_cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """`smspartner-contract ARGS` in `cwd`, with only the SMSPARTNER_ variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    clean.setdefault("SMSPARTNER_CONTRACT_EXAMPLES", "10")
    clean.update(env or {})
    return subprocess.run(
        [str(CLI), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def outputs(result: subprocess.CompletedProcess[str], cwd: Path) -> str:
    """stdout, stderr and every file the run wrote under build/ (reports and the cassette)."""
    files = sorted(p for p in (cwd / "build").rglob("*") if p.is_file())
    return "\n".join([result.stdout, result.stderr, *(p.read_text("utf-8") for p in files)])


def one_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The single stderr line of a run that exits `code` (no traceback)."""
    assert result.returncode == code, result.stdout[-3000:] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def forms(secret: str, window: int = 8) -> list[str]:
    """The ways a secret could leak: whole, URL-encoded, and every `window`-character part of
    it (a mask shows at most a token's first four characters, or a phone number's first three
    and last two: any part of 8, or 6 for a phone number, would be more)."""
    found = {secret, quote(secret, safe=""), quote_plus(secret)}
    found |= {secret[i : i + window] for i in range(len(secret) - window + 1)}
    return sorted(found)


def assert_hidden(text: str, secret: str, *, window: int = 8) -> None:
    for form in forms(secret, window):
        assert form not in text, f"{form!r} (a form of a secret) is in the output"
