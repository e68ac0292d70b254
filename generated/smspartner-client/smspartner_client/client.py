"""Clients of the SMS Partner API (custom template: generator/templates/client.py.jinja).

`AuthenticatedClient(base_url=..., api_key=...)` sends the key as the `apiKey` query parameter
of every call, sync and async (the spec's only security scheme). It is added to each request,
so it is also sent through an httpx client given with `set_httpx_client`. The key never appears
in `repr()`, in errors, or in the `httpx` logger's lines (a filter masks it there, with the
rental token of the call).

Every call is bounded (keyword arguments of both clients, defaults below):

- `timeout`: each connect, read, write and pool wait of one attempt (10 s, connect 5 s);
- `deadline`: the whole call, retries and their waits included (30 s), enforced at every
  socket operation, so a server dripping bytes cannot keep a call alive;
- `max_body_bytes`: the decoded size of a body (8 MiB), read as it streams and cut there;
- `max_retries`: tries after the first on a transport failure or a 429/502/503/504 (2; 0 turns
  retrying off), with exponential back-off and jitter, or the server's `Retry-After`;
- `max_retry_after`: the longest `Retry-After` the client waits (20 s); a longer one ends the
  call with `RateLimited` at once.

`Client` sends no key (every call then answers error code 1, "La Clé API est requise").
"""

import logging
import math
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self

import httpx
from attrs import define, evolve, field

from . import _retry
from ._deadline import Deadline, bound_transports
from ._exchange import Call, exchange, exchange_async
from .errors import SmsPartnerError
from .redact import KEY_MASK, Redactor
from .types import Answer

DEFAULT_BASE_URL = "https://api.smspartner.fr/v1"
"""The live API. Point `base_url` at the emulator (`http://127.0.0.1:8000/v1`) to develop offline."""

API_KEY_PARAMETER = "apiKey"
"""Name of the query parameter that carries the key (security scheme `apiKey`, in: query)."""

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""Each connect (5 s), read, write and pool wait (10 s) of one attempt."""
DEFAULT_DEADLINE = 30.0
"""Seconds a call may last in all, retries and their waits included."""
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest body accepted, once decoded (the real answers are a few KB)."""
DEFAULT_MAX_RETRIES = 2
"""Tries after the first (as the OpenAI and Anthropic SDKs); 0 turns retrying off."""
DEFAULT_MAX_RETRY_AFTER = 20.0
"""Longest `Retry-After` (seconds) the client waits before trying again."""

_LOG_CALL: ContextVar[Call | None] = ContextVar("smspartner_client_log_call", default=None)
_BY_NAME = Redactor()


class _MaskSecretsFilter(logging.Filter):
    """Masks the key (by name and, during a call, by value) and the call's rental token in the
    records of the `httpx` logger, which logs every request URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = _LOG_CALL.get()
        redactor = call.redactor if call is not None else _BY_NAME
        if isinstance(record.args, tuple):
            record.args = tuple(
                redactor.mask(str(arg)) if isinstance(arg, str | httpx.URL) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redactor.mask(record.msg)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _MaskSecretsFilter) for existing in logger.filters):
        logger.addFilter(_MaskSecretsFilter())


_install_log_filter()


@contextmanager
def _masking_logs(call: Call) -> Iterator[None]:
    token = _LOG_CALL.set(call)
    try:
        yield
    finally:
        _LOG_CALL.reset(token)


def _positive(name: str, value: float, *, integer: bool = False, zero: bool = False) -> None:
    valid_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not valid_type or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative {'integer' if integer else 'number'}")
    if value == 0 and not zero:
        raise ValueError(f"{name} must be more than 0")


@define
class Client:
    """A client without API key. Prefer `AuthenticatedClient`: every SMS Partner call needs the key.

    Keyword arguments (all optional):

        ``base_url``: Base URL of the API, `https://api.smspartner.fr/v1` by default.

        ``cookies``, ``headers``: sent with every request.

        ``timeout``: an `httpx.Timeout` (or seconds) for each connect, read, write and pool wait
        of one attempt; `DEFAULT_TIMEOUT` (10 s, connect 5 s) by default. None leaves only the
        deadline. An attempt that exceeds it raises `errors.RequestTimeout` (after retries).

        ``deadline``: seconds a call may last in all, retries included (`DEFAULT_DEADLINE`, 30 s);
        past it the call raises `errors.DeadlineExceeded`.

        ``max_body_bytes``: largest decoded body (`DEFAULT_MAX_BODY_BYTES`, 8 MiB); a larger one
        raises `errors.ResponseTooLarge`.

        ``max_retries``: tries after the first on a transport failure or HTTP 429, 502, 503, 504
        (`DEFAULT_MAX_RETRIES`, 2); 0 turns retrying off.

        ``max_retry_after``: longest `Retry-After` waited for (`DEFAULT_MAX_RETRY_AFTER`, 20 s).

        ``verify_ssl``: certificate verification (True, a CA bundle path or an `ssl.SSLContext`).

        ``follow_redirects``: False by default (a redirect is then an `errors.UnexpectedStatus`).

        ``httpx_args``: more arguments for the `httpx.Client` / `httpx.AsyncClient` constructors,
        e.g. ``{"transport": httpx.MockTransport(handler)}``; they take precedence over the
        arguments above of the same name (``{"follow_redirects": True}``, ``{"timeout": 3}``).
    """

    _base_url: str = field(default=DEFAULT_BASE_URL, kw_only=True, alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | float | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _deadline: float = field(default=DEFAULT_DEADLINE, kw_only=True, alias="deadline")
    _max_body_bytes: int = field(default=DEFAULT_MAX_BODY_BYTES, kw_only=True, alias="max_body_bytes")
    _max_retries: int = field(default=DEFAULT_MAX_RETRIES, kw_only=True, alias="max_retries")
    _max_retry_after: float = field(default=DEFAULT_MAX_RETRY_AFTER, kw_only=True, alias="max_retry_after")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        _positive("deadline", self._deadline)
        _positive("max_body_bytes", self._max_body_bytes, integer=True)
        _positive("max_retries", self._max_retries, integer=True, zero=True)
        _positive("max_retry_after", self._max_retry_after, zero=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    def secrets(self) -> tuple[str, ...]:
        """Values to mask in every message (the API key, for `AuthenticatedClient`)."""
        return ()

    def auth_params(self) -> dict[str, str]:
        """Query parameters added to every request (the API key, for `AuthenticatedClient`)."""
        return {}

    def with_headers(self, headers: dict[str, str]) -> Self:
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> Self:
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> Self:
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def _httpx_kwargs(self) -> dict[str, Any]:
        """The httpx client's arguments: ours, then `httpx_args`, which win on the same name."""
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            "headers": self._headers,
            "timeout": self._timeout,
            "verify": self._verify_ssl,
            "follow_redirects": self._follow_redirects,
            **self._httpx_args,
        }

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client (the API key is still added to each request,
        and the deadline bounds its httpx transports).

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        bound_transports(client)
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(**self._httpx_kwargs())
            bound_transports(self._client)
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient (the API key is still added to each
        request, and the deadline bounds its httpx transports).

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        bound_transports(async_client)
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(**self._httpx_kwargs())
            bound_transports(self._async_client)
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)

    def _call(self, kwargs: dict[str, Any], tokens: Iterable[str]) -> Call:
        return Call(
            kwargs,
            auth_params=self.auth_params(),
            deadline=Deadline(self._deadline),
            max_body_bytes=self._max_body_bytes,
            secrets=self.secrets(),
            tokens=tuple(token for token in tokens if isinstance(token, str) and token),
        )

    def send(self, kwargs: dict[str, Any], *, tokens: Iterable[str] = ()) -> Answer:
        """Run one call (an endpoint's `_get_kwargs`) with the key, the limits and the retries;
        the answer read whole, or the typed error. `tokens` are masked in every error and log."""
        http = self.get_httpx_client()
        call = self._call(kwargs, tokens)
        with call.deadline.applied(), _masking_logs(call):
            outcome = _retry.run(
                lambda: exchange(http, call),
                max_retries=self._max_retries,
                max_retry_after=self._max_retry_after,
                deadline=call.deadline,
            )
        if isinstance(outcome, SmsPartnerError):
            raise outcome
        return outcome

    async def send_async(self, kwargs: dict[str, Any], *, tokens: Iterable[str] = ()) -> Answer:
        """Async `send`."""
        http = self.get_async_httpx_client()
        call = self._call(kwargs, tokens)
        with call.deadline.applied(), _masking_logs(call):
            outcome = await _retry.run_async(
                lambda: exchange_async(http, call),
                max_retries=self._max_retries,
                max_retry_after=self._max_retry_after,
                deadline=call.deadline,
            )
        if isinstance(outcome, SmsPartnerError):
            raise outcome
        return outcome


@define
class AuthenticatedClient(Client):
    """A client that sends the account's API key (`api_key`, required, keyword-only) as the
    `apiKey` query parameter of every call. Same keyword arguments as `Client`.

    ```python
    client = AuthenticatedClient(base_url="https://api.smspartner.fr/v1", api_key=key)
    ```
    """

    _api_key: str = field(kw_only=True, alias="api_key", repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self._api_key, str) or not self._api_key.strip():
            raise ValueError("api_key must be a non-empty string")
        super().__attrs_post_init__()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={KEY_MASK!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def auth_params(self) -> dict[str, str]:
        return {API_KEY_PARAMETER: self._api_key}


__all__ = [
    "API_KEY_PARAMETER",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_TIMEOUT",
    "AuthenticatedClient",
    "Client",
]
