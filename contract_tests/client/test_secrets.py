"""The API key stays out of repr(), error messages and the httpx log lines."""

from __future__ import annotations

import logging

import httpx
import pytest
from smspartner_client import ApiError, AuthenticatedClient, Client
from smspartner_client.api.stops import list_stop_sms

from contract_tests.client.helpers import SECRET_KEY, mock_client


def test_repr_masks_the_key() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY)
    for text in (repr(client), str(client), f"{client!r}", repr([client])):
        assert SECRET_KEY not in text
    assert repr(client) == "AuthenticatedClient(base_url='http://127.0.0.1:9/v1', api_key='***')"
    assert SECRET_KEY not in repr(client.with_headers({"X-Trace": "1"}))
    assert (
        repr(Client(base_url="http://127.0.0.1:9/v1")) == "Client(base_url='http://127.0.0.1:9/v1')"
    )


def test_an_error_message_echoing_the_key_is_masked() -> None:
    body = {"success": False, "code": 10, "message": f"Clé API incorrecte: {SECRET_KEY}"}
    with (
        mock_client(lambda request: httpx.Response(400, json=body)) as client,
        pytest.raises(ApiError) as info,
    ):
        list_stop_sms.sync(client=client)
    assert info.value.message == "Clé API incorrecte: ***"
    assert SECRET_KEY not in str(info.value)


def test_httpx_log_lines_mask_the_key(caplog: pytest.LogCaptureFixture) -> None:
    answer = {"success": True, "code": 200, "nbData": 0, "data": []}
    with (
        caplog.at_level(logging.DEBUG),
        mock_client(lambda request: httpx.Response(200, json=answer)) as client,
    ):
        list_stop_sms.sync(client=client)
    lines = [record.getMessage() for record in caplog.records]
    assert any("apiKey=***" in line for line in lines), lines
    assert all(SECRET_KEY not in line for line in lines)
    assert SECRET_KEY not in caplog.text
