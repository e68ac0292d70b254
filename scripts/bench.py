"""`make bench`: the kit's speed and its cost at scale, from 1,000 to 1,000,000 STOP entries.

First one table (the emulator under load, Stoplight Prism on the same spec, the client per
call against raw httpx, the in-process contract run), then one section per part at scale: the
client reading one list (raw, typed, iterate), the emulator starting with a big list, switching
scenario and against bare Starlette, the pytest plugin's start-up cost in an app's venv, and
the contract runner's run, replay and compare per size and per request against stock `st run`.

Figures, not assertions: speed is measured here, never asserted in tests. Everything runs on
loopback, each step under its own deadline (about 15 minutes with the defaults on 2 cores);
the figures also go to build/bench.json. `BENCH_SECONDS` sets the seconds per load scenario
(2); `BENCH_QUICK=1` stops the scale sections at 100,000 entries and shortens the rounds.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from smspartner_emulator.process import EmulatorStartError, started_emulator

from scripts import bench_client, bench_contract, bench_emulator, bench_plugin
from scripts.loadgen import LoadResult, Target, run_load

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "smspartner.yaml"
PRISM = ROOT / "node_modules" / ".bin" / "prism"
OUTPUT = ROOT / "build" / "bench.json"
DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' token)
CONCURRENCIES = (1, 8, 32)
PRISM_CONCURRENCIES = (8, 32)
STARTUP_TIMEOUT = 30.0
ROUNDS = 5
QUIET = ("--log-level", "warning")
"""The emulator without its access log: a log line per request would be measured too."""


class BenchError(Exception):
    """A part of the benchmark could not run; the message is the one line printed."""


@dataclass
class Row:
    """One line of the table, and the raw figures kept in bench.json."""

    part: str
    scenario: str
    value: str
    detail: str
    figures: dict[str, float]


def scenarios(base: str) -> dict[str, Target]:
    """Success and error paths, JSON and XML, under one base URL (with or without /v1)."""
    return {
        "json ok": Target(f"{base}/stop-sms/list?apiKey={DEMO_KEY}", 200),
        "xml ok": Target(
            f"{base}/location/status?apiKey={DEMO_KEY}&token={DOCS_TOKEN}&_format=xml", 200
        ),
        "json error": Target(f"{base}/location/status?apiKey={DEMO_KEY}&token=unknown", 400),
        "xml error": Target(f"{base}/stop-sms/list?apiKey=wrong&_format=xml", 400),
    }


def load_row(part: str, scenario: str, result: LoadResult) -> Row:
    if result.failures:
        raise BenchError(
            f"{part} {scenario}: {result.failures} failed requests, first: "
            f"{result.first_failures[0]}"
        )
    return Row(
        part,
        scenario,
        f"{result.rps:,.0f} req/s",
        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.requests} requests",
        {
            "rps": result.rps,
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "requests": result.requests,
        },
    )


def emulator_rows(base: str, seconds: float) -> list[Row]:
    rows = []
    for concurrency in CONCURRENCIES:
        for name, target in scenarios(base).items():
            result = run_load([target], concurrency, seconds)
            rows.append(load_row("emulator", f"{name} c={concurrency}", result))
    return rows


def bench_startup() -> Row:
    """Time from exec to the `serving` line of `smspartner-emulator --port 0` (best of 3)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        with started_emulator(*QUIET):
            times.append(time.perf_counter() - start)
    best = min(times)
    return Row(
        "emulator",
        "start-up",
        f"{best * 1000:.0f} ms",
        "exec to URL line, best of 3",
        {"seconds": best},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def started_prism() -> Iterator[str]:
    """Stoplight Prism mocking the same spec on loopback (quiet, static examples)."""
    port = free_port()
    command = [
        str(PRISM),
        "mock",
        str(SPEC),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-d",
        "false",
        "-v",
        "error",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                httpx.get(f"{base}/stop-sms/list?apiKey={DEMO_KEY}", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("Prism did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_prism(measured: list[Row], seconds: float) -> list[Row]:
    """Prism on the same scenario: throughput, and how many times faster the emulator is."""
    if not PRISM.exists():
        return [Row("prism", "json ok", "not installed", "run `make setup` (node_modules)", {})]
    ours = {row.scenario: row.figures["rps"] for row in measured if "rps" in row.figures}
    rows = []
    with started_prism() as base:
        for concurrency in PRISM_CONCURRENCIES:
            result = run_load([scenarios(base)["json ok"]], concurrency, seconds)
            row = load_row("prism", f"json ok c={concurrency}", result)
            ratio = ours[f"json ok c={concurrency}"] / result.rps
            row.detail += f"; emulator/prism = {ratio:.1f}x"
            row.figures["emulator_ratio"] = ratio
            rows.append(row)
    return rows


def per_call(
    first: Callable[[], object], second: Callable[[], object], count: int
) -> tuple[float, float]:
    """Seconds per call of each, in alternating rounds, best round kept (less noise)."""
    for _ in range(min(50, count)):
        first()
        second()
    best = [float("inf"), float("inf")]
    size = max(1, count // ROUNDS)
    for _ in range(ROUNDS):
        for index, call in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(size):
                call()
            best[index] = min(best[index], (time.perf_counter() - start) / size)
    return best[0], best[1]


def client_rows(base: str, calls: int) -> list[Row]:
    """The generated client against raw httpx (same emulator, one keep-alive connection)."""
    from smspartner_client import AuthenticatedClient
    from smspartner_client.api.rentals import get_rental_status
    from smspartner_client.api.stops import list_stop_sms

    rows = []
    with (
        httpx.Client(base_url=base, params={"apiKey": DEMO_KEY}) as raw,
        AuthenticatedClient(base_url=base, api_key=DEMO_KEY) as client,
    ):
        cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            "stop list": (
                lambda: list_stop_sms.sync(client=client),
                lambda: raw.get("/stop-sms/list").json(),
            ),
            "rental status": (
                lambda: get_rental_status.sync(client=client, token=DOCS_TOKEN),
                lambda: raw.get("/location/status", params={"token": DOCS_TOKEN}).json(),
            ),
        }
        for name, (typed, plain) in cases.items():
            typed_s, raw_s = per_call(typed, plain, calls)
            ratio = typed_s / raw_s
            rows.append(
                Row(
                    "client",
                    name,
                    f"{ratio:.2f}x raw httpx",
                    f"{typed_s * 1e6:.0f} us/call vs {raw_s * 1e6:.0f} us/call, {calls} calls",
                    {"client_us": typed_s * 1e6, "raw_us": raw_s * 1e6, "ratio": ratio},
                )
            )
    return rows


def contract_rows() -> list[Row]:
    """The in-process contract run: its requests per second, and the checks' cost."""
    from smspartner_contract.cli import grade
    from smspartner_contract.model import Settings, Target
    from smspartner_contract.run import Runner
    from smspartner_emulator import create_app

    app = create_app(access_log=False)
    target = Target("http://127.0.0.1/v1", DEMO_KEY, DOCS_TOKEN, app=app)
    record = Runner(target, Settings(max_examples=50)).run()
    start = time.perf_counter()
    outcome = grade(record, record.target, None)
    checking = time.perf_counter() - start
    if outcome.exit_code != 0:
        raise BenchError("the contract run fails on the emulator: run `make contract`")
    rps = record.requests / record.seconds
    rows = [
        Row(
            "contract",
            "in-process run",
            f"{record.seconds:.1f} s + {checking:.1f} s checks",
            f"{record.requests} requests, {rps:,.0f} req/s, {outcome.checks} checks",
            {
                "seconds": record.seconds,
                "check_seconds": checking,
                "requests": record.requests,
                "rps": rps,
            },
        )
    ]
    return rows


def table(rows: list[Row]) -> str:
    names = ("part", "scenario", "value")
    widths = [max(len(name), *(len(getattr(row, name)) for row in rows)) for name in names]

    def line(cells: tuple[str, ...], detail: str) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "  " + detail

    body = [line((row.part, row.scenario, row.value), row.detail) for row in rows]
    header = line(names, "detail")
    return "\n".join([header, "-" * max(len(text) for text in [header, *body]), *body])


def run(seconds: float, calls: int) -> list[Row]:
    rows = [bench_startup()]
    with started_emulator(*QUIET) as emulator:
        rows += emulator_rows(emulator.url, seconds)
        rows += client_rows(emulator.url, calls)
    rows += bench_prism(rows, seconds)
    rows += contract_rows()
    return rows


@dataclass
class Section:
    """One part measured at scale: its title, its markdown table, its raw figures."""

    title: str
    table: str
    figures: Any


SCALE = (1_000, 10_000, 100_000, 1_000_000)
CONTRACT_SCALE = (1_000, 10_000, 100_000, 300_000, 1_000_000)
"""The runner's series adds 300,000 entries: the live run whose recording is about 64 MiB, the
size the replay target is set at (60 s, 1 GB)."""
SCALE_QUICK = (1_000, 10_000, 100_000)
SCALE_ERRORS = (
    bench_client.BenchError,
    bench_contract.BenchError,
    bench_plugin.BenchPluginError,
    RuntimeError,
    ValueError,
    OSError,
    subprocess.TimeoutExpired,
)
"""What the scale sections raise when a measurement cannot be made (the emulator's bench has
no error type of its own: RuntimeError); each is printed as one line."""


def sections(quick: bool) -> Iterator[Section]:
    """Each part at 1,000 to 1,000,000 STOP entries (100,000 when quick), one after the other
    (a measurement running beside another would measure both)."""
    sizes = SCALE_QUICK if quick else SCALE
    client = bench_client.run((sizes[0], sizes[-1]))
    yield Section(
        "Client: one STOP list read (seconds, peak RSS MiB, growth per 10x)",
        bench_client.report(client),
        [asdict(m) for m in client],
    )
    starts = bench_emulator.start_series(sizes)
    yield Section(
        "Emulator: start-up with a big STOP list",
        bench_emulator.start_table(starts),
        [asdict(f) for f in starts],
    )
    delay = bench_emulator.scenario_delay(sizes[-1])
    yield Section(
        f"Emulator: a scenario switch on a {sizes[-1]:,}-entry list",
        bench_emulator.scenario_table(delay),
        asdict(delay),
    )
    load = bench_emulator.throughput(seconds=2.0 if quick else 5.0, rounds=3 if quick else 5)
    yield Section(
        "Emulator: throughput against bare Starlette",
        bench_emulator.throughput_table(load),
        asdict(load),
    )
    with tempfile.TemporaryDirectory(prefix="bench-plugin-venv-") as scratch:
        cost = bench_plugin.plugin_start_cost(bench_plugin.app_venv(Path(scratch)))
    yield Section(
        "Pytest plugin: start-up cost in an app's test venv",
        bench_plugin.cost_table(cost),
        asdict(cost) | {"added": cost.added},
    )
    steps = bench_contract.scale_series(SCALE_QUICK if quick else CONTRACT_SCALE)
    yield Section(
        "Contract runner: a live run, its replay and compare, per size",
        bench_contract.scale_table(steps),
        [asdict(step) for step in steps],
    )
    figure = bench_contract.per_request()
    yield Section(
        "Contract runner: per request, against stock `st run`",
        bench_contract.per_request_table(figure),
        asdict(figure) | {"ratio": figure.ratio},
    )


def write_json(rows: list[Row], parts: list[Section], seconds: float) -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "seconds_per_scenario": seconds,
        "rows": [asdict(row) for row in rows],
        "sections": [asdict(part) for part in parts],
    }
    OUTPUT.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    try:
        seconds = float(os.environ.get("BENCH_SECONDS", "2"))
        calls = int(os.environ.get("BENCH_CLIENT_CALLS", "500"))
        if seconds <= 0 or calls <= 0:
            raise ValueError
    except ValueError:
        print(
            "bench: BENCH_SECONDS and BENCH_CLIENT_CALLS must be positive numbers", file=sys.stderr
        )
        return 2
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    try:
        rows = run(seconds, calls)
        print(table(rows), flush=True)
        parts = []
        for part in sections(quick):
            print(f"\n## {part.title}\n\n{part.table}", flush=True)
            parts.append(part)
    except (BenchError, EmulatorStartError, *SCALE_ERRORS) as exc:
        line = str(exc).strip().splitlines()
        print(f"bench: {line[0] if line else type(exc).__name__}", file=sys.stderr)
        return 1
    write_json(rows, parts, seconds)
    print(f"\nfigures written to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
