"""Every real variant of the error envelope (see the spec's `Error`) is an `ApiError` with its code.

The variants are those seen on other endpoints of the same API: "Clef" instead of "Clé", an
`error` object instead of `message` with an extra `credits` object, validation errors as an
`error` or `errors` list of `{elementId, message}`, per-item errors without `message` or without
`code`, no message at all. Each is fed as HTTP 400 and as HTTP 200 (the API's error status is
undocumented), sync and async, through httpx MockTransport.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from smspartner_client import ApiError, InvalidResponse
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import DocumentedErrorCode

from contract_tests.client.helpers import DOCS_TOKEN, mock_client

VALIDATION_ITEMS = [
    {"elementId": "phoneNumber", "message": "Numéro invalide"},
    {"elementId": "sender", "message": "Expéditeur trop long"},
]

# name -> (envelope, expected code, expected message, expected details)
VARIANTS: dict[str, tuple[dict[str, Any], int, str, list[Any]]] = {
    "message, 'Clef' spelling": (
        {"success": False, "code": 10, "message": "Clef API incorrecte"},
        10,
        "Clef API incorrecte",
        [],
    ),
    "error object and credits": (
        {
            "success": False,
            "code": 11,
            "error": {"message": "NOCREDITS"},
            "credits": {"creditSms": 0, "balance": "0.000"},
        },
        11,
        "NOCREDITS",
        [],
    ),
    "error list (validation)": (
        {"success": False, "code": 9, "error": VALIDATION_ITEMS},
        9,
        "phoneNumber: Numéro invalide; sender: Expéditeur trop long",
        VALIDATION_ITEMS,
    ),
    "errors list (validation)": (
        {"success": False, "code": 9, "errors": VALIDATION_ITEMS},
        9,
        "phoneNumber: Numéro invalide; sender: Expéditeur trop long",
        VALIDATION_ITEMS,
    ),
    "items with a code and no message, or a message and no code": (
        {
            "success": False,
            "code": 9,
            "errors": [{"elementId": "phoneNumber", "code": 4}, {"message": "Date invalide"}],
        },
        9,
        "Date invalide",
        [{"elementId": "phoneNumber", "code": 4}, {"message": "Date invalide"}],
    ),
    "no message at all": ({"success": False, "code": 40}, 40, "", []),
    "error as text": ({"success": False, "code": 96, "error": "IP refusée"}, 96, "IP refusée", []),
}


def check(err: ApiError, status: int, code: int, message: str, details: list[Any]) -> None:
    assert err.status_code == status
    assert err.code == code
    assert type(err.code) in (int, DocumentedErrorCode)
    assert err.is_documented is (code in {int(known) for known in DocumentedErrorCode})
    assert err.message == message
    assert err.details == details
    assert err.attempts == 1
    assert f"SMS Partner error {code}" in str(err)
    assert (message or "(no message)") in str(err)


@pytest.mark.parametrize("status", [400, 200])
@pytest.mark.parametrize(
    ("envelope", "code", "message", "details"), VARIANTS.values(), ids=VARIANTS.keys()
)
def test_every_variant_is_an_api_error(
    envelope: dict[str, Any], code: int, message: str, details: list[Any], status: int
) -> None:
    with (
        mock_client(lambda request: httpx.Response(status, json=envelope)) as client,
        pytest.raises(ApiError) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    check(info.value, status, code, message, details)


@pytest.mark.parametrize("status", [400, 200])
@pytest.mark.parametrize(
    ("envelope", "code", "message", "details"), VARIANTS.values(), ids=VARIANTS.keys()
)
async def test_every_variant_is_an_api_error_async(
    envelope: dict[str, Any], code: int, message: str, details: list[Any], status: int
) -> None:
    async with mock_client(lambda request: httpx.Response(status, json=envelope)) as client:
        with pytest.raises(ApiError) as info:
            await list_stop_sms.asyncio(client=client)
    check(info.value, status, code, message, details)


def test_extra_objects_stay_in_the_model() -> None:
    envelope, *_ = VARIANTS["error object and credits"]
    with (
        mock_client(lambda request: httpx.Response(400, json=envelope)) as client,
        pytest.raises(ApiError) as info,
    ):
        list_stop_sms.sync(client=client)
    error = info.value.error
    assert error.additional_properties == {"credits": {"creditSms": 0, "balance": "0.000"}}
    assert error.error == {"message": "NOCREDITS"}
    assert error.to_dict() == envelope


def test_a_documented_code_keeps_its_name() -> None:
    envelope = {"success": False, "code": 32, "message": "Location introuvable"}
    with (
        mock_client(lambda request: httpx.Response(400, json=envelope)) as client,
        pytest.raises(ApiError) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert info.value.code is DocumentedErrorCode.RENTAL_NOT_FOUND
    assert "32 RENTAL_NOT_FOUND: Location introuvable (HTTP 400)" in str(info.value)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"success": False, "code": "10", "message": "m"}, "`code`: expected integer, got string"),
        ({"success": False, "code": True, "message": "m"}, "`code`: expected integer, got boolean"),
        ({"success": False, "code": 10, "message": 12}, "`message`: expected string, got integer"),
        ({"success": "false", "code": 10}, "`success`: expected boolean, got string"),
        ({"success": False, "message": "no code"}, "`code`: expected integer, got nothing"),
    ],
    ids=["code text", "code boolean", "message number", "success text", "no code"],
)
def test_what_is_not_an_envelope_is_not_an_api_error(body: dict[str, Any], problem: str) -> None:
    """Strict where the envelope is documented: a 400 body with a wrong `code`, `success` or
    `message` type is an `InvalidResponse` naming the field, not an `ApiError` with a lie."""
    with (
        mock_client(lambda request: httpx.Response(400, json=body)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        list_stop_sms.sync(client=client)
    assert f"expected the error envelope ({problem})" in str(info.value)
