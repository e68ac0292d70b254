"""One attempt of a call: send the request, follow redirects if asked, read the body within the
cap, and give back the `Answer`, or the typed error of what failed (returned, not raised, so
that retries can look at it and no httpx exception is ever chained to it). Sync and async twins.

Redirects are followed here rather than by httpx, which reads the body of every intermediate
answer whole (an endless or gzip-bombed 302 body would escape the cap); `max_redirects` and
`follow_redirects` are those of the httpx client.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._body import ACCEPT_ENCODING, BodyError, BodyReader, BodyTooLarge
from ._deadline import Deadline
from .errors import (
    DeadlineExceeded,
    RequestTimeout,
    ResponseTooLarge,
    SmsPartnerError,
    TransportError,
    body_excerpt,
    describe_request,
    invalid_response,
)
from .redact import Redactor
from .types import Answer


class Call:
    """What every attempt of one call shares: the request's parts, the limits, the masking."""

    def __init__(
        self,
        kwargs: dict[str, Any],
        *,
        auth_params: dict[str, str],
        deadline: Deadline,
        max_body_bytes: int,
        secrets: tuple[str, ...],
        tokens: tuple[str, ...],
    ) -> None:
        self.kwargs = kwargs
        self.auth_params = auth_params
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.secrets = secrets
        self.tokens = tokens
        self._redactor: Redactor | None = None

    @property
    def redactor(self) -> Redactor:
        """Masks the key, the call's tokens and phone numbers (built on the first failure)."""
        if self._redactor is None:
            self._redactor = Redactor(secrets=self.secrets, tokens=self.tokens)
        return self._redactor

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The request of one attempt: the key added, the timeouts cut to the time left."""
        kwargs = self.kwargs
        return http.build_request(
            kwargs["method"],
            kwargs["url"],
            params={**kwargs.get("params", {}), **self.auth_params},
            headers={**kwargs.get("headers", {}), "Accept-Encoding": ACCEPT_ENCODING},
            cookies=kwargs.get("cookies"),
            timeout=self.deadline.timeout(http.timeout),
        )

    def answer(self, response: httpx.Response, content: bytes) -> Answer:
        return Answer(
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            request=describe_request(response.request.method, response.request.url),
            secrets=self.secrets,
            tokens=self.tokens,
        )

    def failure(self, exc: httpx.HTTPError, request: httpx.Request) -> TransportError:
        """The typed error of an httpx failure; its text masked, nothing chained."""
        where = describe_request(request.method, request.url)
        name = type(exc).__name__
        detail = self.redactor.mask(f"{name}: {exc}" if str(exc) else name)
        if isinstance(exc, httpx.TimeoutException):
            if self.deadline.expired:
                return self.deadline_passed(request, f" ({detail})")
            return RequestTimeout(where, f"timed out ({detail})")
        return TransportError(where, f"no usable answer ({detail})")

    def deadline_passed(self, request: httpx.Request, detail: str = "") -> DeadlineExceeded:
        seconds = self.deadline.seconds
        return DeadlineExceeded(
            describe_request(request.method, request.url),
            f"the call's total deadline of {seconds:g} s passed{detail}",
            deadline=seconds,
        )

    def too_many_redirects(self, request: httpx.Request, limit: int) -> TransportError:
        return TransportError(describe_request(request.method, request.url), f"more than {limit} redirects")

    def unreadable(self, response: httpx.Response, reader: BodyReader | None, exc: BodyError) -> SmsPartnerError:
        """`ResponseTooLarge`, or `InvalidResponse` for a body that cannot be decoded."""
        start = reader.start if reader is not None else b""
        if isinstance(exc, BodyTooLarge):
            return ResponseTooLarge(
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body_excerpt(start, self.redactor),
                reason=exc.reason,
                request=describe_request(response.request.method, response.request.url),
                limit=exc.limit,
            )
        return invalid_response(self.answer(response, start), exc.reason)


def exchange(http: httpx.Client, call: Call) -> Answer | SmsPartnerError:
    """One attempt, sync."""
    request = call.request(http)
    failure: SmsPartnerError
    try:
        return _exchange(http, call, request)
    except httpx.HTTPError as exc:
        failure = call.failure(exc, exc.request if _has_request(exc) else request)
    return failure


def _exchange(http: httpx.Client, call: Call, request: httpx.Request) -> Answer | SmsPartnerError:
    for _ in range(http.max_redirects + 1):
        response = http.send(request, stream=True, follow_redirects=False)
        try:
            if http.follow_redirects and response.next_request is not None:
                request = response.next_request
                continue
            reader: BodyReader | None = None
            problem: BodyError | None = None
            try:
                reader = BodyReader(response.headers, call.max_body_bytes)
                if response.is_stream_consumed:
                    reader.take_decoded(response.content)
                else:
                    for chunk in response.iter_raw():
                        reader.feed(chunk)
                        if call.deadline.expired:
                            return call.deadline_passed(request)
                content = reader.finish()
            except BodyError as exc:
                problem = exc
            if problem is not None:
                return call.unreadable(response, reader, problem)
            return call.answer(response, content)
        finally:
            response.close()
    return call.too_many_redirects(request, http.max_redirects)


async def exchange_async(http: httpx.AsyncClient, call: Call) -> Answer | SmsPartnerError:
    """One attempt, async."""
    request = call.request(http)
    failure: SmsPartnerError
    try:
        return await _exchange_async(http, call, request)
    except httpx.HTTPError as exc:
        failure = call.failure(exc, exc.request if _has_request(exc) else request)
    return failure


async def _exchange_async(http: httpx.AsyncClient, call: Call, request: httpx.Request) -> Answer | SmsPartnerError:
    for _ in range(http.max_redirects + 1):
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            if http.follow_redirects and response.next_request is not None:
                request = response.next_request
                continue
            reader: BodyReader | None = None
            problem: BodyError | None = None
            try:
                reader = BodyReader(response.headers, call.max_body_bytes)
                if response.is_stream_consumed:
                    reader.take_decoded(response.content)
                else:
                    async for chunk in response.aiter_raw():
                        reader.feed(chunk)
                        if call.deadline.expired:
                            return call.deadline_passed(request)
                content = reader.finish()
            except BodyError as exc:
                problem = exc
            if problem is not None:
                return call.unreadable(response, reader, problem)
            return call.answer(response, content)
        finally:
            await response.aclose()
    return call.too_many_redirects(request, http.max_redirects)


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 (httpx raises RuntimeError when the error has no request)
    except RuntimeError:
        return False
    return True


__all__ = ["Call", "exchange", "exchange_async"]
