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
from smspartner_contract.model import MIB, Limits, Settings, Target
from smspartner_contract.run import Runner
from smspartner_contract.spec import spec_data

from contract_tests.client.fault_server import fault_server
from contract_tests.runs import CLI, one_line

ADDRESS_SPACE = int(2.5 * 2**30)
DEADLINE = "2"
MAX_BODY = str(4 * MIB)
"""The runs here cap every answer at 4 MiB (the STOP list's own cap is the spec's, 384 MiB)."""


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
        (("stop_list", "unavailable_503"), "the target is unavailable (HTTP 503 twice)"),
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
            "SMSPARTNER_CONTRACT_MAX_BODY": MAX_BODY,
        }
        result = run_bounded(tmp_path, env)
    line = one_line(result)
    sent = len(behaviours)
    which = "json" if sent == 1 else "xml"  # the plan's first probe asks JSON, the second XML
    start = f"contract: GET {url}/stop-sms/list?apiKey=REDACTED-API-KEY&_format={which}: "
    assert line.startswith(start), line
    assert reason in line
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    assert report["requests"] == sent + (1 if "unavailable" in reason else 0)  # one new try
    assert report["stopped"] == line.removeprefix("contract: ")
    assert report["exit_code"] == 2
    assert "Kx7-limit" not in result.stdout + result.stderr


def test_a_flood_of_angle_brackets_is_checked_in_linear_time(tmp_path: Path) -> None:
    """200 KB of `<`: a malformed XML answer (breaking), found at once, not after minutes."""
    with fault_server(("stop_list", "xml_lt_flood")) as url:
        env = {
            "SMSPARTNER_BASE_URL": url,
            "SMSPARTNER_API_KEY": "Kx7-limit-key",
            "SMSPARTNER_CONTRACT_MODE": "live",
        }
        result = run_bounded(tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    fields = {f["field"] for f in report["findings"] if f["category"] == "breaking"}
    assert "(whole answer)" in fields


def test_a_target_that_breaks_a_limit_during_the_phases_ends_the_run(tmp_path: Path) -> None:
    """The plan passes (every answer the same stop list), the first fuzzing request streams."""
    with fault_server(("stop_list",) * 11 + ("endless_chunked",)) as url:
        env = {
            "SMSPARTNER_BASE_URL": url,
            "SMSPARTNER_API_KEY": "Kx7-limit-key",
            "SMSPARTNER_CONTRACT_MAX_BODY": MAX_BODY,
        }
        result = run_bounded(tmp_path, env)
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    assert report["requests"] == 12
    assert report["stopped"].endswith("answer larger than 4 MiB (decoded)")
    assert result.returncode == 1  # the plan's findings (the same body for every request) count
    assert "Traceback" not in result.stderr


def _children(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.parametrize(
    ("sig", "code", "scenario"),
    [
        (signal.SIGINT, 130, "slow"),
        (signal.SIGTERM, 143, "slow"),
        (signal.SIGHUP, 129, "slow"),
        (signal.SIGTERM, 143, "none"),
    ],
)
def test_an_interrupted_run_says_so_and_stops_its_emulator(
    tmp_path: Path, sig: signal.Signals, code: int, scenario: str
) -> None:
    """With `slow` (2 s an answer) the signal lands in the probe plan; without, in
    schemathesis's phases (the plan takes a second, the phases ten)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSPARTNER_")}
    clean["SMSPARTNER_CONTRACT_SCENARIO"] = scenario
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


def test_schemathesis_gives_up_after_the_run_s_own_deadline() -> None:
    """Its client times out on its own (10 s by default, with a bare ReadTimeout): the run's
    deadline, which names the request and the limit in one line, must fire first."""
    target = Target("http://127.0.0.1:1/v1", "k", limits=Limits(deadline=30.0))
    settings = Runner(target, Settings())._engine().settings
    assert settings.request_timeout is not None
    assert settings.request_timeout > 30.0


def test_an_answer_that_grows_without_bound_has_the_spec_s_cap() -> None:
    """The STOP list has no paging: its cap is the spec's `x-max-answer-bytes`, the others
    keep the default; a cap the user sets applies to every answer."""
    spec = spec_data()
    caps = {
        path: operation.get("x-max-answer-bytes")
        for path, item in spec["paths"].items()
        for operation in item.values()
    }
    assert any(caps.values())
    runner = Runner(Target("http://127.0.0.1:1/v1", "k"), Settings())
    sender = runner.sender
    assert sender is not None
    for path, cap in caps.items():
        assert sender._cap(f"/v1{path}?apiKey=k") == (cap or Limits().max_body)
    chosen = Limits(max_body=5 * MIB, body_set=True)
    capped = Runner(Target("http://127.0.0.1:1/v1", "k", limits=chosen), Settings()).sender
    assert capped is not None
    assert {capped._cap(f"/v1{path}") for path in caps} == {5 * MIB}
