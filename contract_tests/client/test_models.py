"""Round trips of the generated models, tolerance of additive drift, and open error codes."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from smspartner_client import ApiError, AuthenticatedClient
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import DocumentedErrorCode, Error, RentalStatus, StopList

from contract_tests.client.helpers import (
    DEMO_API_KEY,
    DOCS_TOKEN,
    RENTAL_TOKENS,
    mock_client,
    spec_example,
)


def json_answer(body: dict[str, Any], status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


# ---- generated-client round trip --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "example"),
    [
        (StopList, "StopListJson"),
        (RentalStatus, "RentalStatusJson"),
        (Error, "ApiKeyRequiredJson"),
        (Error, "ApiKeyIncorrectJson"),
        (Error, "TokenRequiredJson"),
        (Error, "RentalNotFoundJson"),
    ],
)
def test_spec_examples_round_trip(
    model: type[StopList | RentalStatus | Error], example: str
) -> None:
    """Every JSON example of the spec parses into its model and serialises back unchanged."""
    value = spec_example(example)
    parsed = model.from_dict(copy.deepcopy(value))
    assert parsed.to_dict() == value
    assert model.from_dict(parsed.to_dict()) == parsed


def test_wire_round_trip(emulator_url: str) -> None:
    """What the client parses serialises back to exactly the bytes' JSON the emulator sent."""
    with (
        AuthenticatedClient(base_url=emulator_url, api_key=DEMO_API_KEY) as client,
        httpx.Client(base_url=emulator_url, params={"apiKey": DEMO_API_KEY}) as raw,
    ):
        stops = list_stop_sms.sync_detailed(client=client)
        assert stops.parsed.to_dict() == raw.get("/stop-sms/list").json()
        assert stops.parsed.to_dict() == httpx.Response(200, content=stops.content).json()
        for token in RENTAL_TOKENS.values():
            rental = get_rental_status.sync_detailed(client=client, token=token)
            wire = raw.get("/location/status", params={"token": token}).json()
            assert rental.parsed.to_dict() == wire


# ---- additive drift -------------------------------------------------------------------------


def test_unknown_fields_are_kept() -> None:
    """A field the spec does not know (top level or nested) does not break parsing."""
    body = copy.deepcopy(spec_example("RentalStatusJson"))
    body["createdAt"] = "2026-01-01 00:00:00"
    body["location"]["radius"] = 12
    body["location"]["cost"]["currency"] = "EUR"
    body["location"]["details_localisation"][0]["Extra"] = ["x"]
    body["file"]["url"] = "https://example.invalid/file.csv"
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=DEMO_API_KEY,
        httpx_args={"transport": json_answer(body)},
    )
    with client:
        rental = get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert rental.additional_properties == {"createdAt": "2026-01-01 00:00:00"}
    assert rental.location.additional_properties == {"radius": 12}
    assert rental.location.cost.additional_properties == {"currency": "EUR"}
    assert rental.location.details_localisation[0]["Extra"] == ["x"]
    assert rental.file.additional_properties == {"url": "https://example.invalid/file.csv"}
    assert rental.location.cost.total == "0.900"
    assert rental.to_dict() == body


async def test_unknown_fields_in_the_stop_list_async() -> None:
    body = copy.deepcopy(spec_example("StopListJson"))
    body["page"] = 1
    body["data"][0]["source"] = "sms"
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=DEMO_API_KEY,
        httpx_args={"transport": json_answer(body)},
    )
    async with client:
        stops = await list_stop_sms.asyncio(client=client)
    assert stops.additional_properties == {"page": 1}
    assert stops.data[0].additional_properties == {"source": "sms"}


# ---- open set of error codes --------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 500])
def test_an_undocumented_code_still_parses(status: int) -> None:
    body = {"success": False, "code": 99, "message": "Nouvelle erreur", "hint": "new"}
    with (
        mock_client(lambda request: httpx.Response(status, json=body)) as client,
        pytest.raises(ApiError) as info,
    ):
        list_stop_sms.sync(client=client)
    err = info.value
    assert err.code == 99
    assert type(err.code) is int
    assert not err.is_documented
    assert err.message == "Nouvelle erreur"
    assert err.status_code == status
    assert err.error.additional_properties == {"hint": "new"}
    assert "99 (undocumented code)" in str(err)


def test_every_documented_code_has_its_name() -> None:
    for code in DocumentedErrorCode:
        error = Error.from_dict({"success": False, "code": int(code), "message": "m"})
        assert error.code is code
    assert DocumentedErrorCode(32).name == "RENTAL_NOT_FOUND"


def test_an_error_envelope_with_status_200_is_an_error() -> None:
    """Some APIs answer errors with 200: the envelope is recognised, not misread as data."""
    body = {"success": False, "code": 10, "message": "Clé API incorrecte"}
    with (
        mock_client(lambda request: httpx.Response(200, json=body)) as client,
        pytest.raises(ApiError) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert info.value.code == DocumentedErrorCode.API_KEY_INCORRECT
    assert info.value.status_code == 200
