"""The drift catalogue: what each drift promises the contract run, and what it does to answers.

The promises (check, category, and for a refuted guess the places in the docs' terms) are
fixed with the lead developer; which of the spec's guesses sit at those places is the contract
tests' business (the emulator knows nothing of the spec). Each drift's effect is checked on
the emulator's answers, in-process.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from smspartner_emulator import CATALOGUE, Drift, create_app
from smspartner_emulator.drift import Place
from starlette.applications import Starlette

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
XmlTree = Callable[[bytes | str], list[Any]]
STOPS = "GET /stop-sms/list"
RENTAL = "GET /location/status"
ERROR_STATUS = {Place(STOPS, "error", "status"), Place(RENTAL, "error", "status")}
XML_MEDIA = {
    Place(STOPS, "success", "media-type", "xml"),
    Place(STOPS, "error", "media-type", "xml"),
    Place(RENTAL, "success", "media-type", "xml"),
    Place(RENTAL, "error", "media-type", "xml"),
}
SCHEMA = "response_schema_conformance"


def field(pointer: str) -> set[Place]:
    return {Place(STOPS, "success", "field", "json", pointer)}


PROMISES: dict[str, tuple[str, str, set[Place]]] = {
    "field_renamed": (SCHEMA, "breaking", set()),
    "field_removed": (SCHEMA, "breaking", set()),
    "field_retyped": (SCHEMA, "breaking", set()),
    "date_format_changed": (SCHEMA, "assumption", field("/data/*/createdAt")),
    "phone_format_changed": (SCHEMA, "assumption", field("/data/*/phoneNumber")),
    "success_flag_retyped": (SCHEMA, "breaking", set()),
    "success_flag_flipped": (SCHEMA, "breaking", set()),
    "error_status_changed": ("status_code_conformance", "assumption", ERROR_STATUS),
    "success_status_changed": ("status_code_conformance", "breaking", set()),
    "content_type_changed": ("content_type_conformance", "breaking", set()),
    "error_code_changed": ("documented_error_codes", "breaking", set()),
    "auth_not_enforced": ("documented_error_codes", "breaking", set()),
    "xml_entry_order_changed": (SCHEMA, "breaking", set()),
    "xml_malformed": (SCHEMA, "breaking", set()),
    "nb_data_inconsistent": ("count_consistency", "assumption", field("/nbData")),
    "errors_as_200": (SCHEMA, "assumption", ERROR_STATUS),
    "xml_media_type_changed": ("content_type_conformance", "assumption", XML_MEDIA),
    "field_added": ("additive_drift", "additive", set()),
    "xml_entry_added": ("additive_drift", "additive", set()),
}


def test_the_catalogue_makes_the_agreed_promises() -> None:
    assert list(CATALOGUE) == list(PROMISES)
    for name, (check, category, places) in PROMISES.items():
        drift = CATALOGUE[name]
        assert drift.name == name
        assert (drift.expected_check, drift.category, set(drift.refutes)) == (
            check,
            category,
            places,
        ), name
        assert len(drift.refutes) == len(places), f"{name}: a place given twice"
        assert drift.description
        assert "\n" not in drift.description
        assert isinstance(drift.refutes, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE["field_added"].category = "breaking"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("category", "refutes"),
    [("assumption", ()), ("breaking", (Place(STOPS, "error", "status"),)), ("odd", ())],
)
def test_a_drift_is_consistent(category: Any, refutes: tuple[Place, ...]) -> None:
    with pytest.raises(ValueError, match="x-drift"):
        Drift("x-drift", "d", "check", category, refutes)


@pytest.mark.parametrize(
    "place",
    [
        dict(operation="stop-sms/list", answer="error", aspect="status"),
        dict(operation=STOPS, answer="other", aspect="status"),
        dict(operation=STOPS, answer="error", aspect="body"),
        dict(operation=STOPS, answer="error", aspect="status", media="json"),
        dict(operation=STOPS, answer="success", aspect="field", media="json"),
        dict(operation=STOPS, answer="success", aspect="field", media="json", pointer="nbData"),
        dict(operation=STOPS, answer="success", aspect="media-type"),
        dict(operation=STOPS, answer="success", aspect="media-type", media="xml", pointer="/a"),
    ],
)
def test_a_place_is_consistent(place: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Place"):
        Place(**place)


def test_places_are_in_the_docs_terms_only() -> None:
    """No ledger id (a spec's name) in the catalogue: places name operations and fields."""
    for drift in CATALOGUE.values():
        for place in drift.refutes:
            assert place.operation in {STOPS, RENTAL}
            assert place.media in {"json", "xml", None}


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(access_log=False)


class Answers:
    """The same requests answered with and without one drift."""

    def __init__(self, app: Starlette, drift: str) -> None:
        self.app = app
        self.drift = drift

    async def get(self, path: str, drifted: bool = True, **params: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        headers = {"Prefer": f"scenario={self.drift if drifted else 'none'}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://e/v1") as http:
            return await http.get(path, params=params, headers=headers)

    async def stops(self, drifted: bool = True, fmt: str = "json") -> httpx.Response:
        return await self.get("/stop-sms/list", drifted, apiKey=DEMO_KEY, _format=fmt)

    async def rental(self, drifted: bool = True, fmt: str = "json") -> httpx.Response:
        return await self.get(
            "/location/status", drifted, apiKey=DEMO_KEY, token=DOCS_TOKEN, _format=fmt
        )

    async def wrong_key(self, drifted: bool = True, fmt: str = "json") -> httpx.Response:
        return await self.get("/stop-sms/list", drifted, apiKey="wrong", _format=fmt)


async def test_field_renamed(app: Starlette) -> None:
    entries = (await Answers(app, "field_renamed").stops()).json()["data"]
    assert all("phone" in entry and "phoneNumber" not in entry for entry in entries)


async def test_field_removed(app: Starlette) -> None:
    answers = Answers(app, "field_removed")
    assert "nbData" not in (await answers.stops()).json()
    assert "token" not in (await answers.rental()).json()


async def test_field_retyped(app: Starlette) -> None:
    answers = Answers(app, "field_retyped")
    assert all(isinstance(e["id"], str) for e in (await answers.stops()).json()["data"])
    assert (await answers.rental()).json()["location"]["minAge"] == "31"


async def test_date_and_phone_formats(app: Starlette) -> None:
    dates = (await Answers(app, "date_format_changed").stops()).json()["data"]
    phones = (await Answers(app, "phone_format_changed").stops()).json()["data"]
    assert dates[0]["createdAt"] == "2015-07-20T10:19:45+02:00"
    assert phones[0]["phoneNumber"] == "0600000019"


async def test_success_flags(app: Starlette) -> None:
    retyped = await Answers(app, "success_flag_retyped").stops()
    flipped = await Answers(app, "success_flag_flipped").rental()
    assert retyped.json()["success"] == 1
    assert (flipped.status_code, flipped.json()["success"]) == (200, False)


async def test_statuses(app: Starlette) -> None:
    assert (await Answers(app, "error_status_changed").wrong_key(fmt="xml")).status_code == 401
    assert (await Answers(app, "success_status_changed").rental()).status_code == 201
    as_200 = await Answers(app, "errors_as_200").wrong_key()
    assert (as_200.status_code, as_200.json()["code"]) == (200, 10)


async def test_media_types(app: Starlette) -> None:
    html = Answers(app, "content_type_changed")
    xml = Answers(app, "xml_media_type_changed")
    assert (await html.wrong_key()).headers["content-type"] == "text/html; charset=utf-8"
    assert (await html.stops(fmt="xml")).headers["content-type"] == "application/xml"
    for response in (await xml.stops(fmt="xml"), await xml.wrong_key(fmt="xml")):
        assert response.headers["content-type"] == "text/xml; charset=UTF-8"
    assert (await xml.stops()).headers["content-type"] == "application/json"


async def test_error_code_changed_in_both_formats(app: Starlette, xml_tree: XmlTree) -> None:
    answers = Answers(app, "error_code_changed")
    assert (await answers.wrong_key()).json()["code"] == 11
    assert xml_tree((await answers.wrong_key(fmt="xml")).content)[1] == ("bare", "11")
    no_key = await answers.get("/stop-sms/list")
    assert no_key.json()["code"] == 1


async def test_auth_not_enforced(app: Starlette) -> None:
    answers = Answers(app, "auth_not_enforced")
    keyless = await answers.get("/location/status", token=DOCS_TOKEN)
    assert keyless.status_code == 200
    assert keyless.json()["token"] == DOCS_TOKEN
    assert (await answers.wrong_key()).json()["success"] is True
    assert (await answers.get("/stop-sms/list", _format="yaml")).json()["code"] == 400


async def test_xml_drifts(app: Starlette, xml_tree: XmlTree) -> None:
    order = Answers(app, "xml_entry_order_changed")
    added = Answers(app, "xml_entry_added")
    malformed = Answers(app, "xml_malformed")
    plain = xml_tree((await order.rental(drifted=False, fmt="xml")).content)
    assert xml_tree((await order.rental(fmt="xml")).content) == [plain[1], plain[0], *plain[2:]]
    assert xml_tree((await added.rental(fmt="xml")).content) == [*plain, ("cdata", "sms")]
    whole = (await malformed.stops(drifted=False, fmt="xml")).content
    cut = await malformed.wrong_key(fmt="xml")
    assert (await malformed.stops(fmt="xml")).content == whole[: len(whole) // 2]
    assert not cut.content.rstrip().endswith(b"</result>")
    assert (await order.rental()).json() == (await order.rental(drifted=False)).json()


async def test_nb_data_and_added_fields(app: Starlette) -> None:
    miscount = (await Answers(app, "nb_data_inconsistent").stops()).json()
    added = (await Answers(app, "field_added").stops()).json()
    assert miscount["nbData"] == len(miscount["data"]) + 2
    assert added["requestId"] == "a1b2c3"
    assert all(entry["source"] == "sms" for entry in added["data"])
    assert set(added) - {"requestId"} == {"success", "code", "nbData", "data"}


@pytest.mark.parametrize("name", list(PROMISES))
async def test_every_drift_changes_some_answer_and_nothing_else_breaks(
    app: Starlette, name: str
) -> None:
    answers = Answers(app, name)
    changed = []
    for fetch in (answers.stops, answers.rental, answers.wrong_key):
        for fmt in ("json", "xml"):
            drifted, plain = await fetch(True, fmt), await fetch(False, fmt)
            assert drifted.status_code < 500
            changed.append(
                (drifted.status_code, drifted.headers["content-type"], drifted.content)
                != (plain.status_code, plain.headers["content-type"], plain.content)
            )
    assert any(changed), f"{name} changes nothing"
    assert json.loads((await answers.stops(drifted=False)).content)["nbData"] == 4
