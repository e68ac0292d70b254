"""smspartner-client at its floor: sync and async calls, and every error type it raises."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Callable

import pytest
import smspartner_client
from smspartner_client import AuthenticatedClient, RateLimited, SmsPartnerError, errors
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms

URL = os.environ.get("SMSPARTNER_SMOKE_URL", "")
KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' own example)


@pytest.fixture(autouse=True)
def _an_emulator() -> None:
    """scripts/floors.py serves an emulator and names it; without one nothing here is tested."""
    if not URL:
        pytest.fail("SMSPARTNER_SMOKE_URL: an emulator's base URL (scripts/floors.py sets it)")


def client(scenario: str = "none", **options: float) -> AuthenticatedClient:
    """A client of the emulator that plays `scenario`, retries off unless given."""
    settings: dict[str, float] = {"max_retries": 0, **options}
    return AuthenticatedClient(
        base_url=URL,
        api_key=KEY,
        headers={"Prefer": f"scenario={scenario}"},
        **settings,  # type: ignore[arg-type]
    )


def test_sync_calls() -> None:
    with client() as api:
        stops = list_stop_sms.sync(client=api)
        rental = get_rental_status.sync(client=api, token=DOCS_TOKEN)
    assert stops.success is True
    assert stops.nb_data == len(stops.data) > 0
    assert rental.success is True


def test_async_calls() -> None:
    async def both() -> tuple[bool, bool]:
        async with client() as api:
            stops = await list_stop_sms.asyncio(client=api)
            rental = await get_rental_status.asyncio(client=api, token=DOCS_TOKEN)
        return stops.success, rental.success

    assert asyncio.run(both()) == (True, True)


def wrong_key() -> None:
    with AuthenticatedClient(base_url=URL, api_key="not-a-key", max_retries=0) as api:
        list_stop_sms.sync(client=api)


def in_scenario(scenario: str, **options: float) -> Callable[[], None]:
    def call() -> None:
        with client(scenario, **options) as api:
            list_stop_sms.sync(client=api)

    return call


def refused() -> None:
    with AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=KEY, max_retries=0) as api:
        list_stop_sms.sync(client=api)


def after_close() -> None:
    api = client()
    with api:
        list_stop_sms.sync(client=api)
    list_stop_sms.sync(client=api)


def unsendable() -> None:
    with client() as api:
        get_rental_status.sync(client=api, token="0" * 70_000)  # a URL longer than httpx takes


CAUSES: dict[str, Callable[[], None]] = {
    "ApiError": wrong_key,
    "RateLimited": in_scenario("rate_limited"),
    "UnexpectedStatus": in_scenario("success_status_changed"),
    "InvalidResponse": in_scenario("truncated"),
    "ResponseTooLarge": in_scenario("none", max_body_bytes=16),
    "TransportError": refused,
    "RequestTimeout": in_scenario("slow", timeout=0.2),
    "DeadlineExceeded": in_scenario("slow", deadline=0.3),
    "ClientStateError": after_close,
    "InvalidRequest": unsendable,
}
"""How the emulator makes the client raise each error type (the most specific one)."""


@pytest.mark.parametrize("name", sorted(CAUSES))
def test_each_error_type(name: str) -> None:
    with pytest.raises(SmsPartnerError) as caught:
        CAUSES[name]()
    assert type(caught.value).__name__ == name
    assert KEY not in str(caught.value)


def test_retries_and_the_deadline_between_them() -> None:
    with pytest.raises(RateLimited) as retried:
        in_scenario("rate_limited", max_retries=1)()  # waits the Retry-After (1 s) once
    assert retried.value.attempts == 2
    with pytest.raises(RateLimited) as cut:
        in_scenario("rate_limited", max_retries=2, deadline=0.5)()  # no time left to wait
    assert cut.value.attempts == 1
    assert "deadline" in cut.value.retry_note


def test_every_error_type_is_exercised() -> None:
    raised = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, SmsPartnerError)
    }
    bases = {"SmsPartnerError", "UnexpectedResponse"}  # raised only as one of their subclasses
    assert raised - bases == set(CAUSES), "the error types of smspartner_client: see CAUSES"
    assert smspartner_client.__version__
