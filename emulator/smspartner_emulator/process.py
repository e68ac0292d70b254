"""Run `smspartner-emulator` as a child process: for test suites, the contract run and benches.

`started_emulator()` execs the console script with `--port 0`, waits for its URL line and
stops it with SIGTERM at the end (SIGKILL if it does not exit in time), so a suite gets the
real server (uvicorn with its fast loop and parser) on a free loopback port.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from smspartner_emulator.cli import ANNOUNCE

EXECUTABLE = Path(sys.executable).parent / "smspartner-emulator"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class EmulatorStartError(Exception):
    """The emulator did not start; the message is one line."""


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: its base URL (`http://127.0.0.1:PORT/v1`) and its process."""

    url: str
    process: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` (if still running) and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def started_emulator(*args: str, stderr: IO[str] | None = None) -> Iterator[RunningEmulator]:
    """The CLI on 127.0.0.1 and a free port, with `args` added; stderr to `stderr` or dropped."""
    if not EXECUTABLE.exists():
        raise EmulatorStartError(f"{EXECUTABLE} not found: run `make setup` first")
    command = [str(EXECUTABLE), "--host", "127.0.0.1", "--port", "0", *args]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as scratch:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr or scratch,
            text=True,
            encoding="utf-8",
        )
        try:
            yield RunningEmulator(_read_url(process), process)
        finally:
            _stop(process)


def _read_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith(ANNOUNCE):
        why = f"first line {line.strip()!r}" if line else f"no URL line in {STARTUP_TIMEOUT:g} s"
        raise EmulatorStartError(f"the emulator did not start ({why})")
    return line.removeprefix(ANNOUNCE).strip().rstrip("/")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
