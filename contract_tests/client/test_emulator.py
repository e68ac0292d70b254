"""The generated client against the emulator: every documented success and error, sync and async.

Sync calls go to the emulator served on 127.0.0.1 (`emulator_url`); async calls run in-process
through httpx's ASGITransport (`emulator_app`).
"""

from __future__ import annotations

import httpx
import pytest
from smspartner_client import ApiError, AuthenticatedClient, Client
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import (
    DocumentedErrorCode,
    RentalStatus,
    StopEntry,
    StopList,
)
from starlette.applications import Starlette

from contract_tests.client.helpers import (
    DEMO_API_KEY,
    DOCS_TOKEN,
    RENTAL_TOKENS,
    async_client_with,
    emulator_fixtures,
    expected_rental,
    sync_client_with,
)

WRONG_KEY = "not-the-demo-key"

# (client key, token or None for the stop list) -> (code, message) of the error envelope.
ERROR_CASES = {
    "stop list, no key (1)": (None, None, DocumentedErrorCode.API_KEY_REQUIRED),
    "stop list, wrong key (10)": (WRONG_KEY, None, DocumentedErrorCode.API_KEY_INCORRECT),
    "rental, no key (1)": (None, DOCS_TOKEN, DocumentedErrorCode.API_KEY_REQUIRED),
    "rental, wrong key (10)": (WRONG_KEY, DOCS_TOKEN, DocumentedErrorCode.API_KEY_INCORRECT),
    "rental, no token (31)": (DEMO_API_KEY, "", DocumentedErrorCode.RENTAL_TOKEN_REQUIRED),
    "rental, unknown token (32)": (
        DEMO_API_KEY,
        "0000000000000000000000000000000000000000",
        DocumentedErrorCode.RENTAL_NOT_FOUND,
    ),
}
MESSAGES = {
    DocumentedErrorCode.API_KEY_REQUIRED: "La Clé API est requise",
    DocumentedErrorCode.API_KEY_INCORRECT: "Clé API incorrecte",
    DocumentedErrorCode.RENTAL_TOKEN_REQUIRED: "Le token de la location est requis",
    DocumentedErrorCode.RENTAL_NOT_FOUND: "Location introuvable",
}


def check_stop_list(stops: StopList) -> None:
    assert isinstance(stops, StopList)
    assert stops.success is True
    assert stops.code == 200
    expected = emulator_fixtures()["stop_list"]
    assert stops.nb_data == len(expected) == len(stops.data)
    assert all(isinstance(entry, StopEntry) for entry in stops.data)
    assert [entry.to_dict() for entry in stops.data] == expected
    # The docs' entry, field by field.
    first = stops.data[0]
    assert (first.id, first.phone_number, first.created_at) == (
        19,
        "+33600000019",
        "2015-07-20 10:19:45",
    )


def check_docs_rental(rental: RentalStatus) -> None:
    """The docs' example answer ("Statut d'une location"), value by value."""
    assert rental.success is True
    assert rental.token == DOCS_TOKEN
    assert rental.status == "File downloaded by user from api"
    location = rental.location
    assert (location.sexe, location.min_age, location.max_age) == ("femme", 31, 49)
    assert (location.zipcode, location.interest, location.category) == ("60200", "12", 103)
    assert len(location.details_localisation) == 1
    detail = location.details_localisation[0]
    assert (detail.type_, detail.location, detail.volume_desired, detail.volume) == (
        "cp",
        "60200",
        "10",
        "266",
    )
    assert (location.cost.quantity, location.cost.total, location.cost.cost_unity) == (
        10,
        "0.900",
        "0.090",
    )
    assert rental.file.phone_numbers == "10"


def check_rental(rental: RentalStatus, status_code: int) -> None:
    token = RENTAL_TOKENS[status_code]
    assert isinstance(rental, RentalStatus)
    assert rental.token == token
    assert rental.to_dict() == expected_rental(token)
    assert rental.additional_properties == {}
    if status_code == 5:
        check_docs_rental(rental)


def check_error(err: ApiError, expected: DocumentedErrorCode) -> None:
    assert err.status_code == 400
    assert err.code == expected
    assert isinstance(err.code, DocumentedErrorCode)
    assert err.is_documented
    assert err.message == MESSAGES[expected]
    assert err.error.success is False
    assert str(int(expected)) in str(err)
    assert MESSAGES[expected] in str(err)


def call_sync(client: Client, token: str | None) -> StopList | RentalStatus:
    """The stop list (token None) or the rental status of `token`."""
    if token is None:
        return list_stop_sms.sync(client=client)
    return get_rental_status.sync(client=client, token=token)


async def call_async(client: Client, token: str | None) -> StopList | RentalStatus:
    if token is None:
        return await list_stop_sms.asyncio(client=client)
    return await get_rental_status.asyncio(client=client, token=token)


# ---- sync, over a loopback socket ------------------------------------------------------------


def test_stop_list_sync(sync_client: AuthenticatedClient) -> None:
    check_stop_list(list_stop_sms.sync(client=sync_client))


def test_stop_list_sync_detailed(sync_client: AuthenticatedClient) -> None:
    response = list_stop_sms.sync_detailed(client=sync_client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    check_stop_list(response.parsed)


@pytest.mark.parametrize("status_code", sorted(RENTAL_TOKENS))
def test_rental_status_sync(sync_client: AuthenticatedClient, status_code: int) -> None:
    rental = get_rental_status.sync(client=sync_client, token=RENTAL_TOKENS[status_code])
    check_rental(rental, status_code)


@pytest.mark.parametrize(("key", "token", "code"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_errors_sync(
    emulator_url: str, key: str | None, token: str | None, code: DocumentedErrorCode
) -> None:
    with sync_client_with(emulator_url, api_key=key) as client, pytest.raises(ApiError) as info:
        call_sync(client, token)
    check_error(info.value, code)


# ---- async, in-process ----------------------------------------------------------------------


async def test_stop_list_async(async_client: AuthenticatedClient) -> None:
    check_stop_list(await list_stop_sms.asyncio(client=async_client))


async def test_stop_list_async_detailed(async_client: AuthenticatedClient) -> None:
    response = await list_stop_sms.asyncio_detailed(client=async_client)
    assert response.status_code == 200
    check_stop_list(response.parsed)


@pytest.mark.parametrize("status_code", sorted(RENTAL_TOKENS))
async def test_rental_status_async(async_client: AuthenticatedClient, status_code: int) -> None:
    rental = await get_rental_status.asyncio(client=async_client, token=RENTAL_TOKENS[status_code])
    check_rental(rental, status_code)


@pytest.mark.parametrize(("key", "token", "code"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
async def test_errors_async(
    emulator_app: Starlette, key: str | None, token: str | None, code: DocumentedErrorCode
) -> None:
    client = async_client_with(emulator_app, api_key=key)
    async with client:
        with pytest.raises(ApiError) as info:
            await call_async(client, token)
    check_error(info.value, code)


# ---- the key is carried by every call, and only by the client ------------------------------


def test_every_call_carries_the_key_once() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(400, json={"success": False, "code": 32, "message": "x"})

    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=DEMO_API_KEY,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    with client:
        for _ in range(2):
            with pytest.raises(ApiError):
                get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert len(seen) == 2
    for url in seen:
        assert url.path == "/v1/location/status"
        assert url.params.get_list("apiKey") == [DEMO_API_KEY]
        assert url.params.get_list("token") == [DOCS_TOKEN]
        assert "_format" not in url.params  # always the default, JSON


async def test_the_key_survives_a_custom_httpx_client() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"success": True, "code": 200, "nbData": 0, "data": []})

    client = AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=DEMO_API_KEY)
    client.set_async_httpx_client(
        httpx.AsyncClient(base_url="http://127.0.0.1:9/v1", transport=httpx.MockTransport(handler))
    )
    async with client:
        stops = await list_stop_sms.asyncio(client=client)
    assert stops.nb_data == 0
    assert [url.params.get("apiKey") for url in seen] == [DEMO_API_KEY]


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=" ")
