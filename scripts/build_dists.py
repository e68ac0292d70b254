"""`make dist`: build the kit's three distributions and check them, with no network.

    python -m scripts.build_dists [--outdir build/dist] [--no-check]

Each directory is built by `python -m build --no-isolation`: the sdist first, then the wheel
from that sdist (so a file the sdist lacks is missing from the wheel too), with the venv's
pinned hatchling. The checks: `twine check --strict` (metadata and README render on PyPI) on
every file, `check-wheel-contents` on every wheel. One line per file built; a failure is one
line naming the distribution and the tool's last words, exit 1.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTDIR = ROOT / "build" / "dist"
BUILD_TIMEOUT = 300.0
CHECK_TIMEOUT = 120.0


@dataclass(frozen=True)
class Distribution:
    """One of the kit's distributions: its name, its directory, its import package."""

    name: str
    directory: Path
    package: str


DISTRIBUTIONS = (
    Distribution(
        "smspartner-client", ROOT / "generated" / "smspartner-client", "smspartner_client"
    ),
    Distribution("smspartner-emulator", ROOT / "emulator", "smspartner_emulator"),
    Distribution("smspartner-contract", ROOT / "contract", "smspartner_contract"),
)
WHEEL_CHECK_IGNORES = {
    # W002 "duplicate files": the generated client has two identical one-line __init__.py
    # files (api/rentals, api/stops); identical content is what it means, not a packaging bug.
    "smspartner-client": ("W002",),
}


class DistError(Exception):
    """A build or a check failed; the message is the one line to print."""


@dataclass(frozen=True)
class Built:
    """The two files of one distribution."""

    distribution: Distribution
    sdist: Path
    wheel: Path


def _last_words(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    meaningful = [line for line in lines if line]
    return meaningful[-1] if meaningful else f"exit status {result.returncode}"


def _run(command: Sequence[str | Path], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        raise DistError(f"{command[2]} did not finish within {timeout:.0f} s") from None


def build_one(distribution: Distribution, outdir: Path) -> Built:
    """Build the sdist, then the wheel from it, into `outdir/<name>/` (emptied first)."""
    target = outdir / distribution.name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    command: list[str | Path] = [
        sys.executable,
        "-m",
        "build",
        "--no-isolation",
        "--outdir",
        target,
    ]
    result = _run([*command, distribution.directory], BUILD_TIMEOUT)
    if result.returncode != 0:
        raise DistError(f"{distribution.name}: the build failed: {_last_words(result)}")
    return _found(distribution, target)


def build(outdir: Path = DEFAULT_OUTDIR) -> list[Built]:
    """The three distributions, built into `outdir`."""
    return [build_one(distribution, outdir) for distribution in DISTRIBUTIONS]


def build_once(shared: Path) -> list[Built]:
    """The three distributions built into `shared/dist` once, whoever asks first.

    For test sessions whose workers (pytest-xdist) share a directory: the first caller builds
    while holding a lock on `shared/dist.lock`, the others wait for it and reuse the files.
    A build that failed is not retried by the others: they get the same one-line error.
    """
    shared.mkdir(parents=True, exist_ok=True)
    outdir, done, failed = shared / "dist", shared / "dist.done", shared / "dist.failed"
    with (shared / "dist.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if failed.exists():
                raise DistError(failed.read_text("utf-8"))
            if not done.exists():
                try:
                    built = build(outdir)
                except DistError as error:
                    failed.write_text(str(error), "utf-8")
                    raise
                done.touch()
                return built
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return [_found(distribution, outdir / distribution.name) for distribution in DISTRIBUTIONS]


def session_dir(basetemp: Path) -> Path:
    """A directory shared by every pytest-xdist worker of one test session (`basetemp` is a
    worker's, whose parent is the session's), or the session's own without xdist."""
    return (basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp) / "kit-dist"


def _found(distribution: Distribution, target: Path) -> Built:
    sdists, wheels = sorted(target.glob("*.tar.gz")), sorted(target.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        raise DistError(f"{distribution.name}: expected one sdist and one wheel in {target}")
    return Built(distribution, sdists[0], wheels[0])


def check(built: Sequence[Built]) -> None:
    """twine check --strict and check-wheel-contents; DistError naming the first failure."""
    for item in built:
        name = item.distribution.name
        twine = _run(
            [sys.executable, "-m", "twine", "check", "--strict", item.sdist, item.wheel],
            CHECK_TIMEOUT,
        )
        if twine.returncode != 0:
            raise DistError(f"{name}: twine check: {_last_words(twine)}")
        ignores = WHEEL_CHECK_IGNORES.get(name, ())
        options = ["--ignore", ",".join(ignores)] if ignores else []
        contents = _run(
            [sys.executable, "-m", "check_wheel_contents", *options, item.wheel], CHECK_TIMEOUT
        )
        if contents.returncode != 0:
            raise DistError(f"{name}: check-wheel-contents: {_last_words(contents)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.build_dists", description=__doc__)
    parser.add_argument(
        "--outdir",
        type=Path,
        default=DEFAULT_OUTDIR,
        help="where the files go, one directory per distribution (build/dist)",
    )
    parser.add_argument("--no-check", action="store_true", help="build only")
    args = parser.parse_args(argv)
    try:
        built = build(args.outdir)
        if not args.no_check:
            check(built)
    except DistError as error:
        print(f"dist: {error}", file=sys.stderr)
        return 1
    for item in built:
        for path in (item.sdist, item.wheel):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    if not args.no_check:
        print("checked: twine check --strict, check-wheel-contents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
