"""No output of a run carries the API key, a rental token or a phone number of the STOP list.

The target here is hostile on purpose: it answers like the emulator, with distinctive
numbers, token and key, and echoes them where a report would quote them (a date field holding
the raw query, a status holding the token, digits holding the key, national numbers that
refute the phone guess). Every output is searched: stdout, stderr, summary.md, junit.xml,
report.json and the cassette, for each value whole, URL-encoded and any 8-character part
(6 for a phone number, of which a mask shows the first three and last two).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from smspartner_emulator import create_app, load_fixtures
from smspartner_emulator.recording import load_cassette
from smspartner_emulator.server import serving
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.runs import ROOT, assert_hidden, outputs, run_cli


def text_encoding(body: bytes) -> str:
    return json.detect_encoding(body)


KEY = "Kx7-team/key+value-2026"
TOKEN = "5e3a9c0d7f1b2468ace013579bdf2468ace01357"  # noqa: S105 (a made-up rental token)
PHONES = ("+33698765432", "+33698765431")
NATIONAL = "0698765439"
BARE = "33698765438"
"""A number no pattern finds (no `+`, no leading 0): masked because it is in a phone field."""
DEFAULT_FIXTURES = ROOT / "emulator" / "smspartner_emulator" / "fixtures" / "default.yaml"


class Echoing:
    """Answers like the wrapped emulator, but quotes the request where reports quote answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start, body = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
        headers = dict(start["headers"])
        if headers.get(b"content-type", b"").startswith(b"application/json"):
            data = self.rewrite(json.loads(body), scope)
            body = json.dumps(data).encode()
            if data.get("success") is False:  # errors in UTF-16, which JSON allows
                body = json.dumps(data).encode("utf-16")
                headers[b"content-type"] = b"application/json; charset=utf-16"
            headers[b"content-length"] = str(len(body)).encode()
        await send({**start, "headers": list(headers.items())})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def rewrite(data: Any, scope: Scope) -> Any:
        query = scope["query_string"].decode("latin-1")
        if isinstance(data, dict) and data.get("success") is False:
            data["message"] = f"requested: {query}"
        elif isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]:
            data["data"][0]["phoneNumber"] = NATIONAL
            data["data"][0]["createdAt"] = query
            data["data"][2]["phoneNumber"] = BARE
            data["data"][3]["createdAt"] = "x" * 70 + query  # cut short in a schema message
        elif isinstance(data, dict) and "location" in data:
            data["status"] = TOKEN
            data["file"]["phoneNumbers"] = f"key {KEY}"
        return data


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    data["api_keys"] = [KEY]
    data["stop_list"][0]["phoneNumber"], data["stop_list"][1]["phoneNumber"] = PHONES
    data["rentals"][-1]["token"] = TOKEN
    path = tmp_path_factory.mktemp("fixtures") / "hostile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with serving(Echoing(create_app(load_fixtures(path), access_log=False))) as url:
        yield url


def against(url: str, **more: str) -> dict[str, str]:
    """The environment of a run against the hostile target, with its key and rental."""
    return {
        "SMSPARTNER_BASE_URL": url,
        "SMSPARTNER_API_KEY": KEY,
        "SMSPARTNER_RENTAL_TOKEN": TOKEN,
        **more,
    }


def assert_nothing_personal(text: str) -> None:
    assert_hidden(text, KEY)
    assert_hidden(text, TOKEN)
    for number in (*PHONES, NATIONAL, BARE):
        assert_hidden(text, number, window=6)


def test_no_output_carries_the_key_a_token_or_a_phone_number(
    tmp_path: Path, hostile_url: str
) -> None:
    result = run_cli(tmp_path, env=against(hostile_url, SMSPARTNER_CONTRACT_EXAMPLES="5"))
    # UTF-16 error bodies break schemathesis's decoding (breaking); the echoes refute guesses.
    assert result.returncode == 1, result.stdout + result.stderr
    text = outputs(result, tmp_path)
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text("utf-8"))
    refuted = {a["id"] for a in report["assumptions"] if a["verdict"] == "refuted"}
    assert {"phone-number-format", "created-at-format", "rental-status-texts"} <= refuted
    assert_nothing_personal(text)
    bodies = [
        i.response.body.decode(text_encoding(i.response.body))
        for i in load_cassette(tmp_path / "build" / "contract" / "cassette.yaml")
        if i.response is not None
    ]
    assert any("requested:" in body for body in bodies)  # the UTF-16 errors were recorded
    for secret in (KEY, TOKEN):
        assert_hidden("\n".join(bodies), secret)
    observed = {a["id"]: a["observed"] for a in report["assumptions"]}
    assert "'063998" in observed["phone-number-format"]  # the fictional national range
    assert "'00000000" in observed["rental-status-texts"]  # the token's placeholder
    cassette = (tmp_path / "build" / "contract" / "cassette.yaml").read_text("utf-8")
    assert "REDACTED-API-KEY" in cassette
    # A phone number becomes a number nobody has, of its shape: the ITU's spare country code
    # 999 for an international one, ARCEP's range for fiction for a national one.
    assert re.search(r'"phoneNumber": ?"\+999\d{8}"', cassette)
    assert re.search(r'"phoneNumber": ?"063998\d{4}"', cassette)


def test_a_replay_of_that_recording_carries_none_of_them_either(
    tmp_path: Path, hostile_url: str
) -> None:
    first = run_cli(tmp_path, env=against(hostile_url, SMSPARTNER_CONTRACT_MODE="live"))
    replay = run_cli(tmp_path, "replay", "build/contract/cassette.yaml")
    assert replay.returncode == first.returncode == 1, replay.stdout + replay.stderr
    assert_nothing_personal(outputs(replay, tmp_path))
