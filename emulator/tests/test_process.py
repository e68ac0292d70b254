"""The one launcher (`started_emulator`) and the in-thread server (`serving`)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import psutil
import pytest
from smspartner_emulator import (
    EmulatorStartError,
    Limits,
    create_app,
    serving,
    started_emulator,
)

DEMO_KEY = "demo-api-key"
WAIT = 15.0

PARENT = textwrap.dedent(
    """
    import sys, time
    from smspartner_emulator.process import started_emulator

    with started_emulator("--log-level", "warning") as emulator:
        print(emulator.pid, flush=True)
        time.sleep(60)
    """
)


def test_the_launcher_runs_the_module_with_this_interpreter() -> None:
    with started_emulator("--log-level", "warning") as emulator:
        command = psutil.Process(emulator.pid).cmdline()
        response = httpx.get(f"{emulator.url}/stop-sms/list", params={"apiKey": DEMO_KEY})
    assert command[:3] == [sys.executable, "-m", "smspartner_emulator"]
    assert response.status_code == 200
    assert emulator.process.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_emulator_does_not_outlive_a_killed_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        parent.send_signal(signal.SIGKILL)  # no `finally` runs in the parent
        parent.wait(timeout=WAIT)
        child.wait(timeout=WAIT)  # psutil.TimeoutExpired if it outlives its parent
        assert not child.is_running()
    finally:
        parent.kill()
        parent.wait(timeout=WAIT)
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_failed_start_says_why_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with (
        pytest.raises(EmulatorStartError) as caught,
        started_emulator("--fixtures", str(missing)),
    ):
        pass  # pragma: no cover (never reached)
    message = str(caught.value)
    assert message.startswith("the emulator did not start (exit status 2)")
    assert f"{missing}: cannot read" in message
    assert "\n" not in message


def test_serving_runs_in_a_thread_with_the_same_limits_and_stops() -> None:
    def servers() -> set[threading.Thread]:
        """The server threads alive now (a test session may hold others of its own)."""
        return {t for t in threading.enumerate() if t.name == "smspartner-emulator"}

    app = create_app(access_log=False)
    before = servers()
    with serving(app, Limits(max_headers=6)) as url:  # httpx sends 5
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v1")
        served = httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY})
        refused = httpx.get(f"{url}/stop-sms/list", headers={"a": "1", "b": "2"})
        assert len(servers() - before) == 1
    assert served.json()["nbData"] == 4
    assert refused.status_code == 431
    assert servers() == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/stop-sms/list", params={"apiKey": DEMO_KEY}, timeout=WAIT)
