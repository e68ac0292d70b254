"""`smspartner-emulator`: serve the emulator on a socket we bind ourselves.

Binding before uvicorn starts lets `--port 0` report the real port: once listening, the
command prints exactly one line to stdout, `smspartner-emulator serving http://HOST:PORT/v1`,
after every answer of the documented behaviour is built (a `--stop-list-size 1000000` list
included). Logs go to stderr; at `--log-level info` (the default) the access log, one line
per request naming the scenario that answered, is written in batches (at most every 50 ms),
which keeps its cost to a few per cent of the throughput. SIGTERM and SIGINT shut down
gracefully (in-flight requests finish, pending log lines are written) and the exit status is
0; bad fixtures (a FIFO, a directory or a device given as a file included), an unknown
scenario or an unusable cassette exit 2 and a socket that cannot be bound exits 1, each with
one line on stderr.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import sys
from collections.abc import Callable, Sequence

from smspartner_emulator.lifeline import exit_with_parent
from smspartner_emulator.limits import (
    MAX_CONNECTIONS,
    REQUEST_TIMEOUT,
    Limits,
    parse_stop_list_size,
)

PROG = "smspartner-emulator"
ANNOUNCE = f"{PROG} serving "
"""The start of the one stdout line, followed by the base URL, printed once listening."""
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
EXIT_BAD_INPUT = 2
EXIT_CANNOT_LISTEN = 1
MAX_LATENCY = 600.0
MAX_REQUEST_TIMEOUT = 600.0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {port}")
    return port


def _seconds(low: float, high: float, *, zero: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            seconds = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not low <= seconds <= high or (seconds == 0 and not zero):  # also refuses NaN
            bound = "0" if zero else "above 0"
            raise argparse.ArgumentTypeError(f"out of range ({bound} to {high:g}): {text}")
        return seconds

    return parse


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {count}")
    return count


def build_parser() -> argparse.ArgumentParser:
    """The command line (also what docs/cli.md is generated from, by scripts/cli_reference.py)."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Emulator of two SMS Partner endpoints, on a local port."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one (8000)")
    parser.add_argument(
        "--fixtures", metavar="FILE", help="YAML fixtures that replace the built-in ones"
    )
    parser.add_argument(
        "--stop-list-size",
        type=parse_stop_list_size,
        default=None,
        metavar="N",
        help="serve a synthetic stop list of N entries instead of the fixtures' one:"
        " deterministic, numbers +999... that no real person has",
    )
    parser.add_argument(
        "--replay",
        metavar="CASSETTE",
        help="play a contract run's recording: a recorded request gets the recorded answer",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        metavar="NAME",
        help="misbehave for every request naming none with `Prefer: scenario=` (none)",
    )
    parser.add_argument(
        "--list-scenarios", action="store_true", help="print the scenarios, one a line, and exit"
    )
    parser.add_argument(
        "--latency",
        type=_seconds(0, MAX_LATENCY, zero=True),
        default=0.0,
        metavar="SECONDS",
        help="delay every answer, to play a slow API (0)",
    )
    parser.add_argument(
        "--max-connections",
        type=_count,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"open connections served at once; beyond, HTTP 503 ({MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds(0, MAX_REQUEST_TIMEOUT, zero=False),
        default=REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection whose request is not complete in time ({REQUEST_TIMEOUT:g})",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="(info)")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return code


def _serve(args: argparse.Namespace) -> int:
    # Imported here: `--help`, `--list-scenarios` and option errors answer without them.
    from smspartner_emulator.app import AccessLogStream, create_app
    from smspartner_emulator.fixtures import FixturesError, default_fixtures, load_fixtures
    from smspartner_emulator.middleware import BufferedAccessLog
    from smspartner_emulator.protocol import EmulatorServer, logging_config
    from smspartner_emulator.replay import ReplayError
    from smspartner_emulator.scenarios import UnknownScenario
    from smspartner_emulator.server import (
        GRACEFUL_SHUTDOWN_SECONDS,
        base_url,
        bind,
        uvicorn_config,
    )

    logged = args.log_level in ("info", "debug")
    try:
        fixtures = load_fixtures(args.fixtures) if args.fixtures else default_fixtures()
        app = create_app(
            fixtures,
            access_log=AccessLogStream(sys.stderr) if logged else False,
            latency=args.latency,
            scenario=args.scenario,
            replay=args.replay,
            stop_list_size=args.stop_list_size,
        )
    except (FixturesError, UnknownScenario, ReplayError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    # What start-up built (fixtures, answers: a million objects for a big fixtures file) lives
    # as long as the process: the cyclic collector need not scan it again, which keeps its
    # full passes short while a scenario's answers are built beside the event loop.
    gc.freeze()
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _fail(f"cannot listen on {args.host}:{args.port}: {reason}", EXIT_CANNOT_LISTEN)
    except UnicodeError:  # the IDNA codec refuses it (a label over 63 characters...)
        return _fail(
            f"cannot listen on {args.host}:{args.port}: not a host name", EXIT_CANNOT_LISTEN
        )
    limits = Limits(max_connections=args.max_connections, request_timeout=args.request_timeout)
    config = uvicorn_config(
        app,
        limits,
        log_level=args.log_level,
        log_config=logging_config(),
        graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS + math.ceil(args.latency),
    )
    server = EmulatorServer(config, f"{ANNOUNCE}{base_url(args.host, sock.getsockname()[1])}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        access_log = app.state.emulator.access_log
        if isinstance(access_log, BufferedAccessLog):
            access_log.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    exit_with_parent()
    args = parse_args(argv)
    if args.list_scenarios:
        from smspartner_emulator.scenarios import listing

        print("\n".join(listing()))
        return 0
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _serve(args)
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signals
        return 130
