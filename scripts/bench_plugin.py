"""The pytest start-up cost of the emulator's plugin in an app's venv (for `make bench`).

    python -m scripts.bench_plugin [--python PATH] [--runs N]

An app's test venv holds smspartner-client, smspartner-emulator (its plugin is an entry point
`pytest11`, loaded by every pytest start) and pytest. Three pytest starts that run one trivial
test, in the same venv, alternating, best of `runs` each:

- bare: PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, no plugin at all;
- the emulator's plugin alone: the same, with `-p smspartner_emulator.pytest_plugin`;
- as the app runs it: every installed plugin autoloaded. That includes anyio's own plugin,
  which httpx brings into any app that uses httpx, with the kit or without it.

The plugin's cost is the second minus the first. Figures, never asserted.

`app_venv()` makes that venv from the built wheels (uv, its cache, the package index for
pytest and the dependencies); `--python` measures an existing venv instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts import floors
from scripts.build_dists import build

RUNS = 7
RUN_TIMEOUT = 120.0
ONE_TEST = "def test_nothing():\n    assert True\n"


class BenchPluginError(Exception):
    """The venv could not be made or pytest did not start; the message is one line."""


PLUGIN = "smspartner_emulator.pytest_plugin"
BARE, PLUGIN_ONLY, AUTOLOADED = "bare", "plugin", "autoloaded"


@dataclass(frozen=True)
class PluginCost:
    """Best wall times (seconds) of three pytest starts (see the module's docstring)."""

    bare: float
    plugin_only: float
    autoloaded: float
    runs: int

    @property
    def added(self) -> float:
        """What the emulator's plugin adds to a pytest start."""
        return self.plugin_only - self.bare


def _pytest_once(python: Path, where: Path, start: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
    if start != AUTOLOADED:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if start == PLUGIN_ONLY:
        command += ["-p", PLUGIN]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=where, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise BenchPluginError(f"pytest did not pass: {lines[-1] if lines else result.returncode}")
    return elapsed


def plugin_start_cost(python: Path, runs: int = RUNS) -> PluginCost:
    """A bare pytest start, with the emulator's plugin, with every plugin; best of `runs`."""
    starts = (BARE, PLUGIN_ONLY, AUTOLOADED)
    times: dict[str, list[float]] = {start: [] for start in starts}
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp:
        where = Path(tmp)
        (where / "test_one.py").write_text(ONE_TEST, encoding="utf-8")
        (where / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        _pytest_once(python, where, AUTOLOADED)  # warm the file cache and the .pyc files
        for _ in range(runs):
            for start in starts:
                times[start].append(_pytest_once(python, where, start))
    best = {start: min(values) for start, values in times.items()}
    return PluginCost(best[BARE], best[PLUGIN_ONLY], best[AUTOLOADED], runs)


def cost_table(cost: PluginCost) -> str:
    """The three starts and what the plugin adds, as a markdown table."""
    return "\n".join(
        [
            f"pytest start, one test (best of {cost.runs}) | seconds",
            "--- | ---",
            f"bare (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1) | {cost.bare:.3f}",
            f"with the emulator's plugin only | {cost.plugin_only:.3f}",
            f"what the plugin adds | {cost.added * 1000:+.0f} ms",
            f"every installed plugin (anyio's too, which httpx brings) | {cost.autoloaded:.3f}",
        ]
    )


def app_venv(workdir: Path) -> Path:
    """A venv like an app's test venv: client, emulator (built wheels) and pytest; its python."""
    wheels = {item.distribution.name: item.wheel for item in build(workdir / "dist")}
    try:
        return floors.venv_with(
            workdir, [wheels["smspartner-client"], wheels["smspartner-emulator"]], lowest=False
        )
    except floors.FloorError as error:
        raise BenchPluginError(f"the app venv: {error}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_plugin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--python", type=Path, help="the venv's python (default: a new app venv)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each start ({RUNS})")
    args = parser.parse_args(argv)  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="bench-plugin-venv-") as tmp:
            python = args.python or app_venv(Path(tmp))
            cost = plugin_start_cost(python, args.runs)
    except (BenchPluginError, subprocess.TimeoutExpired, OSError) as error:
        print(f"bench_plugin: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(cost_table(cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
