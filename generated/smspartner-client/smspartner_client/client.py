"""Clients of the SMS Partner API (custom template: generator/templates/client.py.jinja).

`AuthenticatedClient(base_url=..., api_key=...)` sends the key as the `apiKey` query parameter
of every call, sync and async (the spec's only security scheme). It is added to each request,
so it is also sent through an httpx client given with `set_httpx_client`. The key never appears
in `repr()`, in error messages, or in the `httpx` logger's lines (a filter masks it there).

`Client` sends no key (every call then answers error code 1, "La Clé API est requise").
"""

import logging
import ssl
from typing import Any, Self

import httpx
from attrs import define, evolve, field

from . import errors

DEFAULT_BASE_URL = "https://api.smspartner.fr/v1"
"""The live API. Point `base_url` at the emulator (`http://127.0.0.1:8000/v1`) to develop offline."""

API_KEY_PARAMETER = "apiKey"
"""Name of the query parameter that carries the key (security scheme `apiKey`, in: query)."""


class _MaskApiKeyFilter(logging.Filter):
    """Masks `apiKey=...` in the records of the `httpx` logger (it logs every request URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                errors.mask_secrets(str(arg)) if isinstance(arg, str | httpx.URL) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = errors.mask_secrets(record.msg)
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _MaskApiKeyFilter) for existing in logger.filters):
        logger.addFilter(_MaskApiKeyFilter())


_install_log_filter()


@define
class Client:
    """A client without API key. Prefer `AuthenticatedClient`: every SMS Partner call needs the key.

    Keyword arguments (all optional):

        ``base_url``: Base URL of the API, `https://api.smspartner.fr/v1` by default.

        ``cookies``, ``headers``: sent with every request.

        ``timeout``: an `httpx.Timeout` (httpx's default, 5 s, when None). A call that exceeds it
        raises `errors.RequestTimeout`.

        ``verify_ssl``: certificate verification (True, a CA bundle path or an `ssl.SSLContext`).

        ``follow_redirects``: False by default.

        ``httpx_args``: more arguments for the `httpx.Client` / `httpx.AsyncClient` constructors,
        e.g. ``{"transport": httpx.MockTransport(handler)}``.
    """

    _base_url: str = field(default=DEFAULT_BASE_URL, kw_only=True, alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

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

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client (the API key is still added to each request).

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient (the API key is still added to each request).

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)

    def _prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = {**kwargs.get("params", {}), **self.auth_params()}
        return {**kwargs, "params": params}

    def _describe(self, kwargs: dict[str, Any], exc: httpx.TransportError) -> str:
        try:
            return errors.describe_request(exc.request.method, exc.request.url)
        except RuntimeError:
            return f"{str(kwargs.get('method', '')).upper()} {self._base_url.rstrip('/')}{kwargs.get('url', '')}"

    def send(self, kwargs: dict[str, Any]) -> httpx.Response:
        """Send one request (from an endpoint's `_get_kwargs`) with the key; transport errors typed."""
        try:
            return self.get_httpx_client().request(**self._prepare(kwargs))
        except httpx.TransportError as exc:
            raise errors.transport_error(exc, self._describe(kwargs, exc), self.secrets()) from exc

    async def send_async(self, kwargs: dict[str, Any]) -> httpx.Response:
        """Async `send`."""
        try:
            return await self.get_async_httpx_client().request(**self._prepare(kwargs))
        except httpx.TransportError as exc:
            raise errors.transport_error(exc, self._describe(kwargs, exc), self.secrets()) from exc


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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={errors.MASK!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def auth_params(self) -> dict[str, str]:
        return {API_KEY_PARAMETER: self._api_key}
