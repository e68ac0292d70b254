"""The total deadline of one call, enforced at every socket operation.

httpx's timeouts are per operation: a read timeout of 5 s is met by a server that sends one byte
every half second, in the headers, in the body or as an endless run of `103 Early Hints`, so a
call could last forever. Each call of the client therefore runs under a `Deadline` (a monotonic
end time in a context variable, so concurrent calls in threads or tasks each have their own),
and the client's httpx transports get a network backend that clamps every connect, TLS
handshake, read and write to the time left, and raises httpcore's timeout error once none is
left. Outside a call (no deadline set) the backend changes nothing.

httpx has no public way to hand a network backend to its transports: `bound_transports` wraps
the backend of the httpcore pool that httpx's own `HTTPTransport` keeps (httpx 0.23 to 0.28),
and leaves any other transport (a `MockTransport`, a transport of your own) as it is; the
client still checks the deadline between attempts, redirects and body chunks for those.

httpcore made its network backend API public in 0.17.3 (`httpcore.NetworkStream`, ...); from
0.15 to 0.17.2 the same classes live in `httpcore.backends.base`, and `connect_tcp` takes no
`socket_options`. Both are supported: the classes are taken from where they are, and the
wrappers pass on only the arguments they were given.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

try:
    from httpcore import (
        AsyncNetworkBackend,
        AsyncNetworkStream,
        NetworkBackend,
        NetworkStream,
    )
except ImportError:  # httpcore < 0.17.3
    from httpcore.backends.base import (  # type: ignore[import-not-found, no-redef]
        AsyncNetworkBackend,
        AsyncNetworkStream,
        NetworkBackend,
        NetworkStream,
    )

_CURRENT: ContextVar[Deadline | None] = ContextVar("smspartner_client_deadline", default=None)


class Deadline:
    """`seconds` from now (monotonic clock): the end of one call, retries included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def timeout(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """`timeout` with every phase (connect, read, write, pool) clamped to the time left."""
        left = self.remaining()

        def clamp(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=clamp(timeout.connect),
            read=clamp(timeout.read),
            write=clamp(timeout.write),
            pool=clamp(timeout.pool),
        )

    @contextlib.contextmanager
    def applied(self) -> Iterator[Deadline]:
        """Make this the deadline of the socket operations run inside the block."""
        previous = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(previous)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to the current call's time left; `error` if none is left."""
    deadline = _CURRENT.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0.0:
        raise error(f"the call's total deadline of {deadline.seconds:g} s has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(NetworkStream):
    def __init__(self, inner: NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(NetworkBackend):
    """A sync network backend whose every socket operation ends by the call's deadline."""

    def __init__(self, inner: NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        options = {} if socket_options is None else {"socket_options": socket_options}
        return _Stream(self._inner.connect_tcp(host, port, clamped, local_address, **options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        options = {} if socket_options is None else {"socket_options": socket_options}
        return _Stream(self._inner.connect_unix_socket(path, clamped, **options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncStream(AsyncNetworkStream):
    def __init__(self, inner: AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncDeadlineBackend(AsyncNetworkBackend):
    """The async twin of `DeadlineBackend`."""

    def __init__(self, inner: AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        options = {} if socket_options is None else {"socket_options": socket_options}
        stream = await self._inner.connect_tcp(host, port, clamped, local_address, **options)
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        options = {} if socket_options is None else {"socket_options": socket_options}
        return _AsyncStream(await self._inner.connect_unix_socket(path, clamped, **options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _bind(transport: object) -> bool:
    """Wrap the network backend of one httpx `HTTPTransport`/`AsyncHTTPTransport`."""
    pool: Any = getattr(transport, "_pool", None)
    backend: Any = getattr(pool, "_network_backend", None)
    if isinstance(backend, DeadlineBackend | AsyncDeadlineBackend):
        return True
    if isinstance(backend, NetworkBackend):
        pool._network_backend = DeadlineBackend(backend)
        return True
    if isinstance(backend, AsyncNetworkBackend):
        pool._network_backend = AsyncDeadlineBackend(backend)
        return True
    return False


def bound_transports(client: httpx.Client | httpx.AsyncClient) -> int:
    """Put the deadline backend under every transport of `client` (its default transport and
    the proxy mounts); return how many transports it now bounds (0 for a mock transport)."""
    mounts: dict[Any, Any] = getattr(client, "_mounts", {})
    transports = [getattr(client, "_transport", None), *mounts.values()]
    return sum(_bind(transport) for transport in transports if transport is not None)


__all__ = ["AsyncDeadlineBackend", "Deadline", "DeadlineBackend", "bound_transports"]
