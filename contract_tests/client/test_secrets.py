"""The API key, rental tokens and phone numbers stay out of repr(), errors and log lines.

Errors are checked whole: message, repr, every attribute and model (`err.error.message`,
`repr(err.error)`, `additional_properties`), the formatted traceback, and the exception chain,
which is empty. The key is looked for in every form a server may echo it (percent-encoded,
JSON-escaped with `\\/` and `\\u00e9`), and cut short (any run of 8 of its characters).
"""

from __future__ import annotations

import html
import json
import logging
import traceback
from urllib.parse import quote, quote_plus

import httpx
import pytest
from smspartner_client import (
    ApiError,
    AuthenticatedClient,
    Client,
    InvalidResponse,
    TransportError,
    UnexpectedStatus,
)
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms

from contract_tests.client.fault_server import fault_server
from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY, mock_client


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


# ---- issue 13, item 6: the key in every form, everywhere an error can be printed ---------------

# A key with a slash and an accent: percent-encoded, `\/` and `\u00e9` forms all differ from it.
ODD_KEY = "s3cret/Clé-never-shown-0123456789"
PHONE = "+33698765432"  # no run of 8 characters in common with SECRET_KEY


def forms(secret: str) -> set[str]:
    """The ways a server or a library may write `secret` (an oracle independent of redact.py)."""
    ascii_json = json.dumps(secret)[1:-1]
    unicode_json = json.dumps(secret, ensure_ascii=False)[1:-1]
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        ascii_json,
        ascii_json.replace("/", "\\/"),
        unicode_json.replace("/", "\\/"),
        html.escape(secret),
    }


def leaks(text: str, secret: str, run: int = 8) -> list[str]:
    """Every run of `run` characters of a form of `secret` found in `text`."""
    return sorted(
        {
            form[start : start + run]
            for form in forms(secret)
            for start in range(len(form) - run + 1)
            if form[start : start + run] in text
        }
    )


def printable(err: BaseException) -> list[str]:
    """Everything of an error that can end up in a log: message, repr, attributes (and the
    models among them), the formatted traceback with its causes."""
    texts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    for value in vars(err).values():
        texts += [str(value), repr(value)]
        if hasattr(value, "to_dict"):
            texts.append(json.dumps(value.to_dict(), ensure_ascii=False))
            texts.append(repr(getattr(value, "additional_properties", "")))
    return texts


def assert_nothing_leaks(err: BaseException, *secrets: str) -> None:
    assert err.__cause__ is None
    assert err.__context__ is None
    for text in printable(err):
        for secret in secrets:
            assert not leaks(text, secret), (secret, text)


def test_an_echoed_key_is_masked_in_the_error_model() -> None:
    with (
        fault_server("echo_key") as url,
        AuthenticatedClient(base_url=url, api_key=ODD_KEY) as client,
        pytest.raises(ApiError) as info,
    ):
        list_stop_sms.sync(client=client)
    err = info.value
    assert err.code == 10
    assert err.message.startswith("Clef API incorrecte pour /v1/stop-sms/list?apiKey=***")
    assert isinstance(err.error.message, str)
    assert "***" in err.error.message
    assert err.error.additional_properties["credits"]["request"].endswith("apiKey=***")
    assert_nothing_leaks(err, ODD_KEY)


async def test_an_echoed_key_and_token_are_masked_async() -> None:
    with fault_server("echo_key") as url:
        async with AuthenticatedClient(base_url=url, api_key=ODD_KEY) as client:
            with pytest.raises(ApiError) as info:
                await get_rental_status.asyncio(client=client, token=DOCS_TOKEN)
    assert "token=b22b••••" in info.value.message
    assert_nothing_leaks(info.value, ODD_KEY, DOCS_TOKEN)


def test_an_echoing_page_is_masked_in_unexpected_status() -> None:
    """A 500 page echoing the URL raw and JSON-escaped: `body` and message show neither the key
    nor the rental token of the call."""
    with (
        fault_server("echo_page") as url,
        AuthenticatedClient(base_url=url, api_key=ODD_KEY, max_retries=0) as client,
        pytest.raises(UnexpectedStatus) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert info.value.status_code == 500
    assert_nothing_leaks(info.value, ODD_KEY, DOCS_TOKEN)


def test_phone_numbers_in_a_body_excerpt_are_masked() -> None:
    page = f"<p>STOP list export failed at {PHONE} (0698765432)</p>"
    with (
        mock_client(lambda request: httpx.Response(500, text=page)) as client,
        pytest.raises(UnexpectedStatus) as info,
    ):
        list_stop_sms.sync(client=client)
    assert "+33•••••••32 (069•••••32)" in info.value.body
    for text in printable(info.value):
        assert PHONE not in text
        assert "0698765432" not in text


def test_a_transport_error_chains_nothing() -> None:
    with fault_server("close") as url:
        pass  # nothing listens there any more: connection refused
    with (
        AuthenticatedClient(base_url=url, api_key=ODD_KEY, max_retries=0) as client,
        pytest.raises(TransportError) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert_nothing_leaks(info.value, ODD_KEY, DOCS_TOKEN)


def test_an_invalid_answer_chains_nothing() -> None:
    body = {"success": True, "code": 200, "nbData": 1, "data": [{"id": ODD_KEY}]}
    with (
        mock_client(lambda request: httpx.Response(200, json=body), api_key=ODD_KEY) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        list_stop_sms.sync(client=client)
    assert info.value.field == "data[0].id"
    assert_nothing_leaks(info.value, ODD_KEY)


def test_the_log_lines_mask_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """(DEBUG: httpx logs its request lines at INFO from 0.24, at DEBUG before.)"""
    with (
        caplog.at_level(logging.DEBUG),
        mock_client(
            lambda request: httpx.Response(404, text="no"), api_key=ODD_KEY, max_retries=0
        ) as client,
        pytest.raises(UnexpectedStatus),
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert "token=b22b••••" in caplog.text
    assert not leaks(caplog.text, DOCS_TOKEN)
    assert not leaks(caplog.text, ODD_KEY)
