"""`smspartner-emulator`: serve the emulator on a socket we bind ourselves.

Binding before uvicorn starts lets `--port 0` report the real port: once listening, the
command prints exactly one line to stdout, `smspartner-emulator serving http://HOST:PORT/v1`.
Logs go to stderr. SIGTERM and SIGINT shut down gracefully (in-flight requests finish) and
the exit status is 0; bad fixtures exit 2 and a socket that cannot be bound exits 1, each
with one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Generator, Sequence

import uvicorn

from smspartner_emulator.app import BASE_PATH, create_app
from smspartner_emulator.fixtures import Fixtures, FixturesError, default_fixtures, load_fixtures

PROG = "smspartner-emulator"
ANNOUNCE = f"{PROG} serving "
"""The start of the one stdout line, followed by the base URL, printed once listening."""
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
EXIT_BAD_FIXTURES = 2
EXIT_CANNOT_LISTEN = 1
_SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAX_LATENCY = 600.0
GRACEFUL_SHUTDOWN_SECONDS = 30.0
"""How long in-flight requests may take to finish after SIGTERM before connections close."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {port}")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds <= MAX_LATENCY:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"latency out of range 0-{MAX_LATENCY:g}: {text}")
    return seconds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Emulator of two SMS Partner endpoints, on a local port."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one (8000)")
    parser.add_argument(
        "--fixtures", metavar="FILE", help="YAML fixtures that replace the built-in ones"
    )
    parser.add_argument(
        "--latency",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="delay every answer, to play a slow API (0)",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="(info)")
    return parser.parse_args(argv)


def bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket for host:port (IPv4 or IPv6); uvicorn calls listen() on it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{BASE_PATH}"


class EmulatorServer(uvicorn.Server):
    """uvicorn's server, announcing the URL once listening and exiting 0 on a signal."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"{ANNOUNCE}{self.url}", flush=True)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the caught signal after shutting down, which would end the
        # process by that signal; a graceful stop on request is a success here.
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in _SHUTDOWN_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    return code


def _serve(args: argparse.Namespace, fixtures: Fixtures) -> int:
    app = create_app(fixtures, access_log=True, latency=args.latency)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _fail(f"cannot listen on {args.host}:{args.port}: {reason}", EXIT_CANNOT_LISTEN)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS + args.latency,
        access_log=False,  # ours masks the API key, uvicorn's would print it
        log_level=args.log_level,
    )
    server = EmulatorServer(config, base_url(args.host, sock.getsockname()[1]))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        fixtures = load_fixtures(args.fixtures) if args.fixtures else default_fixtures()
        return _serve(args, fixtures)
    except FixturesError as exc:
        return _fail(str(exc), EXIT_BAD_FIXTURES)
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signals
        return 130
