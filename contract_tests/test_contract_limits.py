"""The contract run against a broken or hostile target, and interrupted: bounded, one line.

Each run is the console script against a misbehaving server on 127.0.0.1 (the client tests'
fault server: the first request gets a good stop list, the next ones the misbehaviour), under
a 2 s request deadline and an address-space limit of 2.5 GiB (a 64 MiB gzip bomb or an endless
stream read whole would break it). It must end with exit 2 and one line naming the request and
the limit, and its reports must count every request it sent.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from contract_tests.client.fault_server import fault_server
from contract_tests.runs import CLI, one_line

ADDRESS_SPACE = int(2.5 * 2**30)
DEADLINE = "2"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_bounded(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    clean.update(env)
    return subprocess.run(
        [str(CLI)],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        preexec_fn=_limit_memory,  # no threads in the child before exec
    )


@pytest.mark.parametrize(
    ("behaviours", "reason"),
    [
        (("stop_list", "endless_chunked"), "answer larger than 4 MiB (decoded)"),
        (("stop_list", "gzip_bomb"), "answer larger than 4 MiB (decoded)"),
        (("stop_list", "drip_body"), f"no complete answer within {DEADLINE} s"),
        (("stop_list", "drip_headers"), f"no complete answer within {DEADLINE} s"),
        (("stop_list", "endless_103"), f"no complete answer within {DEADLINE} s"),
        (("stop_list", "deep_json_200"), "answer nested deeper than 64 levels"),
        (("stop_list", "rate_limited_huge"), "rate limited by the target (HTTP 429"),
        (("drip_headers",), f"no complete answer within {DEADLINE} s"),
    ],
)
def test_a_misbehaving_target_ends_the_run_in_one_line(
    tmp_path: Path, behaviours: tuple[str, ...], reason: str
) -> None:
    with fault_server(behaviours) as url:
        env = {
            "SMSPARTNER_BASE_URL": url,
            "SMSPARTNER_API_KEY": "Kx7-limit-key",
            "SMSPARTNER_CONTRACT_DEADLINE": DEADLINE,
            "SMSPARTNER_CONTRACT_EXAMPLES": "3",
        }
        result = run_bounded(tmp_path, env)
    line = one_line(result)
    sent = len(behaviours)
    which = "json" if sent == 1 else "xml"  # the plan's first probe asks JSON, the second XML
    assert line.startswith(f"contract: GET {url}/stop-sms/list?apiKey=***&_format={which}: ")
    assert line.endswith(reason) or reason in line, line
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    assert report["requests"] == sent
    assert report["stopped"] == line.removeprefix("contract: ")
    assert report["exit_code"] == 2
    assert "Kx7-limit" not in result.stdout + result.stderr


def _children(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
)
def test_an_interrupted_run_says_so_and_stops_its_emulator(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """The emulator answers slowly (2 s each): the signal lands in the middle of the plan."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    clean["SMSPARTNER_CONTRACT_SCENARIO"] = "slow"
    with subprocess.Popen(
        [str(CLI)],
        cwd=tmp_path,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as runner:
        assert runner.stdout is not None
        first = runner.stdout.readline()  # "contract: checking ..." once the emulator is up
        assert first.startswith("contract: checking http://127.0.0.1:"), first
        emulators = _children(runner.pid)
        assert emulators, "the run started no emulator"
        time.sleep(3)
        runner.send_signal(sig)
        out, err = runner.communicate(timeout=60)
    assert runner.returncode == code, out + err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("contract: interrupted: "), err
    assert "the target matches the spec" not in out
    summary = (tmp_path / "build" / "contract" / "summary.md").read_text("utf-8")
    assert "INTERRUPTED" in summary
    assert "This run was interrupted" in summary
    for process in emulators:
        assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
