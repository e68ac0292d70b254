"""`smspartner-contract`: check the spec against a target, replay, compare, list the ledger.

    smspartner-contract [run]                  the spec against the emulator or SMSPARTNER_BASE_URL
    smspartner-contract replay CASSETTE        re-check a recording offline against today's spec
    smspartner-contract compare OLD NEW        what changed between two recordings
    smspartner-contract parity CASSETTE        where the emulator answers otherwise than a recording
    smspartner-contract assumptions            the ledger: every guess of the spec

Exit status of `run` and `replay`: 0 the target matches the spec; 1 breaking drift; 4 guesses
of the spec refuted (and nothing breaking); 3 additive drift only; 2 the run could not be made
or completed (one line on stderr says why); 130 interrupted (128+N for signal N).
`compare`: 0 no difference, 1 differences, 2 unusable input, 5 nothing to compare with (a
recording of a run that did not complete, or an empty one). `parity`: 0, 1 or 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from smspartner_client.redact import Redactor
from smspartner_emulator.recording import CassetteError

from smspartner_contract import ledger
from smspartner_contract.baseline import Baseline, BaselineError, load_baseline
from smspartner_contract.facts import FactError
from smspartner_contract.grading import EXIT_UNUSABLE, Grader, Outcome
from smspartner_contract.model import LIVE, Record, Unusable
from smspartner_contract.privacy import OutputRefused, Outputs, Privacy
from smspartner_contract.recording import CASSETTE, read_record, write_cassette
from smspartner_contract.refs import RefError
from smspartner_contract.report import REPORTS, write_reports
from smspartner_contract.run import INTERRUPTION, Interrupted, Runner, privacy_for
from smspartner_contract.spec import SPEC_PATH, SpecError, spec_data
from smspartner_contract.target import plan_from, resolved_target

PROG = "smspartner-contract"
REPORT_DIR = Path("build/contract")
BASELINE = SPEC_PATH.parent / "accepted-drift.json"
ENVIRONMENT = """environment (run):
  SMSPARTNER_BASE_URL        target ending in /v1; unset: an emulator started for the run
  SMSPARTNER_API_KEY         the key sent as apiKey (required with a URL); never printed
  SMSPARTNER_RENTAL_TOKEN    a rental of the account, so location/status is seen answering 200
  SMSPARTNER_CONTRACT_MODE   live (the probe plan, GET only, 2 requests/s) or full (plan and
                             schemathesis phases); default: full on loopback, live elsewhere
  SMSPARTNER_CONTRACT_FUZZ   1: the schemathesis phases against a non-loopback target too
  SMSPARTNER_CONTRACT_EXAMPLES  fuzzing examples per operation (100)
  SMSPARTNER_CONTRACT_SEED   the run's seed (fixed: two runs send the same requests)
  SMSPARTNER_CONTRACT_SCENARIO  an emulator scenario for the emulator the run starts
  SMSPARTNER_CONTRACT_BASELINE  accepted-drift file (default: spec/accepted-drift.json)
  SMSPARTNER_CONTRACT_DEADLINE  seconds a request may take in all (20)
  SMSPARTNER_CONTRACT_MAX_BODY  largest answer accepted, in decoded bytes (4194304; the STOP
                             list's own cap is in the spec: 384 MiB)
"""
EXIT_NOTHING_TO_COMPARE = 5


def _say(message: str) -> None:
    print(f"contract: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind the command like Ctrl-C (so a started emulator is stopped)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        INTERRUPTION.signum = signum
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _print(text: str) -> None:
    """Print; a closed pipe (`| head`) silences the rest of the output, not the exit status."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stays open until the process ends)


def _spec_path(args: argparse.Namespace) -> Path:
    return Path(args.spec) if args.spec else SPEC_PATH


def _baseline(env: Mapping[str, str], given: str | None) -> Baseline | None:
    """The accepted-drift file: named ones must exist (one line otherwise); the default one
    is read when it exists."""
    chosen = given or env.get("SMSPARTNER_CONTRACT_BASELINE", "").strip()
    if chosen:
        return load_baseline(Path(chosen))
    return load_baseline(BASELINE) if BASELINE.is_file() else None


def grade(
    record: Record,
    base_url: str,
    baseline: Baseline | None,
    spec_path: Path = SPEC_PATH,
) -> Outcome:
    """Check and grade a record against a spec (the run and the replay share this)."""
    spec = spec_data(spec_path)
    outcome = Grader(spec, base_url=base_url, baseline=baseline).grade(record)
    outcome.spec_path = str(spec_path)
    outcome.spec_version = str(spec.get("info", {}).get("version", ""))
    return outcome


def _finish(outcome: Outcome, outputs: Outputs, *, quiet: bool) -> int:
    text = write_reports(outcome, outputs)
    if not quiet:
        _print(text)
        _print("reports: " + ", ".join(str(path) for path in outputs.written))
    record = outcome.record
    code = outcome.exit_code
    if record.interrupted is not None:
        _say(f"interrupted: {record.requests} request(s) sent; the reports cover only those")
    elif code == EXIT_UNUSABLE:
        _say(outcome.unusable_because)
    return code


def run_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    spec_path = _spec_path(args)
    spec = spec_data(spec_path)
    plan = plan_from(env, spec)
    accepted = _baseline(env, args.baseline)  # a bad file stops the run before any request
    directory = Path(args.report_dir)
    with _signals_interrupt():
        with resolved_target(plan) as target:
            privacy = privacy_for(target, spec)
            outputs = Outputs(directory, privacy)
            outputs.clear((*REPORTS, CASSETTE))
            runner = Runner(target, plan.settings, spec=spec, privacy=privacy)
            where = "live: probe plan, GET only" if plan.settings.mode == LIVE else "full"
            if target.polite and plan.settings.mode != LIVE:
                where = "full, polite: GET only"
            if target.per_second:
                where += f", {target.per_second:g} requests/s"
            _print(f"contract: checking {runner.record.target} ({where})")
            record = runner.run()
        outcome = grade(record, record.target, accepted, spec_path)
        cassette = None
        try:
            cassette = write_cassette(record, outcome.spec_version, outputs)
        except OutputRefused as exc:
            outcome.errors.append(f"the recording was not written: {exc}")
        quiet = outcome.exit_code == EXIT_UNUSABLE and len(record.interactions) <= 1
        code = _finish(outcome, outputs, quiet=quiet)
    if cassette is not None and not quiet:
        state = "" if record.complete else " (incomplete: not a baseline for compare)"
        _print(f"recording: {cassette}{state}")
    return code


def replay_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    accepted = _baseline(env, args.baseline)
    started = time.monotonic()
    record = read_record(Path(args.cassette))
    spec_path = _spec_path(args)
    outputs = Outputs(Path(args.report_dir), Privacy.for_replay(spec_data(spec_path)))
    outputs.clear(REPORTS)
    outcome = grade(record, record.target, accepted, spec_path)
    record.seconds = time.monotonic() - started
    return _finish(outcome, outputs, quiet=False)


def compare_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from smspartner_contract.compare import NothingToCompare, compare_files

    try:
        return compare_files(
            Path(args.old), Path(args.new), Path(args.report_dir), _spec_path(args)
        )
    except NothingToCompare as exc:
        _say(str(exc))
        return EXIT_NOTHING_TO_COMPARE


def parity_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from smspartner_contract.parity import parity_of

    return parity_of(Path(args.cassette), Path(args.report_dir), _spec_path(args))


def assumptions_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    spec = spec_data(_spec_path(args))
    found = ledger.problems(spec)
    if found:
        for problem in found:
            _say(f"ledger: {problem}")
        return EXIT_UNUSABLE
    _print(ledger.listing(spec, as_json=args.json))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line (also what docs/cli.md is generated from)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check the SMS Partner spec against a target; replay, compare, list guesses.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def reports(sub: argparse.ArgumentParser, default: Path) -> None:
        sub.add_argument(
            "--report-dir", default=str(default), help=f"where reports go (default: {default})"
        )

    def baseline(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--baseline",
            metavar="FILE",
            help="accepted-drift file (default: spec/accepted-drift.json when it exists); "
            "a named file that cannot be read stops the command (exit 2)",
        )

    def spec(sub: argparse.ArgumentParser, what: str) -> None:
        sub.add_argument(
            "--spec",
            metavar="FILE",
            default=None,
            help=f"{what} (default: the kit's spec/smspartner.yaml)",
        )

    parser.set_defaults(handler=run_command, report_dir=str(REPORT_DIR), baseline=None, spec=None)
    run = commands.add_parser("run", help="the spec against a target (the default command)")
    reports(run, REPORT_DIR)
    baseline(run)
    spec(run, "the spec to check")
    run.set_defaults(handler=run_command)
    replay = commands.add_parser("replay", help="re-check a recording offline")
    replay.add_argument("cassette", help="a recording written by `run` (cassette.yaml)")
    reports(replay, REPORT_DIR / "replay")
    baseline(replay)
    spec(replay, "the spec to judge by")
    replay.set_defaults(handler=replay_command)
    compare = commands.add_parser("compare", help="what changed between two recordings")
    compare.add_argument("old", help="the previous complete recording")
    compare.add_argument("new", help="the recording to compare with it")
    reports(compare, REPORT_DIR)
    spec(compare, "the spec whose facts the comparison reads")
    compare.set_defaults(handler=compare_command)
    parity = commands.add_parser("parity", help="the emulator against a recording")
    parity.add_argument("cassette", help="a recording written by `run`")
    reports(parity, REPORT_DIR)
    spec(parity, "the spec whose facts the comparison reads")
    parity.set_defaults(handler=parity_command)
    listing = commands.add_parser("assumptions", help="list the ledger")
    listing.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    spec(listing, "the spec whose ledger to list")
    listing.set_defaults(handler=assumptions_command)
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    secret = env.get("SMSPARTNER_API_KEY", "")
    token = env.get("SMSPARTNER_RENTAL_TOKEN", "")
    mask = Redactor(secrets=[secret] if secret else [], tokens=[token] if token else []).mask
    try:
        code: int = args.handler(args, env)
        return code
    except (
        Unusable,
        SpecError,
        CassetteError,
        BaselineError,
        OutputRefused,
        FactError,
        RefError,
    ) as exc:
        _say(mask(" ".join(str(exc).split())[:500]))
        return EXIT_UNUSABLE
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        _say("interrupted before the reports were written")
        return 128 + int(signum)
    except Exception as exc:  # the last resort: one masked line, never a traceback
        reason = (str(exc).strip().splitlines() or [""])[0]
        _say(f"unexpected {type(exc).__name__}: {mask(reason)[:300]}")
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
