"""The docs' own examples and code tables, pinned against the emulator's built-in answers.

The examples are hand-edited in the docs: the stop list's number is masked, its XML says
nbData 3 for one entry, and the rental's JSON shows a placeholder token. Those places are
compared by shape; everything else must be equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from smspartner_emulator import default_fixtures

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
Read = Callable[[str], str]
XmlTree = Callable[[bytes | str], list[Any]]


def mask_phone(number: str) -> str:
    """How the docs print a French number: +33 then x for each digit."""
    return re.sub(r"(?<=^\+33)[0-9]+$", lambda m: "x" * len(m.group()), number)


def key_order(value: Any) -> Any:
    """The keys of every object, in order, at every level."""
    if isinstance(value, dict):
        return [(key, key_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [key_order(item) for item in value]
    return None


async def test_stop_list_json_matches_docs(client: httpx.AsyncClient, docs_example: Read) -> None:
    docs = json.loads(docs_example("stop_list_success.json"))
    response = await client.get("/stop-sms/list", params={"apiKey": DEMO_KEY})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    ours = response.json()
    assert list(ours) == list(docs) == ["success", "code", "nbData", "data"]
    assert (ours["success"], ours["code"]) == (docs["success"], docs["code"])
    assert ours["nbData"] == len(ours["data"])
    entry = next(item for item in ours["data"] if item["id"] == 19)
    assert list(entry) == list(docs["data"][0])
    assert {**entry, "phoneNumber": mask_phone(entry["phoneNumber"])} == docs["data"][0]
    assert entry["phoneNumber"] == "+33600000019"


async def test_stop_list_xml_matches_docs(
    client: httpx.AsyncClient, docs_example: Read, xml_tree: XmlTree
) -> None:
    docs = xml_tree(docs_example("stop_list_success.xml"))
    response = await client.get("/stop-sms/list", params={"apiKey": DEMO_KEY, "_format": "xml"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<result>\n')
    ours = xml_tree(response.content)
    assert ours[:2] == docs[:2] == [("bare", "true"), ("bare", "200")]
    assert docs[2] == ("bare", "3")  # the docs' hand-edited count
    assert ours[2] == ("bare", str(len(ours[3])))
    first = ours[3][0]
    masked = [first[0], ("cdata", mask_phone(first[1][1])), first[2]]
    assert masked == docs[3][0]


async def test_location_status_json_matches_docs(
    client: httpx.AsyncClient, docs_example: Read
) -> None:
    docs = json.loads(docs_example("location_status_success.json"))
    query = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN}
    response = await client.get("/location/status", params=query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    ours = response.json()
    assert docs["token"] == "identifiant de la location"  # noqa: S105 (the docs' placeholder)
    assert ours["token"] == DOCS_TOKEN
    assert {**ours, "token": docs["token"]} == docs
    assert key_order(ours) == key_order(docs)


async def test_location_status_xml_is_the_docs_example(
    client: httpx.AsyncClient, docs_example: Read, xml_tree: XmlTree
) -> None:
    docs = xml_tree(docs_example("location_status_success.xml"))
    query = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN, "_format": "xml"}
    response = await client.get("/location/status", params=query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert xml_tree(response.content) == docs


async def test_error_examples_match_docs(
    client: httpx.AsyncClient, docs_example: Read, xml_tree: XmlTree
) -> None:
    for path, stem in (("/stop-sms/list", "stop_list"), ("/location/status", "location_status")):
        as_json = await client.get(path, params={"apiKey": "wrong"})
        docs_json = json.loads(docs_example(f"{stem}_error.json"))
        assert as_json.status_code == 400
        assert list(as_json.json()) == list(docs_json)
        # The stop-list page spells "Clef" in its JSON only; its XML and the other page say "Clé".
        assert {**docs_json, "message": "Clé API incorrecte"} == as_json.json()
        as_xml = await client.get(path, params={"apiKey": "wrong", "_format": "xml"})
        assert as_xml.status_code == 400
        assert xml_tree(as_xml.content) == xml_tree(docs_example(f"{stem}_error.xml"))


async def test_documented_error_codes_and_messages(
    client: httpx.AsyncClient, docs_codes: dict[str, dict[int, str]]
) -> None:
    stop = docs_codes["stop_list_errors"]
    rental = docs_codes["location_status_errors"]
    cases = {
        ("/stop-sms/list", 1): ({}, stop),
        ("/stop-sms/list", 10): ({"apiKey": "nope"}, stop),
        ("/location/status", 1): ({"token": DOCS_TOKEN}, rental),
        ("/location/status", 10): ({"apiKey": "nope", "token": DOCS_TOKEN}, rental),
        ("/location/status", 31): ({"apiKey": DEMO_KEY}, rental),
        ("/location/status", 32): ({"apiKey": DEMO_KEY, "token": "0" * 40}, rental),
    }
    assert {code for _, code in cases} | {200} == set(rental)
    for (path, code), (params, table) in cases.items():
        response = await client.get(path, params=params)
        assert response.json() == {"success": False, "code": code, "message": table[code]}
    ok = await client.get("/stop-sms/list", params={"apiKey": DEMO_KEY})
    assert ok.json()["code"] == 200


def test_one_builtin_rental_per_documented_status(docs_codes: dict[str, dict[int, str]]) -> None:
    fixtures = default_fixtures()
    codes = sorted(rental.status_code for rental in fixtures.rentals)
    assert codes == sorted(docs_codes["rental_status_codes"])
    assert fixtures.rental(5).token == DOCS_TOKEN
    assert fixtures.rental(5).status == "File downloaded by user from api"
    for rental in fixtures.rentals:
        assert re.fullmatch(r"[0-9a-f]{40}", rental.token)
    numbers = [entry.phone_number for entry in fixtures.stop_list]
    for country in ("+33", "+32", "+41", "+262"):
        assert any(number.startswith(country) for number in numbers)
    assert fixtures.api_keys == (DEMO_KEY,)
