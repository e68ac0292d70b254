"""Run `smspartner-emulator` as a child process: for test suites, the contract run and benches.

`started_emulator()` runs `python -m smspartner_emulator` with the running interpreter (so it
works from any environment the package is installed in) on 127.0.0.1 with `--port 0`, waits
for its URL line and stops it with SIGTERM at the end (SIGKILL if it does not exit in time):
a suite gets the real server (uvicorn with its fast loop and parser) on a free loopback port.
Start and stop have deadlines, and the child cannot outlive its parent (`lifeline`).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from smspartner_emulator.cli import ANNOUNCE
from smspartner_emulator.lifeline import PARENT_ENV

COMMAND = (sys.executable, "-m", "smspartner_emulator")
"""The CLI, with the interpreter running this code."""
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
def started_emulator(
    *args: str, stderr: IO[str] | None = None, startup_timeout: float = STARTUP_TIMEOUT
) -> Iterator[RunningEmulator]:
    """The CLI on 127.0.0.1 and a free port, with `args` added; stderr to `stderr` or dropped.

    EmulatorStartError (one line, with the child's last stderr line when it is ours to read)
    if it does not print its URL within `startup_timeout` seconds (a big `--fixtures` file
    takes a while: about 2 s per 100,000 entries).
    """
    command = [*COMMAND, "--host", "127.0.0.1", "--port", "0", *args]
    with started_server(command, stderr=stderr, startup_timeout=startup_timeout) as running:
        yield running


@contextmanager
def started_server(
    command: Sequence[str],
    *,
    stderr: IO[str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    cwd: str | None = None,
) -> Iterator[RunningEmulator]:
    """Any server command that prints `ANNOUNCE` and its URL first and calls
    `lifeline.exit_with_parent()` (the emulator, a bench's bare Starlette server): started,
    its URL awaited and it stopped, with the deadlines of `started_emulator`."""
    environment = {**os.environ, PARENT_ENV: str(os.getpid())}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as scratch:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr or scratch,
            text=True,
            encoding="utf-8",
            env=environment,
            cwd=cwd,
        )
        try:
            url = _read_url(process, startup_timeout)
        except EmulatorStartError as exc:
            _stop(process)
            detail = _last_line(scratch if stderr is None else None)
            raise EmulatorStartError(f"{exc}{detail}") from None
        try:
            yield RunningEmulator(url, process)
        finally:
            _stop(process)


def _read_url(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.startswith(ANNOUNCE):
        if line:
            why = f"first line {line.strip()[:200]!r}"
        elif ready:
            try:
                why = f"exit status {process.wait(timeout=STOP_TIMEOUT)}"
            except subprocess.TimeoutExpired:
                why = "output closed without a URL line"
        else:
            why = f"no URL line in {timeout:g} s"
        raise EmulatorStartError(f"the emulator did not start ({why})")
    return line.removeprefix(ANNOUNCE).strip().rstrip("/")


def _last_line(scratch: IO[str] | None) -> str:
    if scratch is None:
        return ""
    scratch.seek(0)
    lines = scratch.read(65536).strip().splitlines()
    return f": {lines[-1][:300]}" if lines else ""


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
    if process.stdout is not None:
        process.stdout.close()
