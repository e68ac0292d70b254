"""Issue 22, the client's items: logs and errors that keep the key out (4), errors that cross
processes (12), misuse that is a typed error saying what to do (13), and a floor under
`Retry-After` (14). Each test fails on the client before these changes.

Servers are on 127.0.0.1 (fault_server.py, the emulator) or httpx MockTransport. Nothing is
timed: the retry floor is checked by counting requests within a deadline.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import multiprocessing
import pickle
import secrets
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
import pytest
from smspartner_client import (
    ApiError,
    AuthenticatedClient,
    Client,
    DeadlineExceeded,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    SmsPartnerError,
    TransportError,
    UnexpectedStatus,
)
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.errors import ClientStateError, InvalidRequest

from contract_tests.client.fault_server import STOP_LIST, fault_server
from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY, mock_client
from contract_tests.client.test_secrets import assert_nothing_leaks, leaks
from contract_tests.client.workers import failing_call

# ---- 4. the httpx and httpcore loggers, and a key in the base URL's path -------------------


def client_for(url: str, **options: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, api_key=SECRET_KEY, **{"max_retries": 0, **options})


def httpcore_logs() -> bool:
    """Whether this httpcore logs the steps of an exchange (from 0.16 on; the lowest-versions
    run of the client has 0.15, which logs nothing to mask)."""
    from httpcore._trace import Trace

    return "logger" in inspect.signature(Trace.__init__).parameters


def test_httpcore_debug_lines_mask_a_key_echoed_in_a_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A redirect whose `Location` carries the key: httpcore logs the header at DEBUG."""
    caplog.set_level(logging.DEBUG)
    with (
        fault_server("redirect_with_key") as url,
        client_for(url) as client,
        pytest.raises(UnexpectedStatus),
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    lines = [(record.name, record.getMessage()) for record in caplog.records]
    if httpcore_logs():
        assert any(name == "httpcore.http11" and "Location" in line for name, line in lines)
    assert not leaks(caplog.text, SECRET_KEY)
    assert not leaks(caplog.text, DOCS_TOKEN)


async def test_httpcore_debug_lines_are_masked_async(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with fault_server("redirect_with_key") as url:
        async with client_for(url) as client:
            with pytest.raises(UnexpectedStatus):
                await list_stop_sms.asyncio(client=client)
    if httpcore_logs():
        assert any(record.name.startswith("httpcore.") for record in caplog.records)
    assert not leaks(caplog.text, SECRET_KEY)


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        ("html_502", UnexpectedStatus),
        ("truncated_json", InvalidResponse),
        ("close", TransportError),
        ("rate_limited", RateLimited),
    ],
)
def test_a_key_in_the_base_url_path_is_masked(
    behaviour: str, error: type[SmsPartnerError], caplog: pytest.LogCaptureFixture
) -> None:
    """Some proxies take the key in the path: errors, retry lines and repr() hide it."""
    caplog.set_level(logging.INFO)
    with fault_server(behaviour) as url:
        base = url.removesuffix("/v1") + f"/{SECRET_KEY}/v1"
        client = AuthenticatedClient(
            base_url=base, api_key=SECRET_KEY, max_retries=1, max_retry_after=0.0
        )
        assert not leaks(repr(client), SECRET_KEY)
        with client, pytest.raises(error) as info:
            list_stop_sms.sync(client=client)
    assert "/***/v1/stop-sms/list" in str(info.value)
    assert_nothing_leaks(info.value, SECRET_KEY)
    assert not leaks(caplog.text, SECRET_KEY)
    if behaviour in ("html_502", "close"):
        assert "trying again" in caplog.text  # the client's own INFO line, masked too


# ---- 12. errors pickle -------------------------------------------------------------------------


def _error_of(call: Any) -> SmsPartnerError:
    try:
        call()
    except SmsPartnerError as err:
        return err
    raise AssertionError("no error")


def _raising(exc: Exception) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def every_error() -> list[SmsPartnerError]:
    """One error of each type, from real calls (messages and models masked)."""
    envelope = {"success": False, "code": 10, "message": f"Clé API incorrecte: {SECRET_KEY}"}
    cases: list[tuple[Any, dict[str, Any], bool]] = [
        (lambda r: httpx.Response(400, json=envelope), {}, False),
        (lambda r: httpx.Response(429, text="busy", headers={"Retry-After": "3"}), {}, False),
        (lambda r: httpx.Response(500, text=f"failed: {r.url}"), {}, True),
        (lambda r: httpx.Response(200, json={**STOP_LIST, "nbData": "1"}), {}, False),
        (lambda r: httpx.Response(200, content=b" " * 5000), {"max_body_bytes": 1000}, False),
        (_raising(httpx.ConnectError("refused")), {}, True),
        (_raising(httpx.ReadTimeout("slow")), {}, True),
    ]
    found: list[SmsPartnerError] = []
    for handler, options, with_token in cases:
        client = mock_client(handler, max_retries=0, **options)
        if with_token:
            found.append(
                _error_of(lambda c=client: get_rental_status.sync(client=c, token=DOCS_TOKEN))
            )
        else:
            found.append(_error_of(lambda c=client: list_stop_sms.sync(client=c)))
    with fault_server("stall") as url, client_for(url, deadline=0.3) as client:
        found.append(_error_of(lambda: list_stop_sms.sync(client=client)))
    found.append(
        _error_of(
            lambda: get_rental_status.sync(
                client=mock_client(lambda r: httpx.Response(200)), token="b" * 70_000
            )
        )
    )
    closed = mock_client(lambda r: httpx.Response(200, json=STOP_LIST))
    with closed:
        pass
    found.append(_error_of(lambda: list_stop_sms.sync(client=closed)))
    return found


EXPECTED_TYPES = [
    ApiError,
    RateLimited,
    UnexpectedStatus,
    InvalidResponse,
    ResponseTooLarge,
    TransportError,
    RequestTimeout,
    DeadlineExceeded,
    InvalidRequest,
    ClientStateError,
]


def test_every_error_pickles_to_an_equal_masked_error() -> None:
    errors = every_error()
    assert [type(err) for err in errors] == EXPECTED_TYPES
    for err in errors:
        data = pickle.dumps(err)
        assert SECRET_KEY.encode() not in data
        assert DOCS_TOKEN.encode() not in data
        copy = pickle.loads(data)  # noqa: S301 (our own bytes)
        assert type(copy) is type(err)
        assert copy == err
        assert hash(copy) == hash(err)
        assert str(copy) == str(err)
        assert vars(copy) == vars(err)
        assert_nothing_leaks(copy, SECRET_KEY, DOCS_TOKEN)
    assert errors[0] != errors[1]


def test_errors_come_back_from_a_process_pool() -> None:
    expected = _error_of(lambda: failing_call("api"))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(failing_call, "api")
        with pytest.raises(ApiError) as info:
            future.result(timeout=60)
    assert info.value == expected
    assert_printed_without(info.value, SECRET_KEY)


def test_errors_come_back_from_a_multiprocessing_pool() -> None:
    expected = _error_of(lambda: failing_call("status"))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.apply_async(failing_call, ("status",))
        with pytest.raises(UnexpectedStatus) as info:
            result.get(timeout=60)
    assert info.value == expected
    assert_printed_without(info.value, SECRET_KEY, DOCS_TOKEN)


def assert_printed_without(err: BaseException, *secrets: str) -> None:
    """The pools chain the worker's traceback (as text) to the error: it is masked too."""
    texts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    texts += [repr(value) for value in vars(err).values()]
    for text in texts:
        for secret in secrets:
            assert not leaks(text, secret), text


# ---- 13. misuse: a typed error that says what to do ------------------------------------------


def test_a_token_too_long_for_a_url_is_an_invalid_request() -> None:
    token = secrets.token_hex(35_000)  # 70,000 characters
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    with mock_client(record) as client, pytest.raises(InvalidRequest) as info:
        get_rental_status.sync(client=client, token=token)
    err = info.value
    assert isinstance(err, ValueError)
    assert "`token` is 70,000 characters" in str(err)
    assert "pass the value the API gave" in str(err)
    assert sent == []
    assert err.attempts == 1
    assert_nothing_leaks(err, token, SECRET_KEY)


async def test_a_token_too_long_is_an_invalid_request_async() -> None:
    token = secrets.token_hex(35_000)
    async with mock_client(lambda request: httpx.Response(200)) as client:
        with pytest.raises(InvalidRequest):
            await get_rental_status.asyncio(client=client, token=token)


def test_an_async_client_reused_in_a_second_event_loop(emulator_url: str) -> None:
    client = AuthenticatedClient(base_url=emulator_url, api_key="demo-api-key")

    async def call() -> int:
        return (await list_stop_sms.asyncio(client=client)).nb_data

    assert asyncio.run(call()) == 4
    with pytest.raises(ClientStateError) as info:
        asyncio.run(call())
    assert isinstance(info.value, RuntimeError)
    assert "another event loop, now closed" in str(info.value)
    assert "asyncio.run()" in str(info.value)


def test_a_call_after_close_is_a_client_state_error() -> None:
    client = mock_client(lambda request: httpx.Response(200, json=STOP_LIST))
    with client:
        list_stop_sms.sync(client=client)
    for attempt in (lambda: list_stop_sms.sync(client=client), client.__enter__):
        with pytest.raises(ClientStateError, match=r"closed.*build a new client"):
            attempt()


async def test_an_async_call_after_close_is_a_client_state_error() -> None:
    client = mock_client(lambda request: httpx.Response(200, json=STOP_LIST))
    async with client:
        await list_stop_sms.asyncio(client=client)
    with pytest.raises(ClientStateError, match="closed"):
        await list_stop_sms.asyncio(client=client)
    with pytest.raises(ClientStateError, match="closed"):
        async with client:
            pass


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("127.0.0.1:8000/v1", "no scheme"),
        ("localhost:8000/v1", "must start with http:// or https://"),
        ("ftp://127.0.0.1/v1", "must start with http:// or https://"),
        ("", "no scheme"),
        ("http://", "no host"),
        ("http:///v1", "no host"),
        ("http://exa mple.com/v1", "not a valid URL"),
        (f"http://127.0.0.1/v1?apiKey={SECRET_KEY}", "must not have a query string"),
        ("http://127.0.0.1/v1#top", "must not have a query string or a fragment"),
    ],
)
def test_a_bad_base_url_is_refused_at_construction(base_url: str, says: str) -> None:
    makers: list[Callable[[], Client]] = [
        lambda: AuthenticatedClient(base_url=base_url, api_key=SECRET_KEY),
        lambda: Client(base_url=base_url),
    ]
    for make in makers:
        with pytest.raises(ValueError, match="base_url") as info:
            make()
        assert says in str(info.value)
        assert "https://api.smspartner.fr/v1" in str(info.value) or "api_key=" in str(info.value)
        assert not leaks(str(info.value), SECRET_KEY)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8000/v1", "https://api.smspartner.fr/v1", "http://[::1]:8000", "HTTP://x"],
)
def test_good_base_urls_are_accepted(base_url: str) -> None:
    assert AuthenticatedClient(base_url=base_url, api_key=SECRET_KEY)


# ---- 14. a floor under Retry-After ------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["0", "0.1", "0.49"])
def test_a_short_retry_after_waits_at_least_the_floor(retry_after: str) -> None:
    """Within a 2 s deadline, waits of at least 0.5 s then 1 s leave room for 3 requests at
    most (a server saying "now" got 66 requests in 3 s before)."""
    sent: list[httpx.Request] = []

    def busy(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(429, text="busy", headers={"Retry-After": retry_after})

    with (
        mock_client(busy, max_retries=10_000, deadline=2.0) as client,
        pytest.raises(RateLimited) as info,
    ):
        list_stop_sms.sync(client=client)
    assert 2 <= len(sent) <= 3
    assert info.value.attempts == len(sent)
    assert "deadline" in info.value.retry_note


async def test_a_short_retry_after_waits_at_least_the_floor_async() -> None:
    sent: list[httpx.Request] = []

    def busy(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(503, text="busy", headers={"Retry-After": "0"})

    async with mock_client(busy, max_retries=10_000, deadline=2.0) as client:
        with pytest.raises(UnexpectedStatus):
            await list_stop_sms.asyncio(client=client)
    assert 2 <= len(sent) <= 3
