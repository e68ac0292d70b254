"""`make floors`: each distribution with the lowest versions it declares, and a smoke test.

    python -m scripts.floors [--only NAME] [--with REQUIREMENT ...]

For each of the three distributions (built from the tree into build/floors/dist), a fresh venv
in build/floors/NAME gets its wheel and its siblings' wheels (as files: the names are never
looked up on an index) and every requirement they declare, named on the command line so that
`uv pip install --resolution lowest-direct` lowers each one to its floor (uv lowers only the
direct requirements: a dependency of a dependency gets its highest version allowed). Then the
smoke tests of scripts/floor_smoke/ for that distribution run there with plain pytest, from a
directory outside the repository:

- smspartner-client: sync and async calls, every error type (against an emulator started from
  the development venv: the server side is not what is tested);
- smspartner-emulator: the pytest plugin's fixtures and scenarios, the command;
- smspartner-contract: a contract run against the emulator, its replay and compare, the ledger.

This is the one make target besides `make lock` that needs the package index (the lowest
versions are not in requirements.lock); uv's cache makes a second run fast. `--with
"httpx==0.24.1"` replaces a declared requirement of that name, or adds one, and overrides
every range declared for it (to look for a floor below the declared one).
One line per distribution; exit 1 if a smoke test fails, with pytest's last lines.
"""

from __future__ import annotations

import argparse
import email.parser
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.build_dists import DISTRIBUTIONS, Built, DistError, build

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "floors"
SMOKE = Path(__file__).resolve().parent / "floor_smoke"
RECORDINGS = Path(__file__).resolve().parent.parent / "contract_tests" / "fixtures" / "recordings"
"""Recordings of the stop-17 runner, replayed at the floor (what users have committed)."""
UV = Path(sys.executable).parent / "uv"
KIT = {canonicalize_name(d.name) for d in DISTRIBUTIONS}
SIBLINGS = {
    "smspartner-client": (),
    "smspartner-emulator": ("smspartner-client",),
    "smspartner-contract": ("smspartner-client", "smspartner-emulator"),
}
SMOKE_TESTS = {
    "smspartner-client": "test_client.py",
    "smspartner-emulator": "test_emulator.py",
    "smspartner-contract": "test_contract.py",
}
WORKERS = 2
"""Floor venvs made and smoke-tested at once (this machine has two cores)."""
INSTALL_TIMEOUT = 600.0
SMOKE_TIMEOUT = 600.0


class FloorError(Exception):
    """A floor venv could not be made; the message is one line."""


@dataclass(frozen=True)
class Outcome:
    """One distribution's floor run."""

    name: str
    floors: dict[str, str]
    passed: bool
    summary: str
    seconds: float
    output: str


def declared(wheel: Path) -> list[Requirement]:
    """The requirements a wheel declares (its METADATA's Requires-Dist, extras' ones left out)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8")
    message = email.parser.Parser().parsestr(text, headersonly=True)
    requirements = [Requirement(line) for line in message.get_all("Requires-Dist") or []]
    return [r for r in requirements if r.marker is None or "extra" not in str(r.marker)]


def lowered(
    name: str, built: Mapping[str, Built], replacements: Sequence[Requirement]
) -> tuple[list[str], list[str]]:
    """The wheels to install and the requirements to name for distribution `name`."""
    names = (name, *SIBLINGS[name])
    wheels = [str(built[n].wheel) for n in names]
    replaced = {canonicalize_name(r.name): r for r in replacements}
    requirements: list[str] = []
    for n in names:
        for requirement in declared(built[n].wheel):
            key = canonicalize_name(requirement.name)
            if key in KIT:
                continue
            chosen = replaced.pop(key, requirement)
            if str(chosen) not in requirements:
                requirements.append(str(chosen))
    requirements.extend(str(extra) for extra in replaced.values())
    return wheels, requirements


def _env() -> dict[str, str]:
    drop = ("SMSPARTNER_", "PYTHON", "VIRTUAL_ENV", "PYTEST_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(command: Sequence[str | Path], timeout: float, **kwargs: object) -> str:
    try:
        result = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=_env(),
            **kwargs,  # type: ignore[call-overload]
        )
    except subprocess.TimeoutExpired:
        raise FloorError(f"{Path(command[0]).name} did not finish in {timeout:.0f} s") from None
    if result.returncode != 0:
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise FloorError(lines[-1] if lines else f"exit status {result.returncode}")
    return str(result.stdout)


def make_venv(
    name: str, wheels: Sequence[str], requirements: Sequence[str], overrides: Sequence[str]
) -> Path:
    """A fresh venv with the wheels and the lowest versions of `requirements`; its python.
    `overrides` (uv's --override) win over every declared range, the wheels' included."""
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    override: list[str | Path] = []
    if overrides:
        (home / "overrides.txt").write_text("".join(f"{o}\n" for o in overrides), "utf-8")
        override = ["--override", home / "overrides.txt"]
    return venv_with(home, [*override, *wheels, *requirements], lowest=True)


def venv_with(home: Path, packages: Sequence[str | Path], *, lowest: bool) -> Path:
    """A venv in `home`/venv with `packages` (wheels as files, requirements, uv options) and
    the development pytest, the lowest versions allowed when `lowest`; its python."""
    _run([UV, "venv", "--quiet", "--python", sys.executable, home / "venv"], INSTALL_TIMEOUT)
    python = home / "venv" / "bin" / "python"
    resolution = ["--resolution", "lowest-direct"] if lowest else []
    pytest_pin = f"pytest=={metadata.version('pytest')}"
    _run(
        [UV, "pip", "install", "--quiet", "--python", python, *resolution, *packages, pytest_pin],
        INSTALL_TIMEOUT,
    )
    return python


def installed(python: Path, requirements: Sequence[str]) -> dict[str, str]:
    """The versions installed for the names of `requirements`."""
    frozen = _run([UV, "pip", "freeze", "--python", python], INSTALL_TIMEOUT)
    versions = {}
    for line in frozen.splitlines():
        if "==" in line:
            package, version = line.split("==", 1)
            versions[canonicalize_name(package)] = version
    names = [canonicalize_name(Requirement(r).name) for r in requirements]
    return {n: versions.get(n, "?") for n in names}


def smoke(name: str, python: Path, url: str | None) -> tuple[bool, str, str]:
    """Run the smoke tests of `name` with that venv's pytest: (passed, summary, output)."""
    tests = WORK / name / "tests"
    tests.mkdir(parents=True)
    shutil.copy(SMOKE / SMOKE_TESTS[name], tests)
    (tests / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = _env()
    env["SMSPARTNER_SMOKE_RECORDINGS"] = str(RECORDINGS)
    if url:
        env["SMSPARTNER_SMOKE_URL"] = url
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini"]
    try:
        result = subprocess.run(
            [*command, "--rootdir", ".", SMOKE_TESTS[name]],
            cwd=tests,
            env=env,
            capture_output=True,
            text=True,
            timeout=SMOKE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"did not finish in {SMOKE_TIMEOUT:.0f} s", ""
    output = result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit status {result.returncode}"
    return result.returncode == 0, summary, output


def run_one(
    name: str, built: Mapping[str, Built], url: str | None, replacements: Sequence[Requirement]
) -> Outcome:
    started = time.monotonic()
    wheels, requirements = lowered(name, built, replacements)
    python = make_venv(name, wheels, requirements, [str(r) for r in replacements])
    floors = installed(python, requirements)
    passed, summary, output = smoke(name, python, url)
    return Outcome(name, floors, passed, summary, time.monotonic() - started, output)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.floors",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        choices=sorted(SIBLINGS),
        action="append",
        help="this distribution only (repeatable; all three by default)",
    )
    parser.add_argument(
        "--with",
        dest="replacements",
        type=Requirement,
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="replace the declared requirement of that name",
    )
    args = parser.parse_args(argv)  # fmt: skip
    names = args.only or list(SIBLINGS)
    from smspartner_emulator.process import EmulatorStartError, started_emulator

    try:
        WORK.mkdir(parents=True, exist_ok=True)
        built = {item.distribution.name: item for item in build(WORK / "dist")}
        with (
            started_emulator("--log-level", "warning") as emulator,
            ThreadPoolExecutor(max_workers=WORKERS) as pool,
        ):
            # The runner's venv and smoke take longest: it starts first, the other two after
            # each other next to it (both cores busy, one run's wait is the other's work).
            order = sorted(names, key=lambda n: n != "smspartner-contract")
            futures = {n: pool.submit(run_one, n, built, emulator.url, args.replacements)
                       for n in order}  # fmt: skip
            outcomes = [futures[n].result() for n in names]
    except (DistError, FloorError, EmulatorStartError) as error:
        print(f"floors: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        floors = " ".join(f"{n}=={v}" for n, v in outcome.floors.items())
        state = "ok" if outcome.passed else "FAILED"
        print(f"{outcome.name}: {state}, {outcome.summary} ({outcome.seconds:.0f} s); {floors}")
    failed = [o for o in outcomes if not o.passed]
    for outcome in failed:
        print(f"--- {outcome.name}: the smoke tests' last lines", file=sys.stderr)
        print("\n".join(outcome.output.splitlines()[-40:]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
