"""The client on a big STOP list: 1,000 to 1,000,000 entries, typed, raw and streamed.

    python -m scripts.bench_client                    # 1,000 / 10,000 / 100,000 / 1,000,000
    python -m scripts.bench_client --sizes 1000 10000 # fewer
    python -m scripts.bench_client --json out.json    # the figures too

For each size, a plain Starlette app served by uvicorn on 127.0.0.1 (a child process, not the
emulator) answers the list's JSON, built once at its start (entries of ~80 bytes: an id, a
number in the unassigned country code +999, a date). Each measurement then runs in its own
child process, so that its peak RSS is its own (`ru_maxrss`, the interpreter included):

- `raw`: `httpx.get(url).json()`, what the typed client is compared with;
- `typed`: `list_stop_sms.sync(client=...)` with the client's default settings (the list of
  `StopEntry` models, every JSON type checked);
- `iterate`: `list_stop_sms.iterate(client=...)`, the entries one by one, counted and dropped.

The time is the call's only, after one untimed call of the same (imports, the interpreter's
start, the connection and first-use work left out); with `--repeat N`
each measurement runs N times (each in its own process) and the table keeps the fastest time
and the largest peak RSS, the kinds taking turns so that a busy machine slows them alike. The
table gives, per size, each kind's seconds and peak RSS, the growth factor of the time per 10x
entries (10 is linear), and typed/raw. `make bench` calls `run()` and `report()`; figures,
not assertions.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000, 100_000, 1_000_000)
KINDS = ("raw", "typed", "iterate")
API_KEY = "bench-api-key"
START_TIMEOUT = 120.0
"""Seconds the list server may take to build a million entries and listen."""
MEASURE_TIMEOUT = 600.0
PATH = "/v1/stop-sms/list"


class BenchError(Exception):
    """A measurement could not run; the message is the one line printed."""


@dataclass
class Measurement:
    kind: str
    entries: int
    seconds: float
    peak_rss_mib: float
    count: int


def stop_list_body(entries: int) -> bytes:
    """The JSON of a STOP list of `entries` entries (deterministic, fictional numbers)."""
    data = [
        {"id": index + 1, "phoneNumber": f"+999{index:09d}", "createdAt": "2015-07-20 10:19:45"}
        for index in range(entries)
    ]
    answer = {"success": True, "code": 200, "nbData": entries, "data": data}
    return json.dumps(answer, separators=(",", ":")).encode()


# ---- the list server (child process) ---------------------------------------------------------


def _serve(entries: int) -> None:
    """Serve the list on a free loopback port; print its base URL, then serve until killed."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = stop_list_body(entries)

    async def stop_list(request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route(PATH, stop_list)])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # connections wait in the backlog until uvicorn serves
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    server.run(sockets=[listener])


@contextmanager
def list_server(entries: int) -> Iterator[str]:
    """A child process serving a list of `entries`; yields its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench_client", "--serve", str(entries)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = _first_line(child, START_TIMEOUT)
        if not line.startswith("http://"):
            raise BenchError(f"the list server of {entries} entries did not start")
        yield line.strip()
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _first_line(child: subprocess.Popen[str], timeout: float) -> str:
    import selectors

    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return child.stdout.readline()


# ---- one measurement (child process) ----------------------------------------------------------


def _measure(kind: str, base_url: str) -> dict[str, float]:
    """One timed call of `kind`, after one untimed call of the same (the connection open and
    what each side builds on first use built: the steady cost of a call is measured)."""
    import httpx
    from smspartner_client import AuthenticatedClient
    from smspartner_client.api.stops import list_stop_sms

    if kind == "raw":
        with httpx.Client(timeout=60.0) as http:

            def call() -> int:
                answer = http.get(f"{base_url}/stop-sms/list", params={"apiKey": API_KEY}).json()
                return len(answer["data"])

            count, seconds = _timed(call)
    else:
        with AuthenticatedClient(base_url=base_url, api_key=API_KEY) as client:

            def call() -> int:
                if kind == "typed":
                    return len(list_stop_sms.sync(client=client).data)
                return sum(1 for _ in list_stop_sms.iterate(client=client))

            count, seconds = _timed(call)
    return {"seconds": seconds, "peak_rss_mib": _peak_rss_kib() / 1024, "count": count}


def _peak_rss_kib() -> int:
    """This process's peak RSS since its exec (Linux's VmHWM). `ru_maxrss` also counts the
    pages of the parent it was forked from, before the exec: the bench's own hundreds of MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _timed(call: Callable[[], int]) -> tuple[int, float]:
    call()
    gc.collect()
    start = time.perf_counter()
    count = call()
    return count, time.perf_counter() - start


def measure(kind: str, base_url: str, entries: int) -> Measurement:
    """One measurement of `kind` in a fresh child process."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "scripts.bench_client", "--measure", kind, base_url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=MEASURE_TIMEOUT,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    except subprocess.TimeoutExpired:
        raise BenchError(
            f"{kind} at {entries:,} entries took more than {MEASURE_TIMEOUT:g} s"
        ) from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"{kind} at {entries:,} entries failed: {last}")
    figures = json.loads(result.stdout)
    if figures["count"] != entries:
        raise BenchError(f"{kind} at {entries:,} entries read {figures['count']:,} entries")
    return Measurement(kind, entries, figures["seconds"], figures["peak_rss_mib"], figures["count"])


def run(
    sizes: Sequence[int] = SIZES, kinds: Sequence[str] = KINDS, repeat: int = 1
) -> list[Measurement]:
    """Every kind at every size (one list server per size), `repeat` times in turns; the
    fastest time and the largest peak RSS of each."""
    measurements: list[Measurement] = []
    for entries in sizes:
        with list_server(entries) as base_url:
            rounds = [[measure(kind, base_url, entries) for kind in kinds] for _ in range(repeat)]
        for runs in zip(*rounds, strict=True):
            best = min(runs, key=lambda m: m.seconds)
            best.peak_rss_mib = max(m.peak_rss_mib for m in runs)
            measurements.append(best)
    return measurements


def report(measurements: Sequence[Measurement]) -> str:
    """The table: per size, each kind's time and peak RSS, growth per 10x, typed/raw."""
    by = {(m.kind, m.entries): m for m in measurements}
    sizes = sorted({m.entries for m in measurements})
    kinds = [kind for kind in KINDS if any(m.kind == kind for m in measurements)]
    header = ["entries"]
    for kind in kinds:
        header += [f"{kind} s", f"{kind} MiB", f"{kind} x10"]
    header.append("typed/raw")
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for index, entries in enumerate(sizes):
        cells = [f"{entries:,}"]
        for kind in kinds:
            m = by.get((kind, entries))
            if m is None:
                cells += ["-", "-", "-"]
                continue
            previous = by.get((kind, sizes[index - 1])) if index else None
            growth = "-"
            if previous is not None and entries == 10 * previous.entries and previous.seconds:
                growth = f"{m.seconds / previous.seconds:.1f}"
            cells += [f"{m.seconds:.3f}", f"{m.peak_rss_mib:.0f}", growth]
        raw, typed = by.get(("raw", entries)), by.get(("typed", entries))
        cells.append(f"{typed.seconds / raw.seconds:.2f}" if raw and typed and raw.seconds else "-")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="list sizes")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="what")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (best)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        _serve(args.serve)
        return 0
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return 0
    try:
        measurements = run(args.sizes, args.kinds, max(1, args.repeat))
    except BenchError as exc:
        print(f"bench_client: {exc}", file=sys.stderr)
        return 1
    print(report(measurements))
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in measurements], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
