"""Hard limits of the client (issue 13, items 1-5 and 7): whatever a server on 127.0.0.1 does,
a call ends by its deadline, holds at most its body cap in memory, and fails with one of the
documented `SmsPartnerError` subclasses, never a raw exception.

Deadlines and caps are small here, set through the client's public options; retries are off
unless a test is about them. Nothing asserts that a call was fast.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from smspartner_client import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TIMEOUT,
    AuthenticatedClient,
    DeadlineExceeded,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    SmsPartnerError,
    TransportError,
)
from smspartner_client._deadline import bound_transports
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms

from contract_tests.client.fault_server import STOP_LIST, fault_server
from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY
from contract_tests.client.test_faults import assert_no_secret

DEADLINE = 0.6
SMALL_CAP = 256 * 1024


def client_for(url: str, **options: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, api_key=SECRET_KEY, **{"max_retries": 0, **options})


def call_sync(behaviour: str, **options: Any) -> SmsPartnerError:
    """The error of one stop-list call against `behaviour`."""
    with (
        fault_server(behaviour) as url,
        client_for(url, **options) as client,
        pytest.raises(SmsPartnerError) as info,
    ):
        list_stop_sms.sync(client=client)
    assert_no_secret(info.value)
    return info.value


async def call_async(behaviour: str, **options: Any) -> SmsPartnerError:
    with fault_server(behaviour) as url:
        async with client_for(url, **options) as client:
            with pytest.raises(SmsPartnerError) as info:
                await list_stop_sms.asyncio(client=client)
    assert_no_secret(info.value)
    return info.value


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak of the memory Python allocated so far in the test (client and server alike)."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- 1. a real default timeout, and a deadline whatever the timeout --------------------------


def test_the_defaults_are_finite() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY)
    timeout = client.get_httpx_client().timeout
    assert timeout == DEFAULT_TIMEOUT
    phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    assert all(value is not None and math.isfinite(value) for value in phases)
    assert 0 < DEFAULT_DEADLINE < math.inf


@pytest.mark.parametrize("timeout", ["not given", None], ids=["default timeout", "timeout=None"])
def test_a_silent_server_ends_at_the_deadline(timeout: object) -> None:
    options: dict[str, Any] = {"deadline": DEADLINE}
    if timeout is None:
        options["timeout"] = None
    err = call_sync("stall", **options)
    assert isinstance(err, DeadlineExceeded)
    assert err.deadline == DEADLINE
    assert "deadline of 0.6 s passed" in str(err)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("deadline", 0),
        ("deadline", math.inf),
        ("max_retries", -1),
        ("max_retries", 1.0),
        ("max_body_bytes", 0),
        ("max_retry_after", math.nan),
    ],
)
def test_option_values_are_checked(name: str, bad: float) -> None:
    options: dict[str, Any] = {name: bad}
    with pytest.raises(ValueError, match=name):
        AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key="k", **options)


# ---- 2. a total deadline per call, against servers that drip ---------------------------------


async def test_the_deadline_backend_is_under_both_default_transports() -> None:
    """The clamp of every socket read relies on httpx's HTTPTransport keeping an httpcore pool:
    if a new httpx changed that, this fails (rather than the deadline silently weakening)."""
    client = AuthenticatedClient(base_url="http://127.0.0.1:9/v1", api_key=SECRET_KEY)
    assert bound_transports(client.get_httpx_client()) >= 1  # and one per proxy mount
    assert bound_transports(client.get_async_httpx_client()) >= 1
    mocked = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=SECRET_KEY,
        httpx_args={
            "transport": httpx.MockTransport(lambda r: httpx.Response(200)),
            "trust_env": False,
        },
    )
    assert bound_transports(mocked.get_httpx_client()) == 0


DRIPS = ["drip_headers", "drip_body", "endless_103"]


@pytest.mark.parametrize("behaviour", DRIPS)
def test_a_drip_ends_at_the_deadline(behaviour: str) -> None:
    """The per-read timeout (2 s) never trips on a byte every 0.2 s; the deadline does."""
    err = call_sync(behaviour, timeout=httpx.Timeout(2.0), deadline=DEADLINE)
    assert isinstance(err, DeadlineExceeded)
    assert err.deadline == DEADLINE


@pytest.mark.parametrize("behaviour", DRIPS)
async def test_a_drip_ends_at_the_deadline_async(behaviour: str) -> None:
    err = await call_async(behaviour, timeout=httpx.Timeout(2.0), deadline=DEADLINE)
    assert isinstance(err, DeadlineExceeded)


def test_retries_stay_within_the_deadline() -> None:
    """Attempts that time out (0.3 s) are retried, but no wait is started that would end past
    the 2 s deadline: the first back-off (0.5-1 s) fits, the second (1-1.5 s) does not."""
    err = call_sync("stall", timeout=httpx.Timeout(0.3), deadline=2.0, max_retries=5)
    assert type(err) is RequestTimeout
    assert err.attempts == 2
    assert "would pass the call's 2 s deadline" in err.retry_note


# ---- 3. and 4. the body cap, on the decoded size ------------------------------------------


def test_an_endless_body_stops_at_the_cap(peak_memory: Callable[[], int]) -> None:
    err = call_sync("endless_chunked", max_body_bytes=SMALL_CAP, deadline=10.0)
    assert isinstance(err, ResponseTooLarge)
    assert err.limit == SMALL_CAP
    assert f"more than the {SMALL_CAP}-byte cap" in str(err)
    assert peak_memory() < 4 * 1024 * 1024


async def test_an_endless_body_stops_at_the_cap_async() -> None:
    err = await call_async("endless_chunked", max_body_bytes=SMALL_CAP, deadline=10.0)
    assert isinstance(err, ResponseTooLarge)


def test_a_huge_content_length_is_refused_unread() -> None:
    err = call_sync("huge_content_length", max_body_bytes=SMALL_CAP, deadline=10.0)
    assert isinstance(err, ResponseTooLarge)
    assert f"declares {1024**3} bytes" in str(err)


def test_a_gzip_bomb_stops_at_the_default_cap(peak_memory: Callable[[], int]) -> None:
    """64 KB of gzip that expands to 64 MiB: refused at 8 MiB (the cap of an operation without
    its own), and never held whole."""
    with (
        fault_server("gzip_bomb") as url,
        client_for(url, deadline=10.0) as client,
        pytest.raises(ResponseTooLarge) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert info.value.limit == DEFAULT_MAX_BODY_BYTES
    assert info.value.status_code == 200
    assert info.value.body.startswith('{"success": true, "code": 200, "nbData": 0')
    assert peak_memory() < 2 * DEFAULT_MAX_BODY_BYTES


async def test_a_gzip_bomb_stops_at_the_cap_async() -> None:
    err = await call_async("gzip_bomb", max_body_bytes=SMALL_CAP, deadline=10.0)
    assert isinstance(err, ResponseTooLarge)


@pytest.mark.parametrize(
    "behaviour", ["gzip_stop_list", "deflate_stop_list", "raw_deflate_stop_list"]
)
def test_a_compressed_answer_under_the_cap_is_read(behaviour: str) -> None:
    with fault_server(behaviour) as url, client_for(url) as client:
        response = list_stop_sms.sync_detailed(client=client)
    assert response.parsed.to_dict() == STOP_LIST
    assert response.headers["content-encoding"] in ("gzip", "deflate")


# ---- 5. no raw exception ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "error", "text"),
    [
        ("deep_json_200", InvalidResponse, "JSON nested deeper than 64 levels"),
        ("deep_json_400", InvalidResponse, "JSON nested deeper than 64 levels"),
        ("deep_json_429", RateLimited, "HTTP 429"),
        ("broken_gzip", InvalidResponse, "not valid gzip data"),
        ("rate_limited_superscript", RateLimited, "no Retry-After"),
    ],
)
def test_no_raw_exception(behaviour: str, error: type[SmsPartnerError], text: str) -> None:
    err = call_sync(behaviour)
    assert type(err) is error
    assert text in str(err)


async def test_deep_json_async() -> None:
    err = await call_async("deep_json_200")
    assert isinstance(err, InvalidResponse)


@pytest.mark.parametrize(
    "options",
    [{"follow_redirects": True}, {"httpx_args": {"follow_redirects": True}}],
    ids=["option", "httpx_args"],
)
def test_an_endless_redirect_is_a_transport_error(options: dict[str, Any]) -> None:
    err = call_sync("redirect_loop", **options)
    assert type(err) is TransportError
    assert "more than 20 redirects" in str(err)


async def test_an_endless_redirect_async() -> None:
    err = await call_async(
        "redirect_loop", httpx_args={"follow_redirects": True, "max_redirects": 3}
    )
    assert "more than 3 redirects" in str(err)


def test_httpx_args_may_repeat_an_option() -> None:
    """`httpx_args` win over the client's own arguments of the same name (no TypeError)."""
    client = AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=SECRET_KEY,
        httpx_args={"follow_redirects": True, "timeout": 3.0, "headers": {"X-A": "1"}},
    )
    http = client.get_httpx_client()
    assert http.follow_redirects is True
    assert http.timeout == httpx.Timeout(3.0)
    assert http.headers["X-A"] == "1"


# ---- 7. Retry-After is capped ----------------------------------------------------------------


def test_a_retry_after_over_the_cap_ends_the_call_at_once() -> None:
    """`Retry-After: 10^30` is not waited for, whatever the retries left."""
    err = call_sync("rate_limited_huge", max_retries=2)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 1e30
    assert err.attempts == 1
    assert err.retry_note == "Retry-After 1e+30 s is over the client's 20 s cap"


def test_the_cap_is_an_option() -> None:
    err = call_sync("rate_limited", max_retries=2, max_retry_after=5.0)  # Retry-After: 7
    assert isinstance(err, RateLimited)
    assert err.retry_note == "Retry-After 7 s is over the client's 5 s cap"


def test_an_unreadable_retry_after_is_ignored() -> None:
    err = call_sync("rate_limited_inf")
    assert isinstance(err, RateLimited)
    assert err.retry_after is None
