"""A test adds an endpoint (`create_app(routes=...)`) and its data (`fixtures.extra`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from smspartner_emulator import create_app, load_fixtures
from smspartner_emulator.app import RouteCall, RouteError
from smspartner_emulator.encoding import Value

DEMO_KEY = "demo-api-key"
XmlTree = Callable[[bytes | str], list[Any]]
Envelope = Callable[[httpx.Response, int, int, str], None]

FIXTURES = {
    "api_keys": ["team-key"],
    "me": {"credits": 1200, "name": "Jeanne Test", "email": "jeanne@example.invalid"},
}


@pytest.fixture
def fixtures_file(tmp_path: Path) -> Path:
    path = tmp_path / "fixtures.yaml"
    path.write_text(yaml.safe_dump(FIXTURES), encoding="utf-8")
    return path


class Me:
    """GET /me: the account, from the fixtures' `me` section; `detail=bad` is refused."""

    def __init__(self) -> None:
        self.calls: list[RouteCall] = []

    def __call__(self, call: RouteCall) -> Mapping[str, Value] | RouteError:
        self.calls.append(call)
        if call.params.get("detail") == "bad":
            return RouteError(42, "Détail inconnu")
        if call.params.get("detail") == "boom":
            raise RuntimeError("a bug in the test's handler, apiKey=team-key")
        me = call.fixtures.extra["me"]
        return {"success": True, "code": 200, "credits": me["credits"], "email": me["email"]}


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e/v1")


def test_extra_sections_are_kept_and_the_documented_ones_optional(fixtures_file: Path) -> None:
    fixtures = load_fixtures(fixtures_file)
    assert fixtures.extra["me"]["credits"] == 1200
    assert fixtures.stop_list == ()
    assert fixtures.rentals == ()
    assert fixtures.api_keys == ("team-key",)


async def test_an_added_route_is_served_like_the_documented_ones(
    fixtures_file: Path, xml_tree: XmlTree, envelope: Envelope
) -> None:
    me = Me()
    app = create_app(load_fixtures(fixtures_file), access_log=False, routes={"/me": me})
    async with client(app) as http:
        as_json = await http.get("/me", params={"apiKey": "team-key"})
        as_xml = await http.get("/me", params={"apiKey": "team-key", "_format": "xml"})
        again = await http.get("/me", params={"apiKey": "team-key"})
        head = await http.head("/me", params={"apiKey": "team-key"})
        no_key = await http.get("/me")
        wrong_key = await http.get("/me", params={"apiKey": "nope", "_format": "xml"})
        bad_format = await http.get("/me", params={"apiKey": "team-key", "_format": "csv"})
        refused = await http.get("/me", params={"apiKey": "team-key", "detail": "bad"})
        posted = await http.post("/me", params={"apiKey": "team-key"})
        limited = await http.get(
            "/me", params={"apiKey": "team-key"}, headers={"Prefer": "scenario=rate_limited"}
        )
        drifted = await http.get(
            "/me", params={"apiKey": "team-key"}, headers={"Prefer": "scenario=field_added"}
        )
    assert as_json.json() == {
        "success": True,
        "code": 200,
        "credits": 1200,
        "email": "jeanne@example.invalid",
    }
    assert as_xml.headers["content-type"] == "application/xml"
    assert xml_tree(as_xml.content) == [
        ("bare", "true"),
        ("bare", "200"),
        ("bare", "1200"),
        ("cdata", "jeanne@example.invalid"),
    ]
    assert again.content == as_json.content
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(as_json.content))
    envelope(no_key, 400, 1, "La Clé API est requise")
    envelope(wrong_key, 400, 10, "Clé API incorrecte")
    assert bad_format.json()["code"] == 400
    envelope(refused, 400, 42, "Détail inconnu")
    assert posted.status_code == 405
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "1")
    assert drifted.json()["requestId"] == "a1b2c3"
    # Called once per distinct request and scenario (GET and HEAD share it); never when the
    # key, the format or the method is refused first.
    assert [(dict(call.params), call.format) for call in me.calls] == [
        ({"apiKey": "team-key"}, "json"),
        ({"apiKey": "team-key", "_format": "xml"}, "xml"),
        ({"apiKey": "team-key", "detail": "bad"}, "json"),
        ({"apiKey": "team-key"}, "json"),  # rate_limited
        ({"apiKey": "team-key"}, "json"),  # field_added
    ]


async def test_a_handler_that_raises_gets_the_500_envelope_and_one_masked_line(
    caplog: pytest.LogCaptureFixture, fixtures_file: Path
) -> None:
    app = create_app(load_fixtures(fixtures_file), access_log=False, routes={"/me": Me()})
    caplog.set_level(logging.ERROR)
    async with client(app) as http:
        broken = await http.get("/me", params={"apiKey": "team-key", "detail": "boom"})
        after = await http.get("/me", params={"apiKey": "team-key"})
    assert broken.status_code == 500
    assert broken.json()["code"] == 500
    assert after.status_code == 200
    (line,) = [record.getMessage() for record in caplog.records]
    assert line == "unhandled RuntimeError while answering /v1/me"


@pytest.mark.parametrize("path", ["me", "/stop-sms/list", "/location/status"])
def test_a_route_must_be_new_and_below_v1(path: str) -> None:
    with pytest.raises(ValueError, match="expected a new path below /v1"):
        create_app(routes={path: Me()})


async def test_without_the_route_the_path_is_404() -> None:
    async with client(create_app(access_log=False)) as http:
        missing = await http.get("/me", params={"apiKey": DEMO_KEY})
    assert (missing.status_code, missing.json()["code"]) == (404, 404)
