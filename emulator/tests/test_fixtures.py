"""Fixtures files: a good one replaces the built-ins, a bad one is refused in one line."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from smspartner_emulator import (
    Fixtures,
    FixturesError,
    create_app,
    default_fixtures,
    load_fixtures,
)
from smspartner_emulator.fixtures import fixtures_to_data

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
OTHER_TOKEN = "0123456789abcdef0123456789abcdef01234567"  # noqa: S105 (test data)

Mutation = Callable[[dict[str, Any]], None]


def builtin_data() -> dict[str, Any]:
    return copy.deepcopy(fixtures_to_data(default_fixtures()))


def write(tmp_path: Path, data: object, name: str = "fixtures.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def small_data() -> dict[str, Any]:
    rental = builtin_data()["rentals"][4]
    rental["token"] = OTHER_TOKEN
    rental["status_code"] = 2
    rental["status"] = "Ready"
    return {
        "api_keys": ["team-key", "ci-key"],
        "stop_list": [
            {"id": 7, "phoneNumber": "+4915112345678", "createdAt": "2020-01-02 03:04:05"}
        ],
        "rentals": [rental],
    }


async def test_a_fixtures_file_replaces_the_builtins(tmp_path: Path) -> None:
    app = create_app(load_fixtures(write(tmp_path, small_data())), access_log=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        old_key = await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY})
        stops = await http.get("/stop-sms/list", params={"apiKey": "ci-key"})
        old_token = await http.get(
            "/location/status", params={"apiKey": "team-key", "token": DOCS_TOKEN}
        )
        new_token = await http.get(
            "/location/status", params={"apiKey": "team-key", "token": OTHER_TOKEN}
        )
    assert old_key.json()["code"] == 10
    assert stops.json()["data"] == [
        {"id": 7, "phoneNumber": "+4915112345678", "createdAt": "2020-01-02 03:04:05"}
    ]
    assert stops.json()["nbData"] == 1
    assert old_token.json()["code"] == 32
    assert new_token.json()["token"] == OTHER_TOKEN
    assert new_token.json()["status"] == "Ready"
    assert "status_code" not in new_token.text


def test_the_builtin_file_round_trips(tmp_path: Path) -> None:
    assert load_fixtures(write(tmp_path, builtin_data())) == default_fixtures()


async def test_fixtures_built_in_code() -> None:
    base = default_fixtures()
    fixtures = dataclasses.replace(base, api_keys=(*base.api_keys, "second-key"))
    transport = httpx.ASGITransport(app=create_app(fixtures, access_log=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        for key in (DEMO_KEY, "second-key"):
            response = await http.get("/stop-sms/list", params={"apiKey": key})
            assert response.status_code == 200
    with pytest.raises(dataclasses.FrozenInstanceError):
        fixtures.api_keys = ()  # type: ignore[misc]


def test_fixtures_built_in_code_are_validated_too() -> None:
    base = default_fixtures()
    with pytest.raises(FixturesError, match=r"^fixtures: api_keys\[1\]: duplicate value"):
        create_app(dataclasses.replace(base, api_keys=(DEMO_KEY, DEMO_KEY)))
    bad_stop = dataclasses.replace(base.stop_list[0], phone_number="06\x0000")
    with pytest.raises(FixturesError, match=r"stop_list\[0\]\.phoneNumber: character U\+0000"):
        create_app(dataclasses.replace(base, stop_list=(bad_stop,)))
    with pytest.raises(FixturesError, match=r"api_keys: expected at least one item"):
        create_app(Fixtures(api_keys=()))


def set_at(path: str, value: object) -> Mutation:
    """Set `a.b[2].c` in the data (the value `DELETE` removes the key)."""

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        steps = path.replace("[", ".").replace("]", "").split(".")
        for step in steps[:-1]:
            target = target[int(step)] if step.isdigit() else target[step]
        last = steps[-1]
        if value is DELETE:
            del target[last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


DELETE = object()

BAD_DATA: list[tuple[Mutation, str]] = [
    (
        set_at("rentals[2].location.cost.total", 0.9),
        "rentals[2].location.cost.total: expected a string, got a decimal number (quote it)",
    ),
    (
        set_at("rentals[0].location.cost", DELETE),
        "rentals[0].location: missing key 'cost'",
    ),
    (
        set_at("stop_list[0].extra", 1),
        "stop_list[0]: unknown key 'extra' (expected id, phoneNumber, createdAt)",
    ),
    (
        set_at("stop_list[1].phoneNumber", 33600000000),
        "stop_list[1].phoneNumber: expected a string, got an integer (quote it)",
    ),
    (set_at("stop_list[0].createdAt", None), "stop_list[0].createdAt: expected a string, got"),
    (set_at("stop_list[0].id", "19"), "stop_list[0].id: expected an integer, got string '19'"),
    (set_at("stop_list[0].id", 1.5), "stop_list[0].id: expected an integer, got a decimal number"),
    (set_at("stop_list[2].id", 19), "stop_list[2].id: duplicate value 19"),
    (
        set_at("rentals[4].token", "8849930ce22d14b607192beaaa67d275ae25558d"),
        "rentals[4].token: duplicate value (a token: not shown)",
    ),
    (set_at("rentals[1].token", ""), "rentals[1].token: expected a non-empty string"),
    (
        set_at("rentals[1].token", 1234),
        "rentals[1].token: expected a string, got an integer (quote it)",
    ),
    (set_at("rentals[3].status_code", 4), "rentals[3].status_code: expected one of 0, 1, 2, 3, 5"),
    (set_at("rentals[3].status_code", None), "rentals[3].status_code: expected an integer, got"),
    (
        set_at("rentals[0].location.minAge", True),
        "rentals[0].location.minAge: expected an integer, got boolean true",
    ),
    (
        set_at("rentals[0].location.zipcode", 75001),
        "rentals[0].location.zipcode: expected a string, got an integer (quote it)",
    ),
    (
        set_at("rentals[1].location.details_localisation[1].VolumeDesired", ["10"]),
        "rentals[1].location.details_localisation[1].VolumeDesired: expected a string, got a list",
    ),
    (
        set_at("rentals[1].location.details_localisation", {"Type": "cp"}),
        "rentals[1].location.details_localisation: expected a list, got a mapping",
    ),
    (set_at("rentals[0].file", "10"), "rentals[0].file: expected a mapping, got a string"),
    (
        set_at("rentals[0].status", "bell\x07"),
        "rentals[0].status: character U+0007 cannot be sent in XML 1.0",
    ),
    (
        set_at("rentals[0].location.sexe", "a\rb"),
        "rentals[0].location.sexe: character U+000D cannot be sent in XML 1.0",
    ),
    (set_at("api_keys", []), "api_keys: expected at least one item"),
    (set_at("api_keys[0]", ""), "api_keys[0]: expected a non-empty string"),
    (set_at("api_keys", ["a", "b", "a"]), "api_keys[2]: duplicate value (a key: not shown)"),
    (set_at("api_keys", DELETE), "missing key 'api_keys'"),
    (set_at("rentals", {"token": "x"}), "rentals: expected a list, got a mapping"),
    (set_at("stop_list", None), "stop_list: expected a list, got nothing (null)"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD_DATA)
def test_malformed_files_are_refused_in_one_line(
    tmp_path: Path, mutate: Mutation, message: str
) -> None:
    data = builtin_data()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(FixturesError) as caught:
        load_fixtures(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: {message}")
    assert "\n" not in text


@pytest.mark.parametrize(
    ("content", "message", "hidden"),
    [
        (
            b"api_keys: [k]\nstop_list:\n - {id: 1, phoneNumber: +33612345678, createdAt: x}\n",
            "stop_list[0].phoneNumber: expected a string, got an integer (quote it)",
            "33612345678",
        ),
        (
            b"api_keys: [k]\nstop_list: ['+33612345678']\n",
            "stop_list[0]: expected a mapping, got a string",
            "33612345678",
        ),
        (
            b"api_keys: [123456789]\n",
            "api_keys[0]: expected a string, got an integer (quote it)",
            "123456789",
        ),
        (
            b"api_keys: [k]\nrentals:\n - b22b841a21624f4f452ba7fa8c822c0ed7cecfdb\n",
            "rentals[0]: expected a mapping, got a string",
            "b22b841a",
        ),
    ],
)
def test_refusals_name_the_kind_of_a_value_never_the_value(
    tmp_path: Path, content: bytes, message: str, hidden: str
) -> None:
    path = tmp_path / "personal.yaml"
    path.write_bytes(content)
    with pytest.raises(FixturesError) as caught:
        load_fixtures(path)
    assert str(caught.value) == f"{path}: {message}"
    assert hidden not in str(caught.value)


def test_a_duplicate_rental_token_is_not_shown() -> None:
    base = default_fixtures()
    twice = (base.rentals[0], base.rentals[0])
    with pytest.raises(FixturesError) as caught:
        create_app(dataclasses.replace(base, rentals=twice))
    assert str(caught.value) == "fixtures: rentals[1].token: duplicate value (a token: not shown)"
    assert base.rentals[0].token not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "expected a mapping, got nothing (null)"),
        (b"- 1\n- 2\n", "expected a mapping, got a list"),
        (b"api_keys: [\n", "invalid YAML: line 2, column 1: did not find expected node content"),
        (b"a: b: c\n", "invalid YAML: line 1, column 5: mapping values are not allowed in this"),
        (b"api_keys: [k]\nstop_list: []\nrentals: []\n---\nx: 1\n", "invalid YAML"),
        (b"\xff\xfe", "not UTF-8"),
        (
            b"api_keys: [k]\nstop_list:\n - {id: 1, phoneNumber: '+33600000001', "
            b"createdAt: 2015-07-20 10:19:45}\nrentals: []\n",
            "stop_list[0].createdAt: expected a string, got a date and time (quote it)",
        ),
    ],
)
def test_unusable_yaml_is_refused_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    with pytest.raises(FixturesError) as caught:
        load_fixtures(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(FixturesError, match=r"missing\.yaml: cannot read: No such file"):
        load_fixtures(missing)
    with pytest.raises(FixturesError, match=r": not a regular file \(a directory\)$"):
        load_fixtures(tmp_path)


def test_minimal_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"api_keys": ["k"], "stop_list": [], "rentals": []})
    assert load_fixtures(path) == Fixtures(api_keys=("k",))


RECORDED_LOOKING = [
    ("stop_list[0].phoneNumber", "0600000019"),  # a national number
    ("stop_list[1].phoneNumber", "+33 6 00 00 00 00"),
    ("stop_list[0].createdAt", "2015-07-20T10:19:45+02:00"),  # ISO 8601
    ("stop_list[1].createdAt", "1534615206"),  # an epoch string
    ("stop_list[2].createdAt", "2015-02-30 10:19:45"),  # not a real date
    ("stop_list[0].id", 0),
    ("rentals[0].location.cost.cost_unity", "0,090"),
    ("rentals[1].location.details_localisation[1].VolumeDesired", "ten"),
    ("rentals[0].file.phoneNumbers", ""),
    ("rentals[0].location.minAge", -1),
]


async def test_values_a_recording_may_hold_are_accepted_and_sent_as_written(
    tmp_path: Path,
) -> None:
    """The checks keep what encoding needs, not the docs' formats: paste a recorded answer."""
    data = builtin_data()
    for place, value in RECORDED_LOOKING:
        set_at(place, value)(data)
    fixtures = load_fixtures(write(tmp_path, data))
    transport = httpx.ASGITransport(app=create_app(fixtures, access_log=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        stops = await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY})
        rental = await http.get(
            "/location/status", params={"apiKey": DEMO_KEY, "token": data["rentals"][1]["token"]}
        )
    assert stops.json()["data"] == data["stop_list"]
    assert rental.json()["location"] == data["rentals"][1]["location"]


def test_a_fixtures_file_too_large_is_refused_in_one_line(tmp_path: Path) -> None:
    from smspartner_emulator.fixtures import MAX_FIXTURES_BYTES

    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * (MAX_FIXTURES_BYTES + 1))
    with pytest.raises(FixturesError, match=r"huge\.yaml: larger than 128 MiB"):
        load_fixtures(huge)
