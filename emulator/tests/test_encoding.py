"""The two encodings: JSON and JMS-style XML say the same thing, for every answer."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from smspartner_emulator import create_app, default_fixtures
from smspartner_emulator.encoding import cdata, to_json, to_xml

DEMO_KEY = "demo-api-key"
XmlTree = Callable[[bytes | str], list[Any]]
AsTree = Callable[[Any], Any]

TRICKY = [
    "]]>",
    "a]]>b]]>",
    "]]]]>",
    "]",
    "]]",
    "<![CDATA[",
    "",
    " spaced ",
    "line\nbreak\ttab",
    "&amp; <tag> \"quote\" 'apos'",
    "é ü ß 中文 🎉",
    "\U0010fffd\ufffd",
]


@pytest.mark.parametrize("text", TRICKY)
def test_cdata_round_trip(xml_tree: XmlTree, text: str) -> None:
    body = to_xml({"value": text, "list": [text, {"nested": text}]})
    assert xml_tree(body) == [("cdata", text), [("cdata", text), [("cdata", text)]]]


def test_cdata_splits_the_end_marker() -> None:
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"


def test_layout_is_two_space_indented_with_inline_cdata() -> None:
    body = to_xml({"ok": True, "n": 7, "s": "x", "empty": [], "obj": {"a": False}})
    assert body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<result>\n"
        "  <entry>true</entry>\n"
        "  <entry>7</entry>\n"
        "  <entry><![CDATA[x]]></entry>\n"
        "  <entry/>\n"
        "  <entry>\n"
        "    <entry>false</entry>\n"
        "  </entry>\n"
        "</result>\n"
    )


def test_json_is_compact_utf8_in_field_order() -> None:
    assert to_json({"b": "é", "a": [1, True]}) == '{"b":"é","a":[1,true]}'.encode()


def tricky_fixtures() -> Any:
    """Built-in fixtures whose strings carry every awkward character sequence."""
    base = default_fixtures()
    rental = base.rental(5)
    where = rental.location
    areas = tuple(
        dataclasses.replace(where.details_localisation[0], type=text, location=text)
        for text in TRICKY
    )
    odd = dataclasses.replace(
        rental,
        token="]]>token",  # noqa: S106 (test data)
        status="]]>" + "".join(TRICKY),
        location=dataclasses.replace(where, sexe="]]>", zipcode="", details_localisation=areas),
    )
    return dataclasses.replace(base, rentals=(*base.rentals, odd))


def all_queries() -> list[tuple[str, dict[str, str]]]:
    fixtures = tricky_fixtures()
    queries: list[tuple[str, dict[str, str]]] = [
        ("/stop-sms/list", {"apiKey": DEMO_KEY}),
        ("/stop-sms/list", {}),
        ("/stop-sms/list", {"apiKey": "no"}),
        ("/location/status", {"apiKey": DEMO_KEY}),
        ("/location/status", {"apiKey": DEMO_KEY, "token": "no"}),
    ]
    queries += [
        ("/location/status", {"apiKey": DEMO_KEY, "token": rental.token})
        for rental in fixtures.rentals
    ]
    return queries


@pytest.mark.parametrize(("path", "params"), all_queries())
async def test_xml_says_what_json_says(
    xml_tree: XmlTree, as_tree: AsTree, path: str, params: dict[str, str]
) -> None:
    app = create_app(tricky_fixtures(), access_log=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        as_json = await http.get(path, params=params)
        as_xml = await http.get(path, params={**params, "_format": "xml"})
    assert as_json.status_code == as_xml.status_code
    assert as_xml.headers["content-type"] == "application/xml"
    assert xml_tree(as_xml.content) == as_tree(json.loads(as_json.content))


async def test_empty_list_is_an_empty_entry(client: httpx.AsyncClient, xml_tree: XmlTree) -> None:
    token = default_fixtures().rental(3).token
    params = {"apiKey": DEMO_KEY, "token": token, "_format": "xml"}
    response = await client.get("/location/status", params=params)
    assert b"\n    <entry/>\n" in response.content
    assert xml_tree(response.content)[3][6] == []


async def test_empty_stop_list(xml_tree: XmlTree) -> None:
    app = create_app(dataclasses.replace(default_fixtures(), stop_list=()), access_log=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
        as_json = await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY})
        as_xml = await http.get("/stop-sms/list", params={"apiKey": DEMO_KEY, "_format": "xml"})
    assert as_json.json() == {"success": True, "code": 200, "nbData": 0, "data": []}
    assert xml_tree(as_xml.content) == [("bare", "true"), ("bare", "200"), ("bare", "0"), []]
