"""Reprs (shown in pytest failures and logs) hold no API key, phone number or rental token."""

from __future__ import annotations

from smspartner_emulator import create_app
from smspartner_emulator.answers import build_answers
from smspartner_emulator.app import RouteCall
from smspartner_emulator.fixtures import default_fixtures
from smspartner_emulator.pytest_plugin import EmulatorForTests
from smspartner_emulator.recording import API_KEY_PLACEHOLDER
from smspartner_emulator.replay import (
    Recorded,
    RecordedRental,
    Recording,
    load_replay,
    request_key,
)

KEY = "demo-api-key"
TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
NUMBER = "+33600000007"


def secrets() -> list[str]:
    """Every key, number and token of the default fixtures, and the recording's ones."""
    fixtures = default_fixtures()
    return [
        KEY,
        TOKEN,
        NUMBER,
        *fixtures.api_keys,
        *(entry.phone_number for entry in fixtures.stop_list),
        *(rental.token for rental in fixtures.rentals),
    ]


def assert_clean(text: str) -> None:
    shown = [secret for secret in secrets() if secret in text]
    assert not shown, f"{len(shown)} secret value(s) in a repr"


def recording() -> Recording:
    key = request_key(
        "GET", "/location/status", [("apiKey", API_KEY_PLACEHOLDER), ("token", TOKEN)]
    )
    body = f'{{"token":"{TOKEN}","phoneNumber":"{NUMBER}"}}'.encode()
    return Recording(
        "cassette.yaml",
        {key: Recorded(200, {"content-type": "application/json"}, body)},
        (RecordedRental(TOKEN, "File downloaded by user from api"),),
    )


def test_fixtures_and_their_parts_show_no_key_number_or_token() -> None:
    fixtures = default_fixtures()
    assert_clean(repr(fixtures))
    assert_clean(repr(fixtures.stop_list[0]))
    assert_clean(repr(fixtures.rentals[0]))
    assert repr(fixtures).startswith("Fixtures(api_keys=1, stop_list=")


def test_answers_replay_and_route_calls_show_no_key_number_or_token() -> None:
    fixtures = default_fixtures()
    answers = build_answers(fixtures)
    assert_clean(repr(answers))
    assert_clean(repr(answers.stop_list["json"]))
    assert_clean(repr(recording()))
    assert_clean(repr(load_replay(recording(), [KEY])))
    assert_clean(repr(RouteCall({"apiKey": KEY, "token": TOKEN}, "json", fixtures)))


def test_the_plugin_emulator_shows_no_key_number_or_token() -> None:
    app = create_app(default_fixtures(), access_log=False, replay=recording())
    emulator = EmulatorForTests(
        "http://127.0.0.1:1/v1", app.state.fixtures, app.state.emulator, recording()
    )
    text = repr(emulator)
    assert_clean(text)
    assert "http://127.0.0.1:1/v1" in text
