"""A small HTTP/1.1 load generator for loopback servers.

Used by `make bench` (figures) and by the load test (correctness under load). It speaks
HTTP/1.1 over asyncio streams itself: an httpx AsyncClient costs about 1.5 ms of CPU per
request, which would measure the client rather than the server. The generator still shares
the machine with the server, so the figures are those of the pair.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import uvloop

REQUEST_TIMEOUT = 5.0
"""A request still unanswered this long after the end of a run counts as failed."""


@dataclass(frozen=True)
class Target:
    """A URL to GET and the answer expected: a status, and the exact body when given."""

    url: str
    status: int
    body: bytes | None = None


@dataclass
class LoadResult:
    """Outcome of one run: counts, throughput and latency percentiles (milliseconds)."""

    requests: int
    failures: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    first_failures: list[str] = field(default_factory=list)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


class _Connection:
    """One keep-alive connection: GET a path, return (status, body).

    Handles Content-Length, chunked and close-delimited bodies: enough for the emulator and
    for other mocks (Prism) that `make bench` loads the same way.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "User-Agent: smspartner-loadgen\r\nAccept: */*\r\n\r\n".encode("ascii")
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lines = head.lower().split(b"\r\n")
        length = next((int(line[15:]) for line in lines if line.startswith(b"content-length:")), -1)
        chunked = any(
            line.startswith(b"transfer-encoding:") and b"chunked" in line for line in lines
        )
        closing = any(line.startswith(b"connection:") and b"close" in line for line in lines)
        if chunked:
            body = await self._read_chunks(reader)
        elif length >= 0:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            closing = True
        if closing:
            self.close()
        return status, body

    @staticmethod
    async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


_TRANSPORT_FAILURES = (
    OSError,
    EOFError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ValueError,
)
_KEEP_FAILURES = 5


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


async def _load(targets: Sequence[Target], concurrency: int, duration: float) -> LoadResult:
    first = urlsplit(targets[0].url)
    host, port = first.hostname or "127.0.0.1", first.port or 80
    plan = [(_request_target(t.url), t) for t in targets]
    latencies: list[float] = []
    failures: list[str] = []
    lost = 0
    start = time.perf_counter()
    deadline = start + duration

    def fail(message: str) -> None:
        failures.append(message)

    async def worker(offset: int) -> None:
        connection = _Connection(host, port)
        turn = offset
        try:
            while time.perf_counter() < deadline:
                path, target = plan[turn % len(plan)]
                turn += 1
                sent = time.perf_counter()
                try:
                    status, body = await connection.get(path)
                except _TRANSPORT_FAILURES as exc:
                    connection.close()
                    fail(f"{path}: {type(exc).__name__} {exc}")
                    continue
                latencies.append(time.perf_counter() - sent)
                if status != target.status:
                    fail(f"{path}: status {status}, expected {target.status}")
                elif target.body is not None and body != target.body:
                    fail(f"{path}: unexpected body {body[:80]!r}")
        finally:
            connection.close()

    workers = [asyncio.ensure_future(worker(index)) for index in range(concurrency)]
    done, stuck = await asyncio.wait(workers, timeout=duration + REQUEST_TIMEOUT)
    for task in stuck:  # a request that never got its answer
        task.cancel()
        lost += 1
        fail("a request got no answer before the time limit")
    for task in done:
        task.result()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return LoadResult(
        requests=len(latencies) + lost,
        failures=len(failures),
        seconds=elapsed,
        rps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        first_failures=failures[:_KEEP_FAILURES],
    )


def run_load(targets: Sequence[Target], concurrency: int, duration: float) -> LoadResult:
    """GET the targets in turn from `concurrency` keep-alive connections for `duration` s.

    All targets must be on one host. A wrong status or body, a transport error or a request
    unanswered `REQUEST_TIMEOUT` s after the end counts as a failure; `rps` counts answers.
    """
    if not targets:
        raise ValueError("run_load needs at least one target")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_load(targets, concurrency, duration))
