"""Emulator figures for `make bench`: start-up by stop-list size, and throughput vs bare Starlette.

Functions the bench calls (each starts and stops its own processes on 127.0.0.1):

- `start_series(sizes, sources)`: for each size and source (`file`: a fixtures YAML file of
  that many entries; `synthetic`: `--stop-list-size N`), the seconds from exec to the
  `serving` line, to the whole JSON stop list received, to the whole XML one, and the child's
  memory then (RSS and peak RSS, MiB).
- `scenario_delay(size, scenario)`: with a synthetic list of `size` entries, one client names
  a new scenario that changes the list (its answers are built then, in a worker thread) while
  another sends small requests one after the other: how long the build took, how many small
  answers came meanwhile, and their slowest and median latency.
- `throughput(seconds, connections, rounds)`: requests per second of the emulator with its
  default log settings (access log on, written to a file as stderr would be), with
  `--log-level warning` (no access log), and of a bare Starlette route serving the same bytes
  on the same uvicorn (uvloop, httptools), the three interleaved round by round, on the
  documented four-entry stop list. Ratios are per round, then the median. Load from `wrk`
  when installed (32 connections, one thread), else `scripts.loadgen`.

`python -m scripts.bench_emulator [--quick]` prints both tables (`--quick`: sizes up to
100,000, shorter rounds). Figures, not assertions: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from smspartner_emulator.cli import ANNOUNCE
from smspartner_emulator.process import started_emulator, started_server

from scripts.loadgen import Target, run_load

SIZES = (1_000, 10_000, 100_000, 1_000_000)
SOURCES = ("file", "synthetic")
DEMO_KEY = "demo-api-key"
CONNECTIONS = 32
IDLE_REQUESTS = 1000
START_TIMEOUT = 180.0
"""A 1,000,000-entry fixtures file takes about 20 s to read here; a margin for slow machines."""
READ_TIMEOUT = 120.0
_WRK_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_WRK_COUNT = re.compile(r"([0-9]+) requests in")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class StartFigure:
    """Start-up of the emulator with a stop list of `size` entries from `source`."""

    size: int
    source: str
    serving_seconds: float
    """Exec to the `serving` line (every answer of the documented behaviour built)."""
    json_seconds: float
    """Exec to the whole JSON stop list received."""
    xml_seconds: float
    """Exec to the whole XML stop list received (after the JSON one)."""
    json_bytes: int
    xml_bytes: int
    rss_mib: float
    peak_rss_mib: float
    file_bytes: int = 0


@dataclass(frozen=True)
class Throughput:
    """Requests per second, medians over the rounds, and the per-round ratios' medians."""

    bare_rps: float
    log_on_rps: float
    log_off_rps: float
    ratio_log_on: float
    """Emulator with its default logs / bare Starlette, median of the per-round ratios."""
    ratio_log_off: float
    log_cost: float
    """1 - (log on / log off): the share of throughput the access log costs."""
    rounds: int
    seconds: float
    connections: int
    tool: str
    bare_cpu_us: float = 0.0
    """Server CPU time per request (user + system), medians: steadier than requests per
    second on a shared machine."""
    log_on_cpu_us: float = 0.0
    log_off_cpu_us: float = 0.0


# ---- start-up -------------------------------------------------------------------------------


def write_fixtures(path: Path, size: int) -> int:
    """A fixtures file of `size` entries (numbers `+999...`, nobody's); its size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        out.write('api_keys:\n  - "demo-api-key"\nrentals: []\nstop_list:\n')
        for start in range(0, size, 10_000):
            out.write(
                "".join(
                    f'  - id: {index + 1}\n    phoneNumber: "+999{index:010d}"\n'
                    f'    createdAt: "2020-01-01 00:00:00"\n'
                    for index in range(start, min(size, start + 10_000))
                )
            )
    return path.stat().st_size


def _memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) of a process in MiB, from /proc (0 where it cannot be read)."""
    found = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in found:
                found[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return found["VmRSS"], found["VmHWM"]


def start_figure(size: int, source: str, scratch: Path) -> StartFigure:
    """Start the emulator with `size` entries from `source`, read both lists, measure."""
    file_bytes = 0
    if source == "file":
        fixtures = scratch / f"fixtures-{size}.yaml"
        file_bytes = write_fixtures(fixtures, size)
        args: tuple[str, ...] = ("--fixtures", str(fixtures))
    elif source == "synthetic":
        args = ("--stop-list-size", str(size))
    else:
        raise ValueError(f"unknown source {source!r} (expected file or synthetic)")
    start = time.perf_counter()
    with started_emulator(*args, "--log-level", "warning", startup_timeout=START_TIMEOUT) as emu:
        serving = time.perf_counter() - start
        with httpx.Client(timeout=READ_TIMEOUT) as http:
            as_json = http.get(f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY})
            json_seconds = time.perf_counter() - start
            as_xml = http.get(
                f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY, "_format": "xml"}
            )
            xml_seconds = time.perf_counter() - start
        rss, peak = _memory_mib(emu.pid)
    if as_json.status_code != 200 or as_xml.status_code != 200:
        raise RuntimeError(f"stop list of {size} ({source}): HTTP {as_json.status_code}")
    return StartFigure(
        size=size,
        source=source,
        serving_seconds=serving,
        json_seconds=json_seconds,
        xml_seconds=xml_seconds,
        json_bytes=len(as_json.content),
        xml_bytes=len(as_xml.content),
        rss_mib=rss,
        peak_rss_mib=peak,
        file_bytes=file_bytes,
    )


def start_series(
    sizes: Sequence[int] = SIZES, sources: Sequence[str] = SOURCES
) -> list[StartFigure]:
    """`start_figure` for every size and source, smallest first."""
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as scratch:
        return [start_figure(size, source, Path(scratch)) for size in sizes for source in sources]


# ---- a new scenario while others are served ---------------------------------------------


@dataclass(frozen=True)
class ScenarioDelay:
    """Small answers to one client while another's new scenario is built."""

    size: int
    scenario: str
    build_seconds: float
    """The scenario's first request, answer read (build included)."""
    answered: int
    max_ms: float
    median_ms: float
    idle_max_ms: float = 0.0
    """The same small requests just before, with nothing being built: the machine's own
    noise (a shared machine's scheduler alone can delay an answer by tens of ms)."""
    idle_median_ms: float = 0.0


def scenario_delay(size: int = 1_000_000, scenario: str = "field_renamed") -> ScenarioDelay:
    """Latency of small answers while a new scenario's answers for `size` entries are built."""
    import threading

    latencies: list[float] = []
    with started_emulator(
        "--stop-list-size", str(size), "--log-level", "warning", startup_timeout=START_TIMEOUT
    ) as emu:
        done = threading.Event()
        took: list[float] = []

        port = int(emu.url.rsplit(":", 1)[1].split("/")[0])

        def name_the_scenario() -> None:
            # A raw socket that mostly waits in recv(): this process's own work must not
            # delay the small requests it times (an httpx client would parse 80 MB here).
            try:
                start = time.perf_counter()
                with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as raw:
                    raw.sendall(
                        f"GET /v1/stop-sms/list?apiKey={DEMO_KEY} HTTP/1.1\r\n"
                        f"Host: 127.0.0.1\r\nPrefer: scenario={scenario}\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
                    buffer = bytearray(1 << 20)
                    first = raw.recv_into(buffer)
                    status = bytes(buffer[9:12])
                    while first and raw.recv_into(buffer):
                        pass
                took.append(time.perf_counter() - start)
                if status != b"200":
                    took.append(-1.0)
            finally:  # a timeout or a reset ends the measurement too (took stays empty)
                done.set()

        with httpx.Client(timeout=READ_TIMEOUT) as http:
            small = f"{emu.url}/stop-sms/list"
            http.get(small, params={"apiKey": "wrong"})  # connected and warm
            idle: list[float] = []
            for _ in range(IDLE_REQUESTS):
                start = time.perf_counter()
                http.get(small, params={"apiKey": "wrong"})
                idle.append(time.perf_counter() - start)
            worker = threading.Thread(target=name_the_scenario)
            worker.start()
            while not done.is_set() and worker.is_alive():
                start = time.perf_counter()
                http.get(small, params={"apiKey": "wrong"})
                latencies.append(time.perf_counter() - start)
            worker.join()
    if len(took) != 1:
        raise RuntimeError(f"the scenario {scenario!r} was not answered with HTTP 200")
    return ScenarioDelay(
        size=size,
        scenario=scenario,
        build_seconds=took[0],
        answered=len(latencies),
        max_ms=max(latencies, default=0.0) * 1000,
        median_ms=statistics.median(latencies or [0.0]) * 1000,
        idle_max_ms=max(idle) * 1000,
        idle_median_ms=statistics.median(idle) * 1000,
    )


def scenario_table(figure: ScenarioDelay) -> str:
    return (
        f"new scenario {figure.scenario!r} on {figure.size:,} entries: answered in"
        f" {figure.build_seconds:.2f} s; meanwhile {figure.answered} small answers to another"
        f" client, slowest {figure.max_ms:.1f} ms, median {figure.median_ms:.1f} ms (with"
        f" nothing built: slowest {figure.idle_max_ms:.1f} ms, median"
        f" {figure.idle_median_ms:.1f} ms)"
    )


# ---- throughput -----------------------------------------------------------------------------


def serve_bare(body_file: str) -> None:
    """A bare Starlette route serving `body_file`'s bytes at the emulator's path (a child)."""
    import uvicorn
    from smspartner_emulator.lifeline import exit_with_parent
    from smspartner_emulator.server import bind
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(body_file).read_bytes()

    async def stop_list(request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/v1/stop-sms/list", stop_list)])
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    exit_with_parent()
    print(f"{ANNOUNCE}http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    server.run(sockets=[sock])


@contextmanager
def bare_starlette(body: bytes) -> Iterator[tuple[str, int]]:
    """`serve_bare` in a child process; yields its base URL and its pid."""
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(body)
        handle.flush()
        command = [sys.executable, "-m", "scripts.bench_emulator", "--bare-server", handle.name]
        with started_server(command, cwd=str(Path(__file__).parent.parent)) as bare:
            yield bare.url, bare.pid


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 where /proc cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


@dataclass(frozen=True)
class Load:
    rps: float
    requests: int
    tool: str


def load(url: str, seconds: float, connections: int = CONNECTIONS) -> Load:
    """Requests per second on `url` (wrk when installed, else scripts.loadgen)."""
    wrk = shutil.which("wrk")
    if wrk is not None:
        done = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        found = _WRK_RATE.search(done.stdout)
        count = _WRK_COUNT.search(done.stdout)
        if found is None or count is None or "Non-2xx" in done.stdout:
            raise RuntimeError(f"wrk: unexpected output: {done.stdout.strip()[-300:]}")
        return Load(float(found.group(1)), int(count.group(1)), "wrk")
    result = run_load([Target(url, 200)], connections, seconds)
    if result.failures:
        raise RuntimeError(f"load: {result.first_failures[:1]}")
    return Load(result.rps, result.requests, "loadgen")


def throughput(seconds: float = 5.0, connections: int = CONNECTIONS, rounds: int = 3) -> Throughput:
    """The emulator (access log on, and off) against a bare Starlette route, interleaved."""
    query = f"/stop-sms/list?apiKey={DEMO_KEY}"
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as scratch:
        log = Path(scratch) / "access.log"
        with (
            log.open("w") as stderr,
            started_emulator(stderr=stderr) as on,
            started_emulator("--log-level", "warning") as off,
        ):
            body = httpx.get(on.url + query).content
            with bare_starlette(body) as (bare, bare_pid):
                urls = {"bare": bare + query, "on": on.url + query, "off": off.url + query}
                pids = {"bare": bare_pid, "on": on.pid, "off": off.pid}
                for url in urls.values():  # warm up, and check the same bytes come back
                    if httpx.get(url).content != body:
                        raise RuntimeError(f"{url}: not the same bytes")
                    load(url, 1.0, connections)
                rates: dict[str, list[float]] = {name: [] for name in urls}
                cpu: dict[str, list[float]] = {name: [] for name in urls}
                tool = ""
                for _ in range(rounds):
                    for name, url in urls.items():
                        before = cpu_seconds(pids[name])
                        done = load(url, seconds, connections)
                        used = cpu_seconds(pids[name]) - before
                        rates[name].append(done.rps)
                        cpu[name].append(used / max(1, done.requests) * 1e6)
                        tool = done.tool
        logged_lines = sum(1 for _ in log.open())

    def ratio(name: str, against: str) -> float:
        return statistics.median(
            mine / theirs for mine, theirs in zip(rates[name], rates[against], strict=True)
        )

    if logged_lines == 0:
        raise RuntimeError("the emulator with its default settings wrote no access log")
    return Throughput(
        bare_rps=statistics.median(rates["bare"]),
        log_on_rps=statistics.median(rates["on"]),
        log_off_rps=statistics.median(rates["off"]),
        ratio_log_on=ratio("on", "bare"),
        ratio_log_off=ratio("off", "bare"),
        log_cost=1 - ratio("on", "off"),
        rounds=rounds,
        seconds=seconds,
        connections=connections,
        tool=tool,
        bare_cpu_us=statistics.median(cpu["bare"]),
        log_on_cpu_us=statistics.median(cpu["on"]),
        log_off_cpu_us=statistics.median(cpu["off"]),
    )


# ---- tables ---------------------------------------------------------------------------------


def start_table(figures: Sequence[StartFigure]) -> str:
    lines = [
        f"{'entries':>9}  {'source':<9}  {'serving':>8}  {'json':>8}  {'xml':>8}"
        f"  {'rss MiB':>8}  {'peak MiB':>8}  {'x per 10x':>9}"
    ]
    previous: dict[str, StartFigure] = {}
    for figure in figures:
        before = previous.get(figure.source)
        growth = (
            f"{figure.json_seconds / before.json_seconds:9.1f}"
            if before and before.size * 10 == figure.size and before.json_seconds > 0
            else f"{'':>9}"
        )
        lines.append(
            f"{figure.size:>9,}  {figure.source:<9}  {figure.serving_seconds:7.2f}s"
            f"  {figure.json_seconds:7.2f}s  {figure.xml_seconds:7.2f}s"
            f"  {figure.rss_mib:8.0f}  {figure.peak_rss_mib:8.0f}  {growth}"
        )
        previous[figure.source] = figure
    return "\n".join(lines)


def throughput_table(figures: Throughput) -> str:
    return "\n".join(
        [
            f"bare Starlette route      {figures.bare_rps:8.0f} req/s",
            f"emulator, default logs    {figures.log_on_rps:8.0f} req/s"
            f"  ratio {figures.ratio_log_on:.2f}x",
            f"emulator, --log-level warning {figures.log_off_rps:4.0f} req/s"
            f"  ratio {figures.ratio_log_off:.2f}x",
            f"access log cost           {figures.log_cost * 100:7.1f} %",
            f"server CPU per request: bare {figures.bare_cpu_us:.0f} us, emulator"
            f" {figures.log_on_cpu_us:.0f} us (log on), {figures.log_off_cpu_us:.0f} us (off):"
            f" ratios {figures.bare_cpu_us / max(figures.log_on_cpu_us, 1e-9):.2f}x,"
            f" {figures.bare_cpu_us / max(figures.log_off_cpu_us, 1e-9):.2f}x",
            f"({figures.tool}, {figures.connections} connections, {figures.rounds} rounds of"
            f" {figures.seconds:g} s, interleaved; ratios are medians of per-round ratios)",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_emulator")
    parser.add_argument("--quick", action="store_true", help="sizes up to 100,000, short rounds")
    parser.add_argument("--bare-server", metavar="BODY", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        serve_bare(args.bare_server)
        return 0
    sizes = SIZES[:-1] if args.quick else SIZES
    print(start_table(start_series(sizes)), flush=True)
    print()
    print(scenario_table(scenario_delay(sizes[-1])), flush=True)
    print()
    quick = args.quick or os.environ.get("BENCH_SECONDS") == "1"
    print(throughput_table(throughput(seconds=2.0 if quick else 5.0, rounds=3 if quick else 5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
