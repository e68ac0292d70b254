"""smspartner-emulator at its floor: the pytest plugin's fixtures, its scenarios and its CLI."""

from __future__ import annotations

import pytest
from smspartner_client import InvalidResponse, RateLimited, TransportError
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_emulator.process import started_emulator


def test_the_client_fixture_reads_the_stop_list(smspartner_client):  # type: ignore[no-untyped-def]
    stops = list_stop_sms.sync(client=smspartner_client)
    assert stops.nb_data == len(stops.data) > 0


def test_rental_tokens_of_the_fixtures(smspartner_emulator, smspartner_client):  # type: ignore[no-untyped-def]
    rental = get_rental_status.sync(
        client=smspartner_client, token=smspartner_emulator.rental_token(5)
    )
    assert rental.success is True


def test_scenarios_through_the_fixture(smspartner_emulator, smspartner_client):  # type: ignore[no-untyped-def]
    with smspartner_emulator.scenario("rate_limited"), pytest.raises(RateLimited):
        list_stop_sms.sync(client=smspartner_client)
    with smspartner_emulator.scenario("truncated"), pytest.raises(InvalidResponse):
        list_stop_sms.sync(client=smspartner_client)
    with smspartner_emulator.scenario("reset"), pytest.raises(TransportError):
        list_stop_sms.sync(client=smspartner_client)
    assert list_stop_sms.sync(client=smspartner_client).success is True


def test_the_command_serves_json_xml_and_html() -> None:
    import httpx

    key = {"apiKey": "demo-api-key"}
    with started_emulator() as emulator:
        stops = f"{emulator.url}/stop-sms/list"
        json = httpx.get(stops, params=key)
        xml = httpx.get(stops, params={**key, "_format": "xml"})
        html = httpx.get(stops, params=key, headers={"Prefer": "scenario=server_error"})
        assert emulator.stop() == 0
    assert (json.status_code, json.headers["content-type"]) == (200, "application/json")
    assert json.json()["success"] is True
    assert (xml.status_code, xml.headers["content-type"]) == (200, "application/xml")
    assert xml.text.startswith("<?xml")
    assert (html.status_code, html.headers["content-type"]) == (502, "text/html; charset=utf-8")
