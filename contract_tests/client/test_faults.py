"""Client faults: the server closes, stalls, answers HTML 502, 429, truncated or empty JSON.

Each gives one typed error of `smspartner_client.errors` (never a hang, a raw JSONDecodeError,
ValueError or KeyError), whose message names the status and the start of the body, and never
carries the API key. Servers are on 127.0.0.1 (fault_server.py) or httpx MockTransport; client
timeouts are short, retries are off (test_retries.py covers them), and nothing asserts on timing.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from smspartner_client import (
    AuthenticatedClient,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    SmsPartnerError,
    TransportError,
    UnexpectedStatus,
)
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.errors import body_excerpt, parse_retry_after
from smspartner_client.redact import Redactor

from contract_tests.client.fault_server import fault_server
from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY, mock_client

CLIENT_TIMEOUT = 0.5

# behaviour of the loopback server -> (error type, text its message must contain)
SOCKET_FAULTS: dict[str, tuple[type[SmsPartnerError], str]] = {
    "close": (TransportError, "no usable answer"),
    "stall": (RequestTimeout, "timed out"),
    "html_502": (UnexpectedStatus, "HTTP 502"),
    "rate_limited": (RateLimited, "retry after 7 s"),
    "truncated_json": (InvalidResponse, "not JSON"),
    "short_body": (TransportError, "no usable answer"),
    "not_http": (TransportError, "no usable answer"),
    "empty_200": (InvalidResponse, "empty body"),
}


def assert_no_secret(err: BaseException) -> None:
    """The key is nowhere: message, repr, attributes, the printed traceback with its causes."""
    texts = [str(err), repr(err), *(str(value) for value in vars(err).values())]
    texts.append("".join(traceback.format_exception(err)))
    for text in texts:
        assert SECRET_KEY not in text


def check_fault(err: SmsPartnerError, behaviour: str) -> None:
    expected_type, fragment = SOCKET_FAULTS[behaviour]
    assert type(err) is expected_type
    assert fragment in str(err)
    assert "/v1/stop-sms/list" in str(err)
    assert_no_secret(err)
    if behaviour == "html_502":
        assert isinstance(err, UnexpectedStatus)
        assert err.status_code == 502
        assert err.content_type == "text/html"
        assert err.body.startswith("<html><head><title>502 Bad Gateway")
        assert "apiKey=***" in err.body  # the page echoed the request line, masked
    if behaviour == "rate_limited":
        assert isinstance(err, RateLimited)
        assert err.retry_after == 7.0
        assert err.status_code == 429
        assert err.body == "Too Many Requests"
    if behaviour == "truncated_json":
        assert isinstance(err, InvalidResponse)
        assert err.status_code == 200
        assert '{"success": true, "code": 200' in str(err)


def loopback_client(base_url: str) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=base_url,
        api_key=SECRET_KEY,
        timeout=httpx.Timeout(CLIENT_TIMEOUT),
        max_retries=0,
    )


@pytest.mark.parametrize("behaviour", SOCKET_FAULTS)
def test_socket_faults_sync(behaviour: str) -> None:
    with fault_server(behaviour) as url, loopback_client(url) as client:
        with pytest.raises(SmsPartnerError) as info:
            list_stop_sms.sync(client=client)
        check_fault(info.value, behaviour)


@pytest.mark.parametrize("behaviour", SOCKET_FAULTS)
async def test_socket_faults_async(behaviour: str) -> None:
    with fault_server(behaviour) as url:
        async with loopback_client(url) as client:
            with pytest.raises(SmsPartnerError) as info:
                await list_stop_sms.asyncio(client=client)
            check_fault(info.value, behaviour)


def test_connection_refused_is_a_transport_error() -> None:
    with fault_server("close") as url:
        pass  # the port is free again: nothing listens there any more
    with loopback_client(url) as client, pytest.raises(TransportError) as info:
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert "/v1/location/status" in str(info.value)
    assert_no_secret(info.value)


# ---- the same faults without sockets, and the 429 details --------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def html_502(request: httpx.Request) -> httpx.Response:
    page = f"<html><body><h1>502</h1>{request.url}</body></html>"
    return httpx.Response(502, text=page, headers={"content-type": "text/html"})


def raise_read_error(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


MOCK_FAULTS: dict[str, tuple[Handler, type[SmsPartnerError]]] = {
    "502 html": (html_502, UnexpectedStatus),
    "204 no content": (lambda request: httpx.Response(204), UnexpectedStatus),
    "404 html": (lambda request: httpx.Response(404, text="<h1>Not Found</h1>"), UnexpectedStatus),
    "400 not an envelope": (
        lambda request: httpx.Response(400, json={"error": "bad"}),
        InvalidResponse,
    ),
    "200 xml": (
        lambda request: httpx.Response(
            200,
            text="<result><entry>true</entry></result>",
            headers={"content-type": "application/xml"},
        ),
        InvalidResponse,
    ),
    "200 json missing a field": (
        lambda request: httpx.Response(200, json={"success": True, "token": DOCS_TOKEN}),
        InvalidResponse,
    ),
    "200 json list": (lambda request: httpx.Response(200, json=[1, 2]), InvalidResponse),
    "200 latin-1 bytes": (
        lambda request: httpx.Response(200, content=b"\xff\xfe{"),
        InvalidResponse,
    ),
    "disconnect": (raise_read_error, TransportError),
    "timeout": (raise_timeout, RequestTimeout),
}


@pytest.mark.parametrize(("handler", "expected"), MOCK_FAULTS.values(), ids=MOCK_FAULTS.keys())
def test_mock_faults_sync(handler: Handler, expected: type[SmsPartnerError]) -> None:
    with mock_client(handler, max_retries=0) as client, pytest.raises(SmsPartnerError) as info:
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert type(info.value) is expected
    assert "/v1/location/status" in str(info.value)
    assert_no_secret(info.value)


@pytest.mark.parametrize(("handler", "expected"), MOCK_FAULTS.values(), ids=MOCK_FAULTS.keys())
async def test_mock_faults_async(handler: Handler, expected: type[SmsPartnerError]) -> None:
    async with mock_client(handler, max_retries=0) as client:
        with pytest.raises(SmsPartnerError) as info:
            await get_rental_status.asyncio(client=client, token=DOCS_TOKEN)
    assert type(info.value) is expected
    assert_no_secret(info.value)


def test_unexpected_status_names_status_and_body_start() -> None:
    with mock_client(html_502, max_retries=0) as client, pytest.raises(UnexpectedStatus) as info:
        list_stop_sms.sync(client=client)
    message = str(info.value)
    assert "HTTP 502" in message
    assert "content-type text/html" in message
    assert "<html><body><h1>502</h1>http://127.0.0.1:9/v1/stop-sms/list?apiKey=***" in message


def test_long_bodies_are_cut() -> None:
    page = "<html>" + "x" * 5000 + "</html>"
    with (
        mock_client(lambda request: httpx.Response(503, text=page), max_retries=0) as client,
        pytest.raises(UnexpectedStatus) as info,
    ):
        list_stop_sms.sync(client=client)
    assert info.value.body == page[:200] + "..."
    assert len(str(info.value)) < 600


def test_429_with_an_envelope_and_an_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=120)
    body = {"success": False, "code": 429, "message": "Trop de requêtes"}
    headers = {"Retry-After": format_datetime(when, usegmt=True)}
    with (
        mock_client(lambda request: httpx.Response(429, json=body, headers=headers)) as client,
        pytest.raises(RateLimited) as info,
    ):
        list_stop_sms.sync(client=client)
    err = info.value
    assert err.retry_after is not None
    assert 0 < err.retry_after <= 120
    assert err.error is not None
    assert err.error.code == 429
    assert err.error.message == "Trop de requêtes"


def test_429_is_retried_then_rate_limited() -> None:
    """Retried like any 429 (Retry-After 0: no wait), then `RateLimited` saying why it stopped."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, text="slow down", headers={"Retry-After": "0"})

    with mock_client(handler) as client, pytest.raises(RateLimited) as info:
        list_stop_sms.sync(client=client)
    assert len(calls) == 3
    assert info.value.retry_after == 0.0
    assert info.value.attempts == 3
    assert info.value.retry_note == "gave up after 3 attempts"
    assert str(info.value).endswith("[gave up after 3 attempts]")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("0", 0.0),
        ("30", 30.0),
        (" 5 ", 5.0),
        ("soon", None),
        ("-3", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: no wait
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("1.5", 1.5),
        ("1" + "0" * 30, 1e30),  # read, then refused by the cap (test_limits.py)
        ("²", None),  # '²'.isdigit() is True, int('²') is a ValueError
        ("inf", None),
        ("NaN", None),
        ("1e3", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


def test_body_excerpt_masks_then_cuts() -> None:
    redactor = Redactor(secrets=[SECRET_KEY])
    assert body_excerpt(b"", redactor) == "<empty body>"
    assert body_excerpt(f"{'x' * 195}{SECRET_KEY}".encode(), redactor) == "x" * 195 + "***"
    assert body_excerpt(b"GET /v1/x?apiKey=k&token=t", Redactor()) == (
        "GET /v1/x?apiKey=***&token=t"
    )
    long_body = ("y" * 300 + SECRET_KEY).encode()
    assert body_excerpt(long_body, redactor) == "y" * 200 + "..."
