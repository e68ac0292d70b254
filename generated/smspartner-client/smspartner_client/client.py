"""Clients of the SMS Partner API (custom template: generator/templates/client.py.jinja).

`AuthenticatedClient(base_url=..., api_key=...)` sends the key as the parameter the spec's
security scheme names (`API_KEY_PARAMETER`) in every call, sync and async. It is added to each
request, so it is also sent through an httpx client given with `set_httpx_client`. The key
never appears in `repr()`, in errors, or in the lines of the `httpx` and `httpcore` loggers (a
filter masks it there, at every level, with the secret parameters of the call, `x-secret` in
the spec), not even where the base URL's path holds it.

Every call is bounded (keyword arguments of both clients, defaults below):

- `timeout`: each connect, read, write and pool wait of one attempt (10 s, connect 5 s);
- `deadline`: the whole call, retries and their waits included (30 s), enforced at every
  socket operation, so a server dripping bytes cannot keep a call alive;
- `max_body_bytes`: the decoded size of a body, read as it streams and cut there; by default
  8 MiB (`DEFAULT_MAX_BODY_BYTES`), except the success answers of an operation whose answers
  grow without bound, which have the cap the spec gives them (`x-max-answer-bytes`: 384 MiB
  for the STOP list, a million entries and more); a value given here is the cap of every body;
- `max_retries`: tries after the first on a transport failure or a 429/502/503/504 (2; 0 turns
  retrying off), with exponential back-off and jitter, or the server's `Retry-After` (never
  less than `_retry.MIN_RETRY_AFTER`, 0.5 s: a shorter one gets the back-off);
- `max_retry_after`: the longest `Retry-After` the client waits (20 s); a longer one ends the
  call with `RateLimited` at once.

Misuse is a typed error that says what to do: a call on a closed client, or on an async client
whose connections belong to another event loop (a second `asyncio.run()`), is a
`ClientStateError`; a parameter value httpx cannot put in a URL (70,000 characters), an
`InvalidRequest`; a `base_url` that is not an absolute http(s) URL, a `ValueError` at once.

`Client` sends no key (every call then answers the API's "key required" error).
"""

import asyncio
import math
import ssl
from collections.abc import Iterable
from typing import Any, Self

import httpx
from attrs import define, evolve, field

from . import _retry
from ._deadline import Deadline, bound_transports
from ._exchange import AnswerStream, Call, exchange, exchange_async, open_exchange, open_exchange_async
from ._logs import masking
from ._spec import API_KEY_LOCATION
from ._spec import API_KEY_PARAMETER as _KEY_PARAMETER
from ._spec import DEFAULT_BASE_URL as _BASE_URL
from .errors import ClientStateError, SmsPartnerError
from .redact import KEY_MASK, Redactor
from .types import Answer

DEFAULT_BASE_URL = _BASE_URL
"""The live API (the spec's first server). Point `base_url` at the emulator
(`http://127.0.0.1:8000/v1`) to develop offline."""

API_KEY_PARAMETER = _KEY_PARAMETER
"""Name of the parameter that carries the key (the spec's security scheme of type API key)."""

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""Each connect (5 s), read, write and pool wait (10 s) of one attempt."""
DEFAULT_DEADLINE = 30.0
"""Seconds a call may last in all, retries and their waits included."""
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest body accepted, once decoded (most answers are a few KB), unless the operation's
success answers have their own cap in the spec (`x-max-answer-bytes`)."""
DEFAULT_MAX_RETRIES = 2
"""Tries after the first (as the OpenAI and Anthropic SDKs); 0 turns retrying off."""
DEFAULT_MAX_RETRY_AFTER = 20.0
"""Longest `Retry-After` (seconds) the client waits before trying again."""

_CLOSED = (
    "this client is closed (its `with` block ended): build a new client for more calls, "
    "or make them all inside one `with` block"
)
_OTHER_LOOP = (
    "this client's async connections belong to another event loop{state} (a second "
    "`asyncio.run()`?): build the client inside the coroutine that uses it, "
    "e.g. `async with AuthenticatedClient(...) as client:` in each `asyncio.run()`"
)


def _check_base_url(url: object, redactor: Redactor) -> None:
    """`ValueError` unless `url` is an absolute http(s) URL with a host and no query."""
    shown = redactor.mask(str(url))
    example = f"e.g. {DEFAULT_BASE_URL}"
    try:
        parsed = httpx.URL(url) if isinstance(url, str | httpx.URL) else None
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
        parsed = None
    if parsed is not None and any(char.isspace() or not char.isprintable() for char in str(url)):
        parsed = None
    if parsed is None:
        raise ValueError(f"base_url {shown!r} is not a valid URL: give an absolute http(s) URL, {example}")
    if parsed.scheme not in ("http", "https"):
        raise ValueError(
            f"base_url {shown!r} must start with http:// or https:// ({example}), got scheme {parsed.scheme!r}"
            if parsed.scheme
            else f"base_url {shown!r} has no scheme: start it with http:// or https:// ({example})"
        )
    if not parsed.host:
        raise ValueError(f"base_url {shown!r} has no host: {example}")
    if parsed.query or parsed.fragment:
        raise ValueError(
            f"base_url {shown!r} must not have a query string or a fragment: give the key as "
            "api_key=, other parameters to the endpoint functions"
        )


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

        ``max_body_bytes``: largest decoded body; a larger one raises `errors.ResponseTooLarge`.
        None (the default): `DEFAULT_MAX_BODY_BYTES` (8 MiB), except the success answers of an
        operation that has its own cap in the spec (`x-max-answer-bytes`: the STOP list).

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
    _max_body_bytes: int | None = field(default=None, kw_only=True, alias="max_body_bytes")
    _max_retries: int = field(default=DEFAULT_MAX_RETRIES, kw_only=True, alias="max_retries")
    _max_retry_after: float = field(default=DEFAULT_MAX_RETRY_AFTER, kw_only=True, alias="max_retry_after")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)
    _async_loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        _positive("deadline", self._deadline)
        if self._max_body_bytes is not None:
            _positive("max_body_bytes", self._max_body_bytes, integer=True)
        _positive("max_retries", self._max_retries, integer=True, zero=True)
        _positive("max_retry_after", self._max_retry_after, zero=True)
        redactor = Redactor(secrets=self.secrets())
        _check_base_url(self._base_url, redactor)
        if "base_url" in self._httpx_args:
            _check_base_url(self._httpx_args["base_url"], redactor)

    def _shown_base_url(self) -> str:
        return Redactor(secrets=self.secrets()).mask(str(self._base_url))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._shown_base_url()!r})"

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

    def _sync_http(self) -> httpx.Client:
        http = self.get_httpx_client()
        if http.is_closed:
            raise ClientStateError(_CLOSED)
        return http

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(**self._httpx_kwargs())
            bound_transports(self._client)
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self._sync_http().__enter__()
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
        self._async_loop = None
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(**self._httpx_kwargs())
            bound_transports(self._async_client)
        return self._async_client

    def _async_http(self) -> httpx.AsyncClient:
        """The async httpx client, if it can still send from the running event loop."""
        http = self.get_async_httpx_client()
        if http.is_closed:
            raise ClientStateError(_CLOSED)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio, through anyio): nothing to compare
            return http
        if self._async_loop is None:
            self._async_loop = loop
        elif self._async_loop is not loop:
            state = ", now closed" if self._async_loop.is_closed() else ""
            raise ClientStateError(_OTHER_LOOP.format(state=state))
        return http

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self._async_http().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)

    def auth_headers(self) -> dict[str, str]:
        """Headers added to every request (the API key, when the spec sends it in a header)."""
        return {}

    def _call(self, kwargs: dict[str, Any], tokens: Iterable[str], max_answer_bytes: int | None) -> Call:
        user_cap = self._max_body_bytes
        return Call(
            kwargs,
            auth_params=self.auth_params(),
            auth_headers=self.auth_headers(),
            deadline=Deadline(self._deadline),
            max_body_bytes=DEFAULT_MAX_BODY_BYTES if user_cap is None else user_cap,
            answer_cap=max_answer_bytes if user_cap is None else None,
            secrets=self.secrets(),
            tokens=tuple(str(value) for value in tokens if isinstance(value, str | int) and str(value)),
        )

    def send(
        self, kwargs: dict[str, Any], *, tokens: Iterable[str] = (), max_answer_bytes: int | None = None
    ) -> Answer:
        """Run one call (an endpoint's `_get_kwargs`) with the key, the limits and the retries;
        the answer read whole, or the typed error. `tokens` are masked in every error and log;
        `max_answer_bytes` is the cap of a success answer (the operation's, from the spec), unless
        the client was given `max_body_bytes`."""
        http = self._sync_http()
        call = self._call(kwargs, tokens, max_answer_bytes)
        with call.deadline.applied(), masking(call):
            outcome = _retry.run(
                lambda: exchange(http, call),
                max_retries=self._max_retries,
                max_retry_after=self._max_retry_after,
                deadline=call.deadline,
            )
        if isinstance(outcome, SmsPartnerError):
            raise outcome
        return outcome

    async def send_async(
        self, kwargs: dict[str, Any], *, tokens: Iterable[str] = (), max_answer_bytes: int | None = None
    ) -> Answer:
        """Async `send`."""
        http = self._async_http()
        call = self._call(kwargs, tokens, max_answer_bytes)
        with call.deadline.applied(), masking(call):
            outcome = await _retry.run_async(
                lambda: exchange_async(http, call),
                max_retries=self._max_retries,
                max_retry_after=self._max_retry_after,
                deadline=call.deadline,
            )
        if isinstance(outcome, SmsPartnerError):
            raise outcome
        return outcome

    def open_stream(
        self,
        kwargs: dict[str, Any],
        *,
        stream_statuses: Iterable[int],
        tokens: Iterable[str] = (),
        max_answer_bytes: int | None = None,
    ) -> Answer | AnswerStream:
        """`send`, except that an answer whose status is in `stream_statuses` is left open, to be
        read as a stream (`AnswerStream`, within the same cap and deadline; the caller closes
        it): what the endpoints' `iterate` functions use. Retries happen before any of the body
        is read, never after."""
        http = self._sync_http()
        call = self._call(kwargs, tokens, max_answer_bytes)
        statuses = frozenset(stream_statuses)
        with call.deadline.applied(), masking(call):
            outcome = _retry.run(
                lambda: open_exchange(http, call, statuses),
                max_retries=self._max_retries,
                max_retry_after=self._max_retry_after,
                deadline=call.deadline,
            )
        if isinstance(outcome, SmsPartnerError):
            raise outcome
        return outcome

    async def open_stream_async(
        self,
        kwargs: dict[str, Any],
        *,
        stream_statuses: Iterable[int],
        tokens: Iterable[str] = (),
        max_answer_bytes: int | None = None,
    ) -> Answer | AnswerStream:
        """Async `open_stream`."""
        http = self._async_http()
        call = self._call(kwargs, tokens, max_answer_bytes)
        statuses = frozenset(stream_statuses)
        with call.deadline.applied(), masking(call):
            outcome = await _retry.run_async(
                lambda: open_exchange_async(http, call, statuses),
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
    parameter `API_KEY_PARAMETER` of every call. Same keyword arguments as `Client`.

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
        return f"{type(self).__name__}(base_url={self._shown_base_url()!r}, api_key={KEY_MASK!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def auth_params(self) -> dict[str, str]:
        return {API_KEY_PARAMETER: self._api_key} if API_KEY_LOCATION == "query" else {}

    def auth_headers(self) -> dict[str, str]:
        return {API_KEY_PARAMETER: self._api_key} if API_KEY_LOCATION == "header" else {}


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
