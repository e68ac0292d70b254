"""A child emulator never outlives the process that started it (`process.started_emulator`).

The launcher names itself in PARENT_ENV; the child then asks Linux to send it SIGTERM when
its parent dies (`prctl(PR_SET_PDEATHSIG)`, through ctypes: done in the child itself, since
`preexec_fn` is not safe in a threaded parent), and stops at once if the parent is already
gone. Linux delivers the signal when the *thread* that started the child ends: start it from a
thread that lives as long as you need it (the main thread, or the one that stops it). Other
systems have no such call; there the launcher's context manager is the only guarantee.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_ENV = "SMSPARTNER_EMULATOR_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def exit_with_parent() -> None:
    """When started by `started_emulator` on Linux: SIGTERM on the parent's death."""
    expected = os.environ.pop(PARENT_ENV, None)
    if expected is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not fatal: the launcher still stops us on every normal way out
    if str(os.getppid()) != expected:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGTERM)
