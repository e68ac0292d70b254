"""Types that do not lie: strict on JSON types, lenient on purpose on everything else.

A 200 whose fields have the wrong JSON type raises `InvalidResponse` naming the field (JSON name
and index) and the expected type, never a model holding a string where the annotation says `int`.
What the client accepts on purpose: unknown fields (kept in `additional_properties`), and what
the spec marks as a guess or that is not a type (formats, patterns, ranges, rental status texts,
`nbData` against `len(data)`). The client reads JSON only (`_format=xml` is not offered), so XML
entries do not concern it.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from smspartner_client import InvalidResponse
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import RentalStatus, StopList

from contract_tests.client.helpers import DOCS_TOKEN, mock_client, spec_example

Edit = Callable[[dict[str, Any]], object]


def stop_list(edit: Edit) -> dict[str, Any]:
    body = copy.deepcopy(spec_example("StopListJson"))
    edit(body)
    return body


def rental(edit: Edit) -> dict[str, Any]:
    body = copy.deepcopy(spec_example("RentalStatusJson"))
    edit(body)
    return body


def entry(name: str, value: Any) -> Edit:
    return lambda body: body["data"][0].__setitem__(name, value)


def top(name: str, value: Any) -> Edit:
    return lambda body: body.__setitem__(name, value)


def drop(name: str) -> Edit:
    return lambda body: body.pop(name)


# name -> (answer of the stop list, field, expected type, got)
WRONG_STOP_LISTS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "id as text": (stop_list(entry("id", "19")), "data[0].id", "integer", "string"),
    "success as text": (stop_list(top("success", "yes")), "success", "boolean", "string"),
    "createdAt null": (stop_list(entry("createdAt", None)), "data[0].createdAt", "string", "null"),
    "phoneNumber as a number": (
        stop_list(entry("phoneNumber", 33612345678)),
        "data[0].phoneNumber",
        "string",
        "integer",
    ),
    "nbData NaN": (stop_list(top("nbData", math.nan)), "nbData", "integer", "NaN"),
    "nbData Infinity": (stop_list(top("nbData", math.inf)), "nbData", "integer", "Infinity"),
    "nbData 1.0": (stop_list(top("nbData", 1.0)), "nbData", "integer", "number"),
    "id boolean": (stop_list(entry("id", True)), "data[0].id", "integer", "boolean"),
    "data an object": (stop_list(top("data", {"0": {}})), "data", "array", "object"),
    "entry a string": (stop_list(top("data", ["+33600000019"])), "data[0]", "object", "string"),
    "code 201": (stop_list(top("code", 201)), "code", "200", "another integer"),
    "success false without a code (no envelope)": (
        stop_list(lambda body: (body.update(success=False), body.pop("code"))),
        "success",
        "true",
        "false",
    ),
    "phoneNumber missing": (
        stop_list(lambda body: body["data"][0].pop("phoneNumber")),
        "data[0].phoneNumber",
        "string",
        "nothing",
    ),
    "a list": ([1, 2], "", "object", "array"),  # type: ignore[dict-item]
}

WRONG_RENTALS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "quantity as text": (
        rental(lambda body: body["location"]["cost"].__setitem__("quantity", "10")),
        "location.cost.quantity",
        "integer",
        "string",
    ),
    "total as a number": (
        rental(lambda body: body["location"]["cost"].__setitem__("total", 0.9)),
        "location.cost.total",
        "string",
        "number",
    ),
    "file a list": (rental(top("file", [])), "file", "object", "array"),
    "details an object": (
        rental(lambda body: body["location"].__setitem__("details_localisation", {})),
        "location.details_localisation",
        "array",
        "object",
    ),
    "token missing": (rental(drop("token")), "token", "string", "nothing"),
    "Volume as a number": (
        rental(lambda body: body["location"]["details_localisation"][0].__setitem__("Volume", 266)),
        "location.details_localisation[0].Volume",
        "string",
        "integer",
    ),
}


def check(err: InvalidResponse, field: str, expected: str, got: str) -> None:
    assert err.status_code == 200
    assert err.field == field
    assert err.expected == expected
    where = f"`{field}`" if field else "the answer"
    assert f"{where}: expected {expected}, got {got}" in err.reason
    assert f"{where}: expected {expected}, got {got}" in str(err)


@pytest.mark.parametrize(
    ("body", "field", "expected", "got"), WRONG_STOP_LISTS.values(), ids=WRONG_STOP_LISTS.keys()
)
def test_a_wrong_type_names_the_field(body: Any, field: str, expected: str, got: str) -> None:
    text = json.dumps(body)  # NaN and Infinity written as Python writes them
    with (
        mock_client(lambda request: httpx.Response(200, text=text)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        list_stop_sms.sync(client=client)
    check(info.value, field, expected, got)
    assert "33612345678" not in info.value.reason  # the type is named, never the value


@pytest.mark.parametrize(
    ("body", "field", "expected", "got"), WRONG_RENTALS.values(), ids=WRONG_RENTALS.keys()
)
async def test_a_wrong_type_in_a_rental_names_the_field(
    body: dict[str, Any], field: str, expected: str, got: str
) -> None:
    async with mock_client(lambda request: httpx.Response(200, json=body)) as client:
        with pytest.raises(InvalidResponse) as info:
            await get_rental_status.asyncio(client=client, token=DOCS_TOKEN)
    check(info.value, field, expected, got)


def test_nan_written_by_the_server_names_the_field() -> None:
    """NaN as the server writes it (not valid JSON, but Python's parser reads it)."""
    text = '{"success": true, "code": 200, "nbData": NaN, "data": []}'
    with (
        mock_client(lambda request: httpx.Response(200, text=text)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        list_stop_sms.sync(client=client)
    check(info.value, "nbData", "integer", "NaN")


# ---- lenient on purpose ----------------------------------------------------------------------

LENIENT_STOP_LIST = stop_list(
    lambda body: (
        body["data"][0].update(
            phoneNumber="0600000019",  # national form (phone-number-format is a guess)
            createdAt="1534615206",  # epoch string (created-at-format is a guess)
            id=0,  # below the guessed minimum of 1
            source="sms",  # unknown field
        ),
        body.update(nbData=3, page={"next": None}),  # nbData is not checked against data
    )
)
LENIENT_RENTAL = rental(
    lambda body: (
        body.update(status="File archived", createdAt="2026-01-01 00:00:00"),
        body["location"]["cost"].update(total="0,900", quantity=-1, currency="EUR"),
        body["location"].update(minAge=-5),
        body["file"].update(phoneNumbers=""),
    )
)


def test_guesses_and_unknown_fields_are_accepted() -> None:
    with mock_client(lambda request: httpx.Response(200, json=LENIENT_STOP_LIST)) as client:
        stops = list_stop_sms.sync(client=client)
    assert isinstance(stops, StopList)
    assert stops.to_dict() == LENIENT_STOP_LIST
    assert (stops.data[0].phone_number, stops.data[0].created_at) == ("0600000019", "1534615206")
    assert stops.nb_data == 3 != len(stops.data)
    assert stops.additional_properties == {"page": {"next": None}}
    assert stops.data[0].additional_properties == {"source": "sms"}


async def test_guesses_in_a_rental_are_accepted() -> None:
    async with mock_client(lambda request: httpx.Response(200, json=LENIENT_RENTAL)) as client:
        status = await get_rental_status.asyncio(client=client, token=DOCS_TOKEN)
    assert isinstance(status, RentalStatus)
    assert status.status == "File archived"  # not one of the guessed texts
    assert status.location.cost.total == "0,900"
    assert status.location.cost.quantity == -1
    assert status.location.cost.additional_properties == {"currency": "EUR"}
    assert status.to_dict() == LENIENT_RENTAL


def test_the_documented_answers_pass_the_checks() -> None:
    for name, call in (("StopListJson", "stops"), ("RentalStatusJson", "rental")):
        body = spec_example(name)
        with mock_client(lambda request, body=body: httpx.Response(200, json=body)) as client:
            if call == "stops":
                parsed: StopList | RentalStatus = list_stop_sms.sync(client=client)
            else:
                parsed = get_rental_status.sync(client=client, token=DOCS_TOKEN)
        assert parsed.to_dict() == body
