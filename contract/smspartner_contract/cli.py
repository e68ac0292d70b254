"""`smspartner-contract`: check the spec against a target, replay, compare, list the ledger.

    smspartner-contract [run]                  the spec against the emulator or SMSPARTNER_BASE_URL
    smspartner-contract replay CASSETTE        re-check a recording offline against today's spec
    smspartner-contract compare OLD NEW        what changed between two recordings
    smspartner-contract parity CASSETTE        where the emulator answers otherwise than a recording
    smspartner-contract assumptions            the ledger: every guess of the spec

Exit status of `run` and `replay`: 0 the target matches the spec; 1 breaking drift; 4 guesses
of the spec refuted (and nothing breaking); 3 additive drift only; 2 the run could not be made
or completed (one line on stderr says why); 130 interrupted (128+N for signal N).
`compare` and `parity`: 0 no difference, 1 differences, 2 unusable input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from schemathesis.baseline import Baseline
from smspartner_client.redact import Redactor
from smspartner_emulator.recording import CassetteError

from smspartner_contract import ledger
from smspartner_contract.exercise import learn_phone_numbers
from smspartner_contract.grading import (
    EXIT_UNUSABLE,
    BaselineError,
    Grader,
    Outcome,
    load_baseline,
)
from smspartner_contract.recording import CassetteLeak, read_record, write_cassette
from smspartner_contract.report import write_reports
from smspartner_contract.run import (
    INTERRUPTION,
    LIVE,
    Interrupted,
    Record,
    Runner,
    Unusable,
    load_schema,
    redactor_for,
    schema_config,
)
from smspartner_contract.spec import SPEC_PATH, SpecError, spec_data
from smspartner_contract.target import plan_from, resolved_target
from smspartner_contract.validate import Validator

PROG = "smspartner-contract"
REPORT_DIR = Path("build/contract")
CASSETTE = "cassette.yaml"
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
  SMSPARTNER_CONTRACT_MAX_BODY  largest answer accepted, in decoded bytes (4194304)
"""


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


def _baseline_path(env: Mapping[str, str], given: str | None) -> Path | None:
    chosen = given or env.get("SMSPARTNER_CONTRACT_BASELINE", "").strip()
    if chosen:
        return Path(chosen)
    return BASELINE if BASELINE.is_file() else None


def grade(
    record: Record,
    base_url: str,
    redactor: Redactor,
    baseline: Baseline | None,
    spec_path: Path = SPEC_PATH,
) -> Outcome:
    """Check and grade a record against today's spec (the run and the replay share this)."""
    spec = spec_data(spec_path)
    config = schema_config(base_url)
    schema = load_schema(config, spec)
    grader = Grader(spec, Validator(schema, base_url), config, redactor, baseline)
    return grader.grade(record)


def _finish(outcome: Outcome, directory: Path, redactor: Redactor, *, quiet: bool) -> int:
    text = write_reports(outcome, directory, redactor.mask)
    if not quiet:
        _print(text)
        _print(f"reports: {directory}/summary.md, {directory}/junit.xml, {directory}/report.json")
    record = outcome.record
    code = outcome.exit_code
    if record.interrupted is not None:
        _say(f"interrupted: {record.requests} request(s) sent; the reports cover only those")
    elif code == EXIT_UNUSABLE:
        _say(outcome.unusable_because)
    return code


def _baseline(env: Mapping[str, str], given: str | None) -> Baseline | None:
    path = _baseline_path(env, given)
    return load_baseline(path) if path is not None else None


def run_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    plan = plan_from(env)
    accepted = _baseline(env, args.baseline)  # a bad file stops the run before any request
    directory = Path(args.report_dir)
    with _signals_interrupt():
        with resolved_target(plan) as target:
            runner = Runner(target, plan.settings)
            where = "live: probe plan, GET only" if plan.settings.mode == LIVE else "full"
            if target.polite and plan.settings.mode != LIVE:
                where = "full, polite: GET only"
            if target.per_second:
                where += f", {target.per_second:g} requests/s"
            _print(f"contract: checking {runner.redactor.mask(target.base_url)} ({where})")
            record = runner.run()
        redactor = runner.redactor
        spec = spec_data(SPEC_PATH)
        learn_phone_numbers(spec, record, redactor)
        cassette = directory / CASSETTE
        try:
            write_cassette(record, redactor, str(spec.get("info", {}).get("version", "")), cassette)
        except CassetteLeak as exc:
            record.errors.append(f"the cassette was not written: {exc}")
        outcome = grade(record, target.base_url, redactor, accepted)
        quiet = outcome.exit_code == EXIT_UNUSABLE and len(record.interactions) <= 1
        code = _finish(outcome, directory, redactor, quiet=quiet)
    if not quiet:
        _print(f"recording: {cassette}")
    return code


def replay_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    accepted = _baseline(env, args.baseline)
    record = read_record(Path(args.cassette))
    redactor = redactor_for()
    outcome = grade(record, record.target, redactor, accepted, Path(args.spec))
    return _finish(outcome, Path(args.report_dir), redactor, quiet=False)


def compare_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from smspartner_contract.compare import compare_files

    return compare_files(Path(args.old), Path(args.new), Path(args.report_dir))


def parity_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from smspartner_contract.parity import parity_of

    return parity_of(Path(args.cassette), Path(args.report_dir))


def assumptions_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    spec = spec_data(SPEC_PATH)
    found = ledger.problems(spec)
    if found:
        for problem in found:
            _say(f"ledger: {problem}")
        return EXIT_UNUSABLE
    print(ledger.listing(spec, as_json=args.json))
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check the SMS Partner spec against a target; replay, compare, list guesses.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def reports(sub: argparse.ArgumentParser, default: Path) -> None:
        sub.add_argument("--report-dir", default=str(default), help=f"where reports go ({default})")

    parser.set_defaults(handler=run_command, report_dir=str(REPORT_DIR), baseline=None)
    run = commands.add_parser("run", help="the spec against a target (the default command)")
    reports(run, REPORT_DIR)
    run.add_argument("--baseline", help="accepted-drift file (schemathesis baseline format)")
    run.set_defaults(handler=run_command)
    replay = commands.add_parser("replay", help="re-check a recording offline")
    replay.add_argument("cassette")
    reports(replay, REPORT_DIR / "replay")
    replay.add_argument("--baseline", help="accepted-drift file")
    replay.add_argument(
        "--spec", default=str(SPEC_PATH), help="the spec to judge by (today's spec/smspartner.yaml)"
    )
    replay.set_defaults(handler=replay_command)
    compare = commands.add_parser("compare", help="what changed between two recordings")
    compare.add_argument("old")
    compare.add_argument("new")
    reports(compare, REPORT_DIR)
    compare.set_defaults(handler=compare_command)
    parity = commands.add_parser("parity", help="the emulator against a recording")
    parity.add_argument("cassette")
    reports(parity, REPORT_DIR)
    parity.set_defaults(handler=parity_command)
    listing = commands.add_parser("assumptions", help="list the ledger")
    listing.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    listing.set_defaults(handler=assumptions_command)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    env = os.environ if env is None else env
    secret = env.get("SMSPARTNER_API_KEY", "")
    token = env.get("SMSPARTNER_RENTAL_TOKEN", "")
    mask: Callable[[str], str] = Redactor(
        secrets=[secret] if secret else [], tokens=[token] if token else []
    ).mask
    try:
        code: int = args.handler(args, env)
        return code
    except (Unusable, SpecError, CassetteError, BaselineError) as exc:
        _say(mask(str(exc)))
        return EXIT_UNUSABLE
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        _say("interrupted before the reports were written")
        return 128 + int(signum)
    except Exception as exc:  # the last resort: one masked line, never a traceback
        reason = (str(exc).strip().splitlines() or [""])[0]
        _say(f"unexpected {type(exc).__name__}: {mask(reason)}")
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
