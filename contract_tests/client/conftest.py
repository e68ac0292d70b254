"""Fixtures of the client tests: clients bound to the emulator (loopback socket or in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from smspartner_client import AuthenticatedClient
from starlette.applications import Starlette

from contract_tests.client.helpers import DEMO_API_KEY, IN_PROCESS_BASE_URL


@pytest.fixture
def sync_client(emulator_url: str) -> Iterator[AuthenticatedClient]:
    """The client with the demo key, against the emulator served on 127.0.0.1."""
    with AuthenticatedClient(
        base_url=emulator_url, api_key=DEMO_API_KEY, timeout=httpx.Timeout(10.0)
    ) as client:
        yield client


@pytest.fixture
async def async_client(emulator_app: Starlette) -> AsyncIterator[AuthenticatedClient]:
    """The client with the demo key, against the emulator in-process (httpx ASGITransport)."""
    client = AuthenticatedClient(base_url=IN_PROCESS_BASE_URL, api_key=DEMO_API_KEY)
    client.set_async_httpx_client(
        httpx.AsyncClient(
            base_url=IN_PROCESS_BASE_URL, transport=httpx.ASGITransport(app=emulator_app)
        )
    )
    async with client:
        yield client
