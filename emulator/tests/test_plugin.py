"""The pytest plugin, used as a user would: a test file in a temporary directory, no conftest.

The first run is a fresh `pytest` process (the plugin comes from the installed entry point);
the others run in-process, to keep the pytester runs few and fast.
"""

from __future__ import annotations

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
"""


def test_a_users_suite_runs_green_with_no_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_my_app=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    assert not (pytester.path / "conftest.py").exists()


OPTION_TESTS = """
import pytest
from smspartner_client.api.stops import list_stop_sms


def test_the_options_are_used(smspartner_client, smspartner_emulator):
    assert smspartner_emulator.api_key == "team-key-0042"
    assert smspartner_emulator.rental_token(2) == "team-token-2"
    with pytest.raises(LookupError, match="status code 5"):
        smspartner_emulator.rental_token(5)
    stops = list_stop_sms.sync(client=smspartner_client)  # recorded: one national number
    assert [entry.phone_number for entry in stops.data] == ["0600000007"]
"""


def team_files(path: Path) -> tuple[Path, Path]:
    rental = {
        "token": "team-token-2",
        "status_code": 2,
        "status": "ready",
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
    fixtures = path / "team.yaml"
    fixtures.write_text(
        yaml.safe_dump({"api_keys": ["team-key-0042"], "stop_list": [], "rentals": [rental]})
    )
    body = (
        b'{"success":true,"code":200,"nbData":1,"data":[{"id":7,'
        b'"phoneNumber":"0600000007","createdAt":"2020-01-01 00:00:00"}]}'
    )
    recorded = Interaction(
        id="plan-01",
        source="plan",
        operation="GET /stop-sms/list",
        request=RecordedRequest("GET", "/stop-sms/list", (("apiKey", API_KEY_PLACEHOLDER),)),
        response=RecordedResponse(200, (("content-type", "application/json"),), body),
    )
    cassette = path / "cassette.yaml"
    cassette.write_text(
        dump_cassette(Cassette("https://api", "live", "1.0.0", "now", {}, [recorded]))
    )
    return fixtures, cassette


def test_the_fixtures_and_replay_options(pytester: pytest.Pytester) -> None:
    fixtures, cassette = team_files(pytester.path)
    pytester.makepyfile(test_options=OPTION_TESTS)
    result = pytester.runpytest_inprocess(
        *QUIET, "--smspartner-fixtures", fixtures, "--smspartner-replay", cassette
    )
    result.assert_outcomes(passed=1)


def test_a_bad_option_fails_the_tests_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_options=OPTION_TESTS)
    missing = pytester.path / "missing.yaml"
    result = pytester.runpytest_inprocess(*QUIET, "--smspartner-fixtures", missing)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*--smspartner-fixtures: {missing}: cannot read: No such file or directory*"]
    )
    assert "Traceback" not in result.stdout.str()
