"""`make bench`, the contract runner's part: its cost at scale, and per request against stock
`st run`.

- **Scale series**: a live run (the probe plan) against the emulator's synthetic STOP list of
  1,000 / 10,000 / 100,000 entries (`--stop-list-size`), then a replay of its recording and a
  comparison with the recording of the size before: seconds and peak RSS of each, in a fresh
  process, with the growth factor per 10x. `make bench` adds 300,000 (a recording of about
  64 MiB, the replay target's size) and the million (its run reads about 190 MB of answers and
  takes minutes); alone, this script stops at 100,000 unless `--sizes` says otherwise.
- **Per request**: a full run (`smspartner-contract run`, seed 1, the rental token set) and
  stock `st run` (the same spec, emulator and seed; every check but `ignored_auth` and
  `positive_data_acceptance`, `--continue-on-failure`), wall time per request, same session.

Figures, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smspartner_emulator.process import started_emulator

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "smspartner.yaml"
SIZES = (1_000, 10_000, 100_000)
BASE = 0
"""The size the fixed cost is measured at: the emulator's built-in list (4 entries). The growth
per 10x is read on the cost above it (a live run keeps a pace of 2 requests a second: 11
requests cost 5 s at any size)."""
CONTRACT = Path(sys.executable).parent / "smspartner-contract"
STOCK = Path(sys.executable).parent / "st"
TIMEOUT = 1800
QUIET = ("--log-level", "warning")


class BenchError(Exception):
    """A measurement could not be made; the message is one line."""


@dataclass
class Step:
    """One command at one size: what it cost."""

    step: str
    entries: int
    seconds: float
    peak_rss_mib: float
    cassette_mib: float = 0.0
    """The size of the recording the step wrote (run) or read (replay, compare: the newer)."""


_LAUNCHER = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs a command and writes its peak RSS (KiB). The command is spawned from this small
process, not from the bench: a child's `ru_maxrss` also counts the RSS of the process it was
forked from, before its exec (the bench holds hundreds of MB by then)."""


def _timed(command: Sequence[str], cwd: Path, env: dict[str, str], allowed: set[int]) -> Step:
    """Run `command`; its wall time and its own peak RSS."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="bench-rss-") as scratch,
    ):
        peak = Path(scratch) / "peak"
        launcher = [sys.executable, "-c", _LAUNCHER, str(peak), *command]
        start = time.perf_counter()
        child = subprocess.Popen(
            launcher, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True
        )
        try:
            returncode = child.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise BenchError(f"{' '.join(command[1:3])} took more than {TIMEOUT} s") from None
        seconds = time.perf_counter() - start
        if returncode not in allowed:
            err.seek(0)
            last = err.read().decode("utf-8", "replace").strip().splitlines() or ["no output"]
            raise BenchError(f"{' '.join(command[1:3])} exited {returncode}: {last[-1]}")
        peak_kib = int(peak.read_text("ascii"))
    return Step(Path(command[1]).name, 0, seconds, peak_kib / 1024)


def _clean_env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    env.update(more)
    return env


def scale_series(sizes: Sequence[int] = SIZES) -> list[Step]:
    """run, replay and compare at every size (each in its own process, one after the other:
    a child's peak RSS is read once it ended)."""
    steps: list[Step] = []
    previous: Path | None = None
    with tempfile.TemporaryDirectory(prefix="bench-contract-") as scratch:
        for entries in (BASE, *sizes):
            where = Path(scratch) / str(entries)
            where.mkdir()
            size = ("--stop-list-size", str(entries)) if entries else ()
            with started_emulator(*QUIET, *size) as emulator:
                from smspartner_emulator import default_fixtures

                fixtures = default_fixtures()
                env = _clean_env(
                    SMSPARTNER_BASE_URL=emulator.url,
                    SMSPARTNER_API_KEY=fixtures.api_keys[0],
                    SMSPARTNER_RENTAL_TOKEN=fixtures.rentals[-1].token,
                    SMSPARTNER_CONTRACT_MODE="live",
                )
                run = _timed([str(CONTRACT), "run"], where, env, {0})
            cassette = where / "build" / "contract" / "cassette.yaml"
            replay = _timed([str(CONTRACT), "replay", str(cassette)], where, _clean_env(), {0})
            mib = cassette.stat().st_size / 2**20
            steps += [Step("run", entries, run.seconds, run.peak_rss_mib, mib)]
            steps += [Step("replay", entries, replay.seconds, replay.peak_rss_mib, mib)]
            if previous is not None and entries:
                compared = _timed(
                    [str(CONTRACT), "compare", str(previous), str(cassette)],
                    where,
                    _clean_env(),
                    {0, 1},
                )
                steps.append(Step("compare", entries, compared.seconds, compared.peak_rss_mib, mib))
            previous = cassette
    return steps


def scale_table(steps: Sequence[Step]) -> str:
    """Seconds and peak RSS per step and size; growth per 10x of the cost above the fixed
    cost (the step at the built-in 4-entry list)."""
    kinds = ["run", "replay", "compare"]
    sizes = sorted({s.entries for s in steps if s.entries})
    by = {(s.step, s.entries): s for s in steps}
    header = ["entries", "cassette MiB"]
    for kind in kinds:
        header += [f"{kind} s", f"{kind} MiB", f"{kind} x10"]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for kind in ("run", "replay"):
        base = by.get((kind, BASE))
        if base is not None:
            lines.append(
                f"4 (built-in) | {base.cassette_mib:.2f} | {base.seconds:.2f} | "
                f"{base.peak_rss_mib:.0f} | -"
            )
            break
    for entries in sizes:
        written = by.get(("run", entries))
        cells = [f"{entries:,}", f"{written.cassette_mib:.1f}" if written else "-"]
        for kind in kinds:
            step = by.get((kind, entries))
            before = by.get((kind, entries // 10))
            fixed = by.get((kind, BASE))
            if step is None:
                cells += ["-", "-", "-"]
                continue
            growth = "-"
            if before:
                offset = fixed.seconds if fixed else 0.0
                above, below = step.seconds - offset, before.seconds - offset
                growth = f"{above / below:.1f}" if below > 0 else "-"
            cells += [f"{step.seconds:.2f}", f"{step.peak_rss_mib:.0f}", growth]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


@dataclass
class PerRequest:
    """A full contract run and stock `st run`, same emulator and seed."""

    ours_seconds: float
    ours_requests: int
    stock_seconds: float
    stock_cases: int

    @property
    def ratio(self) -> float:
        ours = self.ours_seconds / self.ours_requests
        return ours / (self.stock_seconds / self.stock_cases)


def per_request(seed: int = 1) -> PerRequest:
    """Wall time per request of both, in the same session against the same emulator."""
    from smspartner_emulator import default_fixtures

    fixtures = default_fixtures()
    key, token = fixtures.api_keys[0], fixtures.rentals[-1].token
    with (
        tempfile.TemporaryDirectory(prefix="bench-stock-") as scratch,
        started_emulator(*QUIET) as emulator,
    ):
        where = Path(scratch)
        config = where / "schemathesis.toml"
        config.write_text('[auth.openapi.apiKey]\napi_key = "${SMSPARTNER_API_KEY}"\n', "utf-8")
        env = _clean_env(SMSPARTNER_API_KEY=key)
        start = time.perf_counter()
        stock = subprocess.run(
            [
                str(STOCK),
                "--config-file",
                str(config),
                "run",
                str(SPEC),
                "--url",
                emulator.url,
                "--seed",
                str(seed),
                "--exclude-checks",
                "ignored_auth,positive_data_acceptance",
                "--continue-on-failure",
                "-w",
                "1",
            ],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        stock_seconds = time.perf_counter() - start
        cases = re.search(r"(\d+) generated", stock.stdout)
        if cases is None:
            raise BenchError("stock st run printed no case count")
        ours_env = _clean_env(
            SMSPARTNER_BASE_URL=emulator.url,
            SMSPARTNER_API_KEY=key,
            SMSPARTNER_RENTAL_TOKEN=token,
            SMSPARTNER_CONTRACT_SEED=str(seed),
        )
        start = time.perf_counter()
        ours = subprocess.run(
            [str(CONTRACT), "run"], cwd=where, env=ours_env, capture_output=True, text=True,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
        ours_seconds = time.perf_counter() - start
        if ours.returncode != 0:
            raise BenchError(f"the full run exited {ours.returncode}: {ours.stderr.strip()}")
        report = json.loads((where / "build" / "contract" / "report.json").read_text("utf-8"))
    return PerRequest(ours_seconds, int(report["requests"]), stock_seconds, int(cases.group(1)))


def per_request_table(figure: PerRequest) -> str:
    ours = figure.ours_seconds / figure.ours_requests * 1000
    stock = figure.stock_seconds / figure.stock_cases * 1000
    return "\n".join(
        [
            "what | requests | wall s | ms per request",
            "--- | --- | --- | ---",
            f"smspartner-contract run (full) | {figure.ours_requests} | "
            f"{figure.ours_seconds:.1f} | {ours:.1f}",
            f"stock st run | {figure.stock_cases} | {figure.stock_seconds:.1f} | {stock:.1f}",
            f"ratio per request | | | {figure.ratio:.2f}x",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    try:
        print(scale_table(scale_series(args.sizes)))
        print()
        print(per_request_table(per_request()))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
