"""Start the emulator CLI for one contract run, on a free loopback port, and stop it after.

`smspartner-emulator --host 127.0.0.1 --port 0` prints exactly one stdout line,
`smspartner-emulator serving http://HOST:PORT/v1`, once it listens; SIGTERM stops it (exit 0).
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXECUTABLE = Path(sys.executable).parent / "smspartner-emulator"
URL_PREFIX = "smspartner-emulator serving "
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class EmulatorError(Exception):
    """The emulator could not be started; the message is one line."""


@contextmanager
def started_emulator(*args: str) -> Iterator[str]:
    """Yield the base URL of an emulator started on a free loopback port."""
    if not EXECUTABLE.exists():
        raise EmulatorError(f"{EXECUTABLE} not found: run `make setup` first")
    command = [
        str(EXECUTABLE),
        *("--host", "127.0.0.1", "--port", "0", "--log-level", "warning"),
        *args,
    ]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8"
        )
        try:
            yield _read_url(process)
        finally:
            _stop(process)


def _read_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith(URL_PREFIX):
        why = f"first line {line.strip()!r}" if line else f"no URL line in {STARTUP_TIMEOUT:g} s"
        raise EmulatorError(f"the emulator did not start ({why})")
    return line.removeprefix(URL_PREFIX).strip().rstrip("/")


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
