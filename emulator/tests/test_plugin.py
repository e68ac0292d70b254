"""The pytest plugin, used as a user would: a test file in a temporary directory, no conftest.

The first run is a fresh `pytest` process (the plugin comes from the installed entry point);
the others run in-process, to keep the pytester runs few and fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dump_cassette,
)

pytest_plugins = ["pytester"]
QUIET = ("-p", "no:cacheprovider", "-p", "no:asyncio")
"""Options of the in-process runs: nothing cached, no asyncio plugin warning about its ini."""

USER_TESTS = """
import sys

import pytest
from smspartner_client import RateLimited
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms


def test_the_plugin_costs_nothing_until_used():
    assert "smspartner_emulator.app" not in sys.modules
    assert "smspartner_emulator.server" not in sys.modules


def test_my_code_lists_the_stops(smspartner_client, smspartner_emulator):
    assert smspartner_emulator.url.startswith("http://127.0.0.1:")
    assert smspartner_emulator.url.endswith("/v1")
    stops = list_stop_sms.sync(client=smspartner_client)
    assert stops.nb_data == len(stops.data) == len(smspartner_emulator.fixtures.stop_list)


def test_my_code_reads_a_rental(smspartner_client, smspartner_emulator):
    token = smspartner_emulator.rental_token(5)
    rental = get_rental_status.sync(client=smspartner_client, token=token)
    assert rental.status == "File downloaded by user from api"


def test_my_code_survives_rate_limiting(smspartner_client, smspartner_emulator):
    with smspartner_emulator.scenario("rate_limited"):
        with pytest.raises(RateLimited) as caught:
            list_stop_sms.sync(client=smspartner_client)
    assert caught.value.retry_after == 1
    assert list_stop_sms.sync(client=smspartner_client).success is True


def test_an_unknown_scenario_names_the_known_ones(smspartner_emulator):
    with pytest.raises(ValueError, match="known: none, rate_limited"):
        with smspartner_emulator.scenario("rate-limited"):
            pass


def test_a_scenario_without_with_plays_nothing_and_fails_the_test(
    smspartner_client, smspartner_emulator
):
    smspartner_emulator.scenario("server_error")  # forgot `with`
    assert list_stop_sms.sync(client=smspartner_client).success is True


def test_the_next_test_is_not_blamed(smspartner_client):
    assert list_stop_sms.sync(client=smspartner_client).success is True
"""


def test_a_users_suite_runs_green_with_no_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_my_app=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_a_scenario_without_with_plays_nothing_and_fails_the_test*",
            "*smspartner_emulator.scenario('server_error') was never used with `with`*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert not (pytester.path / "conftest.py").exists()


UNENTERED_THEN_FAILED = """
import pytest

def test_fails_before_its_with(smspartner_emulator):
    smspartner_emulator.scenario("server_error")
    assert 1 == 2, "my own failure"

def test_after_the_failure(smspartner_emulator):
    assert smspartner_emulator.url

def test_skips_before_its_with(smspartner_emulator):
    smspartner_emulator.scenario("rate_limited")
    pytest.skip("not today")

def test_after_the_skip(smspartner_emulator):
    assert smspartner_emulator.url
"""


def test_a_test_ending_before_its_with_leaves_nothing_to_the_next(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_unentered=UNENTERED_THEN_FAILED)
    result = pytester.runpytest_inprocess(*QUIET, "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*my own failure*"])
    assert "was never used with `with`" not in result.stdout.str()


HEAVY = ("starlette", "uvicorn", "yaml", "httpx", "smspartner_client", "uvloop", "httptools")
FORBIDDEN = ("schemathesis", "hypothesis", "smspartner_contract")


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    """What pytest pays at start in every suite of an environment where the plugin is."""
    probe = (
        "import sys, smspartner_emulator.pytest_plugin\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.split())
    assert "pytest" in loaded
    assert loaded.isdisjoint(HEAVY + FORBIDDEN), sorted(loaded & set(HEAVY + FORBIDDEN))


def test_the_emulator_never_imports_the_runner_nor_its_test_tools() -> None:
    """The `smspartner-emulator` distribution must not need schemathesis, hypothesis or the
    runner: no module of the package imports them, at run time or in its source."""
    package = Path(__file__).parents[1] / "smspartner_emulator"
    names = sorted(path.stem for path in package.glob("*.py") if path.stem != "__main__")
    probe = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module('smspartner_emulator.' + name)\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert set(done.stdout.split()).isdisjoint(FORBIDDEN)
    for path in package.rglob("*.py"):
        text = path.read_text("utf-8")
        for name in FORBIDDEN:
            assert f"import {name}" not in text, path
            assert f"from {name}" not in text, path


OPTION_TESTS = """
import pytest
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms


def test_the_options_are_used(smspartner_client, smspartner_emulator):
    assert smspartner_emulator.api_key == "team-key-0042"
    token = smspartner_emulator.rental_token(2)  # the recording's, not the fixtures'
    assert token == "REDACTED-TOKEN-0001"
    rental = get_rental_status.sync(client=smspartner_client, token=token)
    assert rental.status == "ready (recorded)"
    with pytest.raises(LookupError, match="status code 5 in the fixtures"):
        smspartner_emulator.rental_token(5)
    with pytest.raises(LookupError, match="no rental with status 'refused'.*'ready .recorded.'"):
        smspartner_emulator.rental_token(3)
    stops = list_stop_sms.sync(client=smspartner_client)  # recorded: one national number
    assert [entry.phone_number for entry in stops.data] == ["0600000007"]
"""


def rental_data(token: str, code: int, status: str) -> dict[str, object]:
    return {
        "token": token,
        "status_code": code,
        "status": status,
        "location": {
            "sexe": "f",
            "minAge": 1,
            "maxAge": 2,
            "zipcode": "75001",
            "interest": "1",
            "category": 1,
            "details_localisation": [],
            "cost": {"quantity": 1, "total": "0.090", "cost_unity": "0.090"},
        },
        "file": {"phoneNumbers": "1"},
    }


def team_files(path: Path, sent: tuple[tuple[str, str], ...] = ()) -> tuple[Path, Path]:
    """A fixtures file and a recording whose requests sent `sent` too (a contract run sends
    `_format=json`; the typed client sends no `_format`)."""
    fixtures = path / "team.yaml"
    rentals = [rental_data("team-token-2", 2, "ready (recorded)"), rental_data("t3", 3, "refused")]
    fixtures.write_text(
        yaml.safe_dump({"api_keys": ["team-key-0042"], "stop_list": [], "rentals": rentals})
    )
    body = (
        b'{"success":true,"code":200,"nbData":1,"data":[{"id":7,'
        b'"phoneNumber":"0600000007","createdAt":"2020-01-01 00:00:00"}]}'
    )
    recorded = Interaction(
        id="plan-01",
        source="plan",
        operation="GET /stop-sms/list",
        request=RecordedRequest("GET", "/stop-sms/list", (("apiKey", API_KEY_PLACEHOLDER), *sent)),
        response=RecordedResponse(200, (("content-type", "application/json"),), body),
    )
    token = "REDACTED-TOKEN-0001"  # noqa: S105 (a cassette's placeholder)
    rental_body = (
        b'{"success":true,"token":"REDACTED-TOKEN-0001","status":"ready (recorded)",'
        b'"location":{"sexe":"f","minAge":1,"maxAge":2,"zipcode":"75001","interest":"1",'
        b'"category":1,"details_localisation":[],'
        b'"cost":{"quantity":1,"total":"0.090","cost_unity":"0.090"}},'
        b'"file":{"phoneNumbers":"1"}}'
    )
    rental = Interaction(
        id="plan-02",
        source="plan",
        operation="GET /location/status",
        request=RecordedRequest(
            "GET", "/location/status", (("apiKey", API_KEY_PLACEHOLDER), ("token", token), *sent)
        ),
        response=RecordedResponse(200, (("content-type", "application/json"),), rental_body),
    )
    cassette = path / "cassette.yaml"
    cassette.write_text(
        dump_cassette(Cassette("https://api", "live", "1.0.0", "now", {}, [recorded, rental]))
    )
    return fixtures, cassette


@pytest.mark.parametrize("sent", [(), (("_format", "json"),)], ids=["client", "contract-run"])
def test_the_fixtures_and_replay_options(
    pytester: pytest.Pytester, sent: tuple[tuple[str, str], ...]
) -> None:
    fixtures, cassette = team_files(pytester.path, sent)
    pytester.makepyfile(test_options=OPTION_TESTS)
    result = pytester.runpytest_inprocess(
        *QUIET, "--smspartner-fixtures", fixtures, "--smspartner-replay", cassette
    )
    result.assert_outcomes(passed=1)


NO_RENTAL_TESTS = """
import pytest


def test_the_replay_says_why_it_has_no_token(smspartner_emulator):
    with pytest.raises(LookupError) as caught:
        smspartner_emulator.rental_token(5)
    message = str(caught.value)
    assert "holds no successful JSON answer of GET /location/status" in message
    assert "b22b841a" not in message  # the fixtures' token is not offered instead
"""


def test_under_replay_a_missing_rental_token_is_explained(pytester: pytest.Pytester) -> None:
    cassette = pytester.path / "empty.yaml"
    cassette.write_text(dump_cassette(Cassette("https://api", "live", "1.0.0", "now", {}, [])))
    pytester.makepyfile(test_no_rental=NO_RENTAL_TESTS)
    result = pytester.runpytest_inprocess(*QUIET, "--smspartner-replay", cassette)
    result.assert_outcomes(passed=1)


MANY_TESTS = "\n".join(
    f"def test_{index}(smspartner_emulator):\n    assert smspartner_emulator.url\n"
    for index in range(24)
)


def bad_inputs(path: Path) -> list[tuple[str, Path, str]]:
    fifo = path / "fixtures.fifo"
    os.mkfifo(fifo)
    bomb = path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x]\nb: &b [*a, *a, *a]\n")
    return [
        ("--smspartner-fixtures", path / "missing.yaml", "cannot read: No such file or directory"),
        ("--smspartner-fixtures", fifo, "not a regular file (a FIFO (named pipe))"),
        ("--smspartner-fixtures", path, "not a regular file (a directory)"),
        ("--smspartner-fixtures", bomb, "aliases (*name) are not allowed"),
        ("--smspartner-replay", fifo, "not a regular file"),
        ("--smspartner-replay", bomb, "aliases (*name) are not allowed"),
    ]


def test_a_bad_file_option_is_one_usage_error_for_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_many=MANY_TESTS)
    for number, (option, path, problem) in enumerate(bad_inputs(pytester.path)):
        run = pytester.runpytest_subprocess if number == 0 else pytester.runpytest_inprocess
        result = run(*QUIET, option, str(path))
        assert result.ret == pytest.ExitCode.USAGE_ERROR, (option, path, result.stdout.str())
        errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"ERROR: {option}: {path}: "), errors
        assert problem in errors[0]
        assert "Traceback" not in result.stderr.str() + result.stdout.str()
        assert "passed" not in result.stdout.str()


SIZE_TESTS = """
from smspartner_client.api.stops import list_stop_sms


def test_a_synthetic_stop_list(smspartner_client, smspartner_emulator):
    stops = list_stop_sms.sync(client=smspartner_client)
    assert stops.nb_data == len(stops.data) == 2500
    assert {entry.phone_number[:4] for entry in stops.data} == {"+999"}
"""


def test_the_stop_list_size_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_size=SIZE_TESTS)
    result = pytester.runpytest_inprocess(*QUIET, "--smspartner-stop-list-size", "2500")
    result.assert_outcomes(passed=1)
    refused = pytester.runpytest_inprocess(*QUIET, "--smspartner-stop-list-size", "-1")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
