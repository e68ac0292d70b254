"""Big stop lists: a synthetic list of any size, answers encoded once per scenario (counted, not
timed), shared where a scenario leaves them alone, built off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
from smspartner_emulator import app as app_module
from smspartner_emulator import create_app, default_fixtures
from smspartner_emulator.answers import StopEntries, build_answers
from smspartner_emulator.encoding import CHUNK, Value, to_json, to_xml
from smspartner_emulator.fixtures import (
    SyntheticStopList,
    replace_stop_list,
    synthetic_stop_list,
)

DEMO_KEY = "demo-api-key"
SPEC_PATTERN = re.compile(r"^\+[0-9]{6,15}$")
"""The spec's pattern for international numbers (quoted here, the emulator does not read it)."""
XmlTree = Callable[[bytes | str], list[Any]]
Start = Callable[..., Any]


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e/v1")


def test_a_synthetic_list_is_deterministic_and_nobodys() -> None:
    entries = synthetic_stop_list(3000)
    assert len(entries) == 3000
    assert entries == synthetic_stop_list(3000)
    assert [entry.id for entry in entries[:3]] == [1, 2, 3]
    assert entries[0].phone_number == "+9990000000000"
    assert entries[-1].phone_number == "+9990000002999"
    assert entries[1440].created_at == "2015-01-02 00:00:00"
    assert entries[61].created_at == "2015-01-01 01:01:00"
    assert all(SPEC_PATTERN.match(entry.phone_number) for entry in entries)
    assert len({entry.phone_number for entry in entries}) == 3000
    assert list(entries) == entries[0:3000]
    with pytest.raises(IndexError):
        entries[3000]
    with pytest.raises(ValueError, match="stop list size"):
        SyntheticStopList(-1)


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7])
def test_encoded_in_chunks_as_a_whole_list_would_be(size: int) -> None:
    """The fast encoders give the bytes of the plain ones, on both kinds of stop list."""
    synthetic = synthetic_stop_list(size)
    for entries in (synthetic, tuple(synthetic)):
        data = StopEntries(entries)
        answer: dict[str, Value] = {"success": True, "code": 200, "nbData": size, "data": data}
        items: list[Value] = [
            {"id": e.id, "phoneNumber": e.phone_number, "createdAt": e.created_at} for e in entries
        ]
        plain: dict[str, Value] = {**answer, "data": items}
        assert to_json(answer) == json.dumps(plain, separators=(",", ":")).encode()
        assert to_xml(answer) == to_xml({**plain, "data": tuple(items)})


async def test_the_synthetic_list_in_both_formats(xml_tree: XmlTree) -> None:
    app = create_app(access_log=False, stop_list_size=20_000)
    async with client(app) as http:
        as_json = (await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY})).json()
        as_xml = await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY, "_format": "xml"})
    assert as_json["nbData"] == len(as_json["data"]) == 20_000
    assert all(SPEC_PATTERN.match(entry["phoneNumber"]) for entry in as_json["data"])
    tree = xml_tree(as_xml.content)
    assert tree[2] == ("bare", "20000")
    assert len(tree[3]) == 20_000
    assert tree[3][-1] == [("bare", "20000"), ("cdata", "+9990000019999"), tree[3][-1][2]]
    assert app.state.fixtures.rentals == default_fixtures().rentals  # only the list replaced


def test_answers_are_encoded_once_per_fixture_set_and_scenario() -> None:
    """Counted: the emulator's own builds, and the stop list's encoder calls."""
    app = create_app(access_log=False, stop_list_size=5 * CHUNK)
    emulator = app.state.emulator
    assert emulator.builds == 1  # `none`, at creation

    async def many() -> list[int]:
        async with client(app) as http:
            asks = [
                http.get(
                    "/stop-sms/list",
                    params={"apiKey": DEMO_KEY},
                    headers={"Prefer": "scenario=field_renamed"} if number % 2 else {},
                )
                for number in range(40)
            ]
            return [response.status_code for response in await asyncio.gather(*asks)]

    assert asyncio.run(many()) == [200] * 40
    assert emulator.builds == 2  # `none` and `field_renamed`, each once
    assert asyncio.run(many()) == [200] * 40
    assert emulator.builds == 2


def test_an_answer_a_scenario_leaves_alone_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = replace_stop_list(default_fixtures(), synthetic_stop_list(3 * CHUNK))
    calls = {"json": 0, "xml": 0}
    json_items, xml_items = StopEntries.json_items, StopEntries.xml_items

    def counted_json(self: StopEntries, start: int, stop: int) -> str:
        calls["json"] += 1
        return json_items(self, start, stop)

    def counted_xml(self: StopEntries, start: int, stop: int, depth: int) -> str:
        calls["xml"] += 1
        return xml_items(self, start, stop, depth)

    monkeypatch.setattr(StopEntries, "json_items", counted_json)
    monkeypatch.setattr(StopEntries, "xml_items", counted_xml)
    base = build_answers(fixtures)
    assert calls == {"json": 3, "xml": 3}  # one call per chunk and format
    app = create_app(fixtures, access_log=False)
    emulator = app.state.emulator
    calls.update(json=0, xml=0)
    for name in ("error_code_changed", "xml_entry_added", "slow", "rate_limited"):
        emulator.play(name)
    assert calls == {"json": 0, "xml": 3}  # only xml_entry_added changes the list (in XML)
    play = emulator.play("xml_entry_added")
    assert play.answers.stop_list["json"] is emulator.answers.stop_list["json"]
    assert play.answers.stop_list["xml"] is not emulator.answers.stop_list["xml"]
    assert emulator.play("error_code_changed").answers.own_bytes < 1000
    assert base.stop_list["json"].get.body == emulator.answers.stop_list["json"].get.body


async def test_a_drift_changes_every_entry_of_a_big_list() -> None:
    app = create_app(access_log=False, stop_list_size=3 * CHUNK + 1)
    async with client(app) as http:
        drifted = await http.get(
            "/stop-sms/list",
            params={"apiKey": DEMO_KEY},
            headers={"Prefer": "scenario=phone_format_changed+field_renamed"},
        )
    entries = drifted.json()["data"]
    assert len(entries) == 3 * CHUNK + 1
    assert all(set(entry) == {"id", "phone", "createdAt"} for entry in entries)
    assert entries[-1]["phone"] == "0000003000"


async def test_a_new_scenario_is_built_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one client's new scenario is being built, other clients keep getting answers.

    The build is held until they have: observed, not timed.
    """
    app = create_app(access_log=False)
    emulator = app.state.emulator
    entered, release = threading.Event(), threading.Event()
    threads: list[str] = []
    real = build_answers

    def held(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_module, "build_answers", held)
    loop_thread = threading.current_thread().name
    async with client(app) as http:
        prefer = {"Prefer": "scenario=field_renamed"}
        waiting = [
            asyncio.ensure_future(
                http.get("/stop-sms/list", params={"apiKey": DEMO_KEY}, headers=prefer)
            )
            for _ in range(3)
        ]
        assert await asyncio.to_thread(entered.wait, 30)
        others = [await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY}) for _ in range(10)]
        assert [response.status_code for response in others] == [200] * 10
        assert not any(task.done() for task in waiting)
        release.set()
        drifted = await asyncio.gather(*waiting)
    assert all("phone" in answer.json()["data"][0] for answer in drifted)
    assert threads == [threads[0]]  # one build for the three requests
    assert threads[0].startswith(app_module.BUILDER)
    assert threads[0] != loop_thread
    assert emulator.builds == 2


def test_the_command_serves_a_synthetic_list(start_emulator: Start, cli: Any) -> None:
    with start_emulator("--stop-list-size", "2500", "--log-level", "warning") as emu:
        stops = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY}).json()
        xml = httpx.get(f"{emu.url}/stop-sms/list", params={"apiKey": DEMO_KEY, "_format": "xml"})
    assert stops["nbData"] == 2500
    assert stops["data"][7]["phoneNumber"] == "+9990000000007"
    assert xml.content.count(b"<![CDATA[+999") == 2500
    refused: Sequence[str] = ("-1", "ten", "10000001")
    for value in refused:
        result = cli(["--stop-list-size", value])
        assert result.returncode == 2
        assert "argument --stop-list-size" in result.stderr


def test_kept_answer_sets_are_bounded_by_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond SCENARIO_BYTES, the least recently used sets go; `none`, the app's own scenario
    and the newest stay (the newest even alone over the limit: it is about to be used)."""
    monkeypatch.setattr(app_module, "SCENARIO_BYTES", 1)
    app = create_app(access_log=False, stop_list_size=2 * CHUNK, scenario="field_removed")
    emulator = app.state.emulator
    for name in ("field_renamed", "field_added", "xml_entry_added"):
        emulator.play(name)
        assert emulator.cached() == ("none", "field_removed", name)
    emulator.play("slow")  # shares every answer with `none`: no bytes of its own
    assert emulator.cached() == ("none", "field_removed", "slow")
    assert emulator.play("slow").answers.own_bytes == 0
