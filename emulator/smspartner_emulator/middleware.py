"""The access log (secrets masked, scenario named) and the line logged for an unhandled error.

One access-log line per request: `GET /v1/stop-sms/list?apiKey=*** 200 0.12ms scenario=none`
(method, path and query with every secret masked, status, duration, the scenario that
answered). Two ways to write it, the same line either way:

- `AccessLog` (in-process apps, the pytest plugin): a record of the
  `smspartner_emulator.access` logger at INFO, at once, for whatever handlers the process has
  (pytest's caplog included);
- `BufferedAccessLog` (the `smspartner-emulator` command): the request only notes its facts
  (a tuple); the lines are masked, formatted and written in batches, one write at most every
  FLUSH_SECONDS, in the format of the command's other log lines. A log line per request then
  costs about 2% of the emulator's throughput instead of half of it.

Masked request lines are cached (a client repeats the same few requests; masking costs more
than the rest of a request).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from starlette.types import Scope

from smspartner_emulator.query import masked_text, request_line

if TYPE_CHECKING:
    from smspartner_client.redact import Redactor

ACCESS_LOGGER = logging.getLogger("smspartner_emulator.access")
ERROR_LOGGER = logging.getLogger("smspartner_emulator.errors")
LINES_CACHED = 1024
"""Masked request lines kept."""
LINE_FORMAT = "%s %d %.2fms scenario=%s"
"""request line, status, milliseconds, scenario."""
FLUSH_SECONDS = 0.05
"""Longest a buffered access-log line waits before it is written."""
MAX_PENDING = 4096
"""Buffered lines written at once when this many are waiting."""
UNKNOWN_SCENARIO = "(unknown)"

Line = Callable[[str, bytes, bytes], str]


def raw_path(scope: Scope) -> bytes:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw
    return str(scope.get("path", "")).encode("utf-8", "surrogateescape")


class AccessLog:
    """Writes each line as a record of the `smspartner_emulator.access` logger, at once."""

    def __init__(self, redactor: Redactor) -> None:
        self.line: Line = functools.lru_cache(maxsize=LINES_CACHED)(
            functools.partial(request_line, redactor=redactor)
        )

    def enabled(self) -> bool:
        return ACCESS_LOGGER.isEnabledFor(logging.INFO)

    def note(
        self, method: str, path: bytes, query: bytes, status: int, seconds: float, scenario: str
    ) -> None:
        """One request answered (`scenario` is a known name, or UNKNOWN_SCENARIO)."""
        line = self.line(method, path, query)
        ACCESS_LOGGER.info(LINE_FORMAT, line, status, seconds * 1000, scenario)


class BufferedAccessLog(AccessLog):
    """Notes requests and writes their lines to `stream` in batches (the command's log)."""

    def __init__(self, redactor: Redactor, stream: TextIO) -> None:
        super().__init__(redactor)
        self.stream = stream
        self.pending: list[tuple[float, str, bytes, bytes, int, float, str]] = []
        self.prefix = f" INFO {ACCESS_LOGGER.name}: "
        self._second = -1
        self._stamp = ""

    def enabled(self) -> bool:
        return True

    def note(
        self, method: str, path: bytes, query: bytes, status: int, seconds: float, scenario: str
    ) -> None:
        self.pending.append((time.time(), method, path, query, status, seconds, scenario))
        if len(self.pending) == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop: write now
                self.flush()
        elif len(self.pending) >= MAX_PENDING:
            self.flush()

    def _asctime(self, when: float) -> str:
        """`2026-12-07 10:00:00,123`, as logging's default `%(asctime)s` writes it."""
        second = int(when)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((when - second) * 1000):03d}"

    def flush(self) -> None:
        """Write every pending line (also called once the server has stopped)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        line, prefix = self.line, self.prefix
        text = "".join(
            [
                f"{self._asctime(when)}{prefix}{line(method, path, query)} {status}"
                f" {seconds * 1000:.2f}ms scenario={scenario}\n"
                for when, method, path, query, status, seconds, scenario in pending
            ]
        )
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: the log is lost, not the server
            pass


def log_unhandled(exc: BaseException, scope: Scope, redactor: Redactor) -> None:
    """One ERROR line, the path masked, no traceback."""
    path = masked_text(raw_path(scope), redactor)
    ERROR_LOGGER.error("unhandled %s while answering %s", type(exc).__name__, path)
