"""One attempt of a call: send the request, follow redirects if asked, read the body within the
cap, and give back the `Answer`, or the typed error of what failed (returned, not raised, so
that retries can look at it and no httpx exception is ever chained to it). Sync and async twins.

Redirects are followed here rather than by httpx, which reads the body of every intermediate
answer whole (an endless or gzip-bombed 302 body would escape the cap); `max_redirects` and
`follow_redirects` are those of the httpx client.

The cap of a body depends on its status: a success answer of an operation whose answers grow
without bound (the spec's `x-max-answer-bytes`) has that cap; every other body (the other
operations, error answers) the client's default. A `max_body_bytes` given to the client is the
cap of every body. An answer read as a stream (`open_exchange`: the entries of a list one by
one) is left open for the caller, which reads it through `AnswerStream` within the same cap and
deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from ._body import ACCEPT_ENCODING, BodyError, BodyReader, BodyTooLarge
from ._deadline import Deadline
from ._logs import masking
from .errors import (
    DeadlineExceeded,
    InvalidRequest,
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

LONG_VALUE = 1000
"""A parameter value at least this long is named (never shown) when a URL is refused."""
MAX_URL_CHARS = 65_536
"""Longest URL the client sends (httpx refuses longer ones from 0.24 on; so does the client,
whatever the httpx version, before anything is sent)."""


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
        answer_cap: int | None = None,
        auth_headers: dict[str, str] | None = None,
    ) -> None:
        self.kwargs = kwargs
        self.auth_params = auth_params
        self.auth_headers = auth_headers or {}
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.answer_cap = answer_cap
        self.secrets = secrets
        self.tokens = tokens
        self._redactor: Redactor | None = None

    @property
    def redactor(self) -> Redactor:
        """Masks the key, the call's tokens and phone numbers (built on first use)."""
        if self._redactor is None:
            self._redactor = Redactor(secrets=self.secrets, tokens=self.tokens)
        return self._redactor

    def cap(self, status_code: int) -> int:
        """The cap of a body of this status: the operation's own for a success answer."""
        if self.answer_cap is not None and 200 <= status_code < 300:
            return self.answer_cap
        return self.max_body_bytes

    def describe(self, request: httpx.Request) -> str:
        """`GET http://host/v1/path`, without the query string, masked (a key in the path)."""
        return self.redactor.mask(describe_request(request.method, request.url))

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request | InvalidRequest:
        """The request of one attempt: the key added, the timeouts cut to the time left; or
        `InvalidRequest` if it cannot be sent (a URL over `MAX_URL_CHARS`, a value httpx
        refuses)."""
        kwargs = self.kwargs
        params = {**kwargs.get("params", {}), **self.auth_params}
        problem = f"its URL would be longer than {MAX_URL_CHARS:,} characters"
        if sum(len(str(value)) for value in params.values()) <= MAX_URL_CHARS:
            try:
                request = http.build_request(
                    kwargs["method"],
                    kwargs["url"],
                    params=params,
                    headers={
                        **kwargs.get("headers", {}),
                        **self.auth_headers,
                        "Accept-Encoding": ACCEPT_ENCODING,
                    },
                    cookies=kwargs.get("cookies"),
                    timeout=self.deadline.timeout(http.timeout),
                )
            except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
                problem = f"httpx refuses it ({type(exc).__name__})"
            else:
                if len(str(request.url)) <= MAX_URL_CHARS:
                    return request
        return self._refused(http, params, problem)

    def _refused(self, http: httpx.Client | httpx.AsyncClient, params: dict[str, Any], problem: str) -> InvalidRequest:
        where = f"{str(self.kwargs['method']).upper()} {self.redactor.mask(str(http.base_url))}"
        where = where.rstrip("/") + str(self.kwargs["url"])
        lengths = {name: len(str(value)) for name, value in params.items()}
        long = ", ".join(
            f"`{name}` is {length:,} characters"
            for name, length in sorted(lengths.items(), key=lambda item: -item[1])
            if length >= LONG_VALUE and name not in self.auth_params
        )
        if long:
            detail = (
                f"the request cannot be sent: {problem}; {long}: pass the value the API gave (no value is shown here)"
            )
        else:
            detail = (
                f"the request cannot be sent: {problem}: check the base URL and the parameters' "
                "values (no value is shown here)"
            )
        return InvalidRequest(where, detail)

    def answer(self, response: httpx.Response, content: bytes) -> Answer:
        return Answer(
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            request=self.describe(response.request),
            secrets=self.secrets,
            tokens=self.tokens,
        )

    def failure(self, exc: httpx.HTTPError, request: httpx.Request) -> TransportError:
        """The typed error of an httpx failure; its text masked, nothing chained."""
        where = self.describe(request)
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
            self.describe(request),
            f"the call's total deadline of {seconds:g} s passed{detail}",
            deadline=seconds,
        )

    def too_many_redirects(self, request: httpx.Request, limit: int) -> TransportError:
        return TransportError(self.describe(request), f"more than {limit} redirects")

    def unreadable(self, response: httpx.Response, reader: BodyReader | None, exc: BodyError) -> SmsPartnerError:
        """`ResponseTooLarge`, or `InvalidResponse` for a body that cannot be decoded."""
        start = reader.start if reader is not None else b""
        if isinstance(exc, BodyTooLarge):
            return ResponseTooLarge(
                status_code=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body_excerpt(start, self.redactor),
                reason=exc.reason,
                request=self.describe(response.request),
                limit=exc.limit,
            )
        return invalid_response(self.answer(response, start), exc.reason)


class AnswerStream:
    """A success answer left open, to be read as a stream (`chunks`/`achunks`: the decoded body
    piece by piece, within the cap and the call's deadline; httpx failures become the typed
    errors). `attempts` and `retry_note` as on an error; `close`/`aclose` when done."""

    def __init__(self, call: Call, response: httpx.Response, reader: BodyReader) -> None:
        self.call = call
        self.response = response
        self.reader = reader
        self.attempts = 1
        self.retry_note = ""

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def head(self) -> Answer:
        """The answer as far as it is known (status, headers, the first bytes decoded): what
        errors found while streaming describe."""
        answer = self.call.answer(self.response, self.reader.start)
        answer.attempts = self.attempts
        answer.retry_note = self.retry_note
        return answer

    def _tag(self, error: SmsPartnerError) -> SmsPartnerError:
        error.attempts = self.attempts
        error.retry_note = self.retry_note
        return error

    def _pieces(self, chunk: bytes | None) -> list[bytes]:
        """Decode one raw chunk (None: the end) or raise the typed error."""
        request = self.response.request
        failure: SmsPartnerError | None = None
        pieces: list[bytes] = []
        try:
            if chunk is None:
                self.reader.finish()
            else:
                pieces = self.reader.feed(chunk)
        except BodyError as exc:
            failure = self.call.unreadable(self.response, self.reader, exc)
        if failure is None and chunk is not None and self.call.deadline.expired:
            failure = self.call.deadline_passed(request)
        if failure is not None:
            raise self._tag(failure)
        return pieces

    def chunks(self) -> Iterator[bytes]:
        """The decoded body, piece by piece (sync)."""
        if self.response.is_stream_consumed:
            yield from self._pieces(self.response.content)
            self._pieces(None)
            return
        raw = self.response.iter_raw()
        while True:
            failure: SmsPartnerError | None = None
            chunk: bytes | None = None
            with self.call.deadline.applied(), masking(self.call):
                try:
                    chunk = next(raw, None)
                except httpx.HTTPError as exc:
                    failure = self.call.failure(exc, self.response.request)
            if failure is not None:
                raise self._tag(failure)
            yield from self._pieces(chunk)
            if chunk is None:
                return

    async def achunks(self) -> AsyncIterator[bytes]:
        """The decoded body, piece by piece (async)."""
        if self.response.is_stream_consumed:
            for piece in self._pieces(self.response.content):
                yield piece
            self._pieces(None)
            return
        raw = self.response.aiter_raw()
        while True:
            failure: SmsPartnerError | None = None
            chunk: bytes | None = None
            with self.call.deadline.applied(), masking(self.call):
                try:
                    chunk = await raw.__anext__()
                except StopAsyncIteration:
                    chunk = None
                except httpx.HTTPError as exc:
                    failure = self.call.failure(exc, self.response.request)
            if failure is not None:
                raise self._tag(failure)
            for piece in self._pieces(chunk):
                yield piece
            if chunk is None:
                return

    def close(self) -> None:
        self.response.close()

    async def aclose(self) -> None:
        await self.response.aclose()


Outcome = Answer | SmsPartnerError
Opened = Answer | SmsPartnerError | AnswerStream

_NO_STREAM: frozenset[int] = frozenset()


def exchange(http: httpx.Client, call: Call) -> Answer | SmsPartnerError:
    """One attempt, sync."""
    outcome = open_exchange(http, call, _NO_STREAM)
    if isinstance(outcome, AnswerStream):  # no status is streamed: never
        outcome.close()
        return outcome.head()
    return outcome


def open_exchange(http: httpx.Client, call: Call, stream: frozenset[int]) -> Opened:
    """One attempt, sync; an answer whose status is in `stream` is left open (`AnswerStream`)."""
    request = call.request(http)
    if isinstance(request, InvalidRequest):
        return request
    failure: SmsPartnerError
    try:
        return _exchange(http, call, request, stream)
    except httpx.HTTPError as exc:
        failure = call.failure(exc, exc.request if _has_request(exc) else request)
    return failure


def _exchange(http: httpx.Client, call: Call, request: httpx.Request, stream: frozenset[int]) -> Opened:
    for _ in range(http.max_redirects + 1):
        response = http.send(request, stream=True, follow_redirects=False)
        keep_open = False
        try:
            if http.follow_redirects and response.next_request is not None:
                request = response.next_request
                continue
            reader: BodyReader | None = None
            problem: BodyError | None = None
            try:
                cap = call.cap(response.status_code)
                if response.status_code in stream:
                    reader = BodyReader(response.headers, cap, keep=False)
                    keep_open = True
                    return AnswerStream(call, response, reader)
                reader = BodyReader(response.headers, cap)
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
                keep_open = False
            if problem is not None:
                return call.unreadable(response, reader, problem)
            return call.answer(response, content)
        finally:
            if not keep_open:
                response.close()
    return call.too_many_redirects(request, http.max_redirects)


async def exchange_async(http: httpx.AsyncClient, call: Call) -> Answer | SmsPartnerError:
    """One attempt, async."""
    outcome = await open_exchange_async(http, call, _NO_STREAM)
    if isinstance(outcome, AnswerStream):  # no status is streamed: never
        await outcome.aclose()
        return outcome.head()
    return outcome


async def open_exchange_async(http: httpx.AsyncClient, call: Call, stream: frozenset[int]) -> Opened:
    """One attempt, async; an answer whose status is in `stream` is left open."""
    request = call.request(http)
    if isinstance(request, InvalidRequest):
        return request
    failure: SmsPartnerError
    try:
        return await _exchange_async(http, call, request, stream)
    except httpx.HTTPError as exc:
        failure = call.failure(exc, exc.request if _has_request(exc) else request)
    return failure


async def _exchange_async(
    http: httpx.AsyncClient, call: Call, request: httpx.Request, stream: frozenset[int]
) -> Opened:
    for _ in range(http.max_redirects + 1):
        response = await http.send(request, stream=True, follow_redirects=False)
        keep_open = False
        try:
            if http.follow_redirects and response.next_request is not None:
                request = response.next_request
                continue
            reader: BodyReader | None = None
            problem: BodyError | None = None
            try:
                cap = call.cap(response.status_code)
                if response.status_code in stream:
                    reader = BodyReader(response.headers, cap, keep=False)
                    keep_open = True
                    return AnswerStream(call, response, reader)
                reader = BodyReader(response.headers, cap)
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
                keep_open = False
            if problem is not None:
                return call.unreadable(response, reader, problem)
            return call.answer(response, content)
        finally:
            if not keep_open:
                await response.aclose()
    return call.too_many_redirects(request, http.max_redirects)


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 (httpx raises RuntimeError when the error has no request)
    except RuntimeError:
        return False
    return True


__all__ = [
    "AnswerStream",
    "Call",
    "Opened",
    "Outcome",
    "exchange",
    "exchange_async",
    "open_exchange",
    "open_exchange_async",
]
