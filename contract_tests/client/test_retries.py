"""Retries: transport failures, 429, 502, 503 and 504 are tried again with back-off or
`Retry-After`, `max_retries` times (2 by default, 0 turns it off), never past the deadline.

Servers fail then answer on 127.0.0.1 (fault_server.py sequences) or through MockTransport. The
only timing assert is the one the issue asks for: a 429 with `Retry-After: 1` is retried after
at least a second.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from smspartner_client import (
    ApiError,
    AuthenticatedClient,
    RateLimited,
    SmsPartnerError,
    TransportError,
    UnexpectedStatus,
)
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import StopList

from contract_tests.client.fault_server import STOP_LIST, fault_server
from contract_tests.client.helpers import SECRET_KEY, mock_client

NO_WAIT = {"Retry-After": "0"}
FAILS_TWICE = {
    "503 twice": (("unavailable_503", "unavailable_503", "stop_list"), UnexpectedStatus),
    "connection closed twice": (("close", "close", "stop_list"), TransportError),
}


def loopback(url: str, **options: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, api_key=SECRET_KEY, **options)


@pytest.mark.parametrize(
    "sequence", [seq for seq, _ in FAILS_TWICE.values()], ids=FAILS_TWICE.keys()
)
def test_fails_twice_then_answers_with_default_settings(sequence: tuple[str, ...]) -> None:
    with fault_server(sequence) as url, loopback(url) as client:
        response = list_stop_sms.sync_detailed(client=client)
    assert isinstance(response.parsed, StopList)
    assert response.parsed.to_dict() == STOP_LIST


@pytest.mark.parametrize(
    "sequence", [seq for seq, _ in FAILS_TWICE.values()], ids=FAILS_TWICE.keys()
)
async def test_fails_twice_then_answers_async(sequence: tuple[str, ...]) -> None:
    with fault_server(sequence) as url:
        async with loopback(url) as client:
            stops = await list_stop_sms.asyncio(client=client)
    assert stops.to_dict() == STOP_LIST


@pytest.mark.parametrize(("sequence", "error"), FAILS_TWICE.values(), ids=FAILS_TWICE.keys())
def test_max_retries_0_turns_retrying_off(
    sequence: tuple[str, ...], error: type[Exception]
) -> None:
    with (
        fault_server(sequence) as url,
        loopback(url, max_retries=0) as client,
        pytest.raises(error) as info,
    ):
        list_stop_sms.sync(client=client)
    assert type(info.value) is error
    assert isinstance(info.value, SmsPartnerError)
    assert (info.value.attempts, info.value.retry_note) == (1, "")


def test_retry_after_1_is_honoured() -> None:
    with fault_server(("rate_limited_1s", "stop_list")) as url, loopback(url) as client:
        start = time.monotonic()
        stops = list_stop_sms.sync(client=client)
        waited = time.monotonic() - start
    assert stops.to_dict() == STOP_LIST
    assert waited >= 1.0


def test_retries_exhausted_give_rate_limited() -> None:
    with (
        fault_server("rate_limited_1s") as url,
        loopback(url, max_retries=1) as client,
        pytest.raises(RateLimited) as info,
    ):
        list_stop_sms.sync(client=client)
    assert info.value.retry_after == 1.0
    assert (info.value.attempts, info.value.retry_note) == (2, "gave up after 2 attempts")


def test_a_wait_past_the_deadline_is_not_taken() -> None:
    """`Retry-After: 7` is under the cap, but the call's deadline is 2 s: no wait, no retry."""
    with (
        fault_server("rate_limited") as url,
        loopback(url, deadline=2.0) as client,
        pytest.raises(RateLimited) as info,
    ):
        list_stop_sms.sync(client=client)
    assert info.value.retry_after == 7.0
    assert info.value.attempts == 1
    assert "would pass the call's 2 s deadline" in info.value.retry_note


# ---- which answers are retried (MockTransport; Retry-After 0: no wait) -------------------------


def counting(first: httpx.Response) -> tuple[list[httpx.Request], httpx.MockTransport]:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return first if len(calls) == 1 else httpx.Response(200, json=STOP_LIST)

    return calls, httpx.MockTransport(handler)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retried_statuses(status: int) -> None:
    calls, transport = counting(httpx.Response(status, text="busy", headers=NO_WAIT))
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY, httpx_args={"transport": transport}
    )
    with client:
        assert list_stop_sms.sync(client=client).to_dict() == STOP_LIST
    assert len(calls) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 500, 501])
async def test_other_statuses_are_not_retried(status: int) -> None:
    envelope = {"success": False, "code": 10, "message": "Clef API incorrecte"}
    calls, transport = counting(httpx.Response(status, json=envelope, headers=NO_WAIT))
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY, httpx_args={"transport": transport}
    )
    async with client:
        with pytest.raises(ApiError):
            await list_stop_sms.asyncio(client=client)
    assert len(calls) == 1


def test_an_envelope_in_a_503_is_an_api_error_once_retries_stop() -> None:
    envelope = {"success": False, "code": 40, "message": "Accès API refusé"}
    answer = httpx.Response(503, json=envelope, headers=NO_WAIT)
    with (
        mock_client(lambda request: answer) as client,
        pytest.raises(ApiError) as info,
    ):
        list_stop_sms.sync(client=client)
    assert (info.value.code, info.value.status_code, info.value.attempts) == (40, 503, 3)
