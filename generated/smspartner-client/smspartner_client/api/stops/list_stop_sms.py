from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from typing import Any

from ... import _models, _stream, errors
from ..._spec import OPERATIONS
from ...client import AuthenticatedClient, Client
from ...models.stop_entry import StopEntry
from ...models.stop_list import StopList
from ...types import Answer, Response

DOCUMENTED_ERROR_STATUSES: tuple[int, ...] = (400,)
_OPERATION = OPERATIONS["GET /stop-sms/list"]


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/stop-sms/list",
    }

    return _kwargs


def _parse_response(*, answer: Answer) -> StopList:
    if answer.status_code == 200:
        failure: errors.InvalidResponse | None = None
        with _models.gc_paused():
            columns: _models.Columns = {}
            data = errors.decode_answer(answer, "StopList", columns)
            try:
                response_200 = _models.build(StopList, data, (("data", "data", StopEntry),), columns)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                failure = errors.invalid_response(answer, f"body is not a valid StopList ({type(exc).__name__})")
        if failure is not None:
            raise failure
        return response_200
    errors.raise_for_error_status(answer, DOCUMENTED_ERROR_STATUSES)


def _build_response(*, answer: Answer) -> Response[StopList]:
    parsed = _parse_response(answer=answer)
    return Response(
        status_code=HTTPStatus(answer.status_code),
        content=answer.content,
        headers=answer.headers,
        parsed=parsed,
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[StopList]:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well). The list has no paging: every number that ever
    answered STOP is in one answer (83 MB of JSON for 1,000,000 entries).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`, `details`).
        errors.RateLimited: HTTP 429 once retries stopped (`retry_after`, `retry_note`).
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope (after retries for 502-504).
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty, a field of
            the wrong JSON type: `field`, `expected`).
        errors.ResponseTooLarge: The decoded body is larger than its cap (`max_body_bytes`, or the
            operation's own cap from the spec for a success answer).
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).
        errors.InvalidRequest: The arguments make a request that cannot be sent (a URL longer than
            65,536 characters); nothing was sent.
        errors.ClientStateError: The client is closed, or its async connections belong to another
            event loop.

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    answer = client.send(kwargs, tokens=_OPERATION.secrets_in(kwargs), max_answer_bytes=_OPERATION.max_answer_bytes)

    return _build_response(answer=answer)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> StopList:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well). The list has no paging: every number that ever
    answered STOP is in one answer (83 MB of JSON for 1,000,000 entries).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`, `details`).
        errors.RateLimited: HTTP 429 once retries stopped (`retry_after`, `retry_note`).
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope (after retries for 502-504).
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty, a field of
            the wrong JSON type: `field`, `expected`).
        errors.ResponseTooLarge: The decoded body is larger than its cap (`max_body_bytes`, or the
            operation's own cap from the spec for a success answer).
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).
        errors.InvalidRequest: The arguments make a request that cannot be sent (a URL longer than
            65,536 characters); nothing was sent.
        errors.ClientStateError: The client is closed, or its async connections belong to another
            event loop.

    Returns:
        StopList
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[StopList]:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well). The list has no paging: every number that ever
    answered STOP is in one answer (83 MB of JSON for 1,000,000 entries).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`, `details`).
        errors.RateLimited: HTTP 429 once retries stopped (`retry_after`, `retry_note`).
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope (after retries for 502-504).
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty, a field of
            the wrong JSON type: `field`, `expected`).
        errors.ResponseTooLarge: The decoded body is larger than its cap (`max_body_bytes`, or the
            operation's own cap from the spec for a success answer).
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).
        errors.InvalidRequest: The arguments make a request that cannot be sent (a URL longer than
            65,536 characters); nothing was sent.
        errors.ClientStateError: The client is closed, or its async connections belong to another
            event loop.

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    answer = await client.send_async(
        kwargs, tokens=_OPERATION.secrets_in(kwargs), max_answer_bytes=_OPERATION.max_answer_bytes
    )

    return _build_response(answer=answer)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> StopList:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well). The list has no paging: every number that ever
    answered STOP is in one answer (83 MB of JSON for 1,000,000 entries).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`, `details`).
        errors.RateLimited: HTTP 429 once retries stopped (`retry_after`, `retry_note`).
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope (after retries for 502-504).
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty, a field of
            the wrong JSON type: `field`, `expected`).
        errors.ResponseTooLarge: The decoded body is larger than its cap (`max_body_bytes`, or the
            operation's own cap from the spec for a success answer).
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).
        errors.InvalidRequest: The arguments make a request that cannot be sent (a URL longer than
            65,536 characters); nothing was sent.
        errors.ClientStateError: The client is closed, or its async connections belong to another
            event loop.

    Returns:
        StopList
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed


_LISTING = _stream.Listing(
    answer="StopList",
    field="data",
    entry="StopEntry",
    model=StopEntry,
    parse=lambda answer: _parse_response(answer=answer),
)
_STREAMED_STATUSES: tuple[int, ...] = (200,)


def iterate(
    *,
    client: AuthenticatedClient | Client,
) -> Iterator[StopEntry]:
    """List the numbers on the STOP list, one entry at a time.

    Yields the entries of `data` as they arrive, each a `StopEntry` checked
    against the spec's JSON types, in memory that does not grow with the list: the answer is read
    as a stream, never held whole. The fields before the list are checked before the first entry
    is yielded; those after it, and a missing required field, at the end (an error found then is
    raised after the entries before it). Retries happen before the first entry, never after. The
    call's `deadline` covers the whole read, the time your loop takes between entries included;
    the cap is the operation's (`max_body_bytes` of the client if given).

    Raises:
        The errors of `sync` (`errors.ApiError`, `errors.InvalidResponse` naming the field, e.g.
        `data[12]...`, `errors.ResponseTooLarge`, `errors.DeadlineExceeded`, ...).
    """

    kwargs = _get_kwargs()
    opened = client.open_stream(
        kwargs,
        stream_statuses=_STREAMED_STATUSES,
        tokens=_OPERATION.secrets_in(kwargs),
        max_answer_bytes=_OPERATION.max_answer_bytes,
    )
    yield from _stream.items(opened, _LISTING)


async def asyncio_iterate(
    *,
    client: AuthenticatedClient | Client,
) -> AsyncIterator[StopEntry]:
    """List the numbers on the STOP list, one entry at a time.

    Yields the entries of `data` as they arrive, each a `StopEntry` checked
    against the spec's JSON types, in memory that does not grow with the list: the answer is read
    as a stream, never held whole. The fields before the list are checked before the first entry
    is yielded; those after it, and a missing required field, at the end (an error found then is
    raised after the entries before it). Retries happen before the first entry, never after. The
    call's `deadline` covers the whole read, the time your loop takes between entries included;
    the cap is the operation's (`max_body_bytes` of the client if given).

    Raises:
        The errors of `sync` (`errors.ApiError`, `errors.InvalidResponse` naming the field, e.g.
        `data[12]...`, `errors.ResponseTooLarge`, `errors.DeadlineExceeded`, ...).
    """

    kwargs = _get_kwargs()
    opened = await client.open_stream_async(
        kwargs,
        stream_statuses=_STREAMED_STATUSES,
        tokens=_OPERATION.secrets_in(kwargs),
        max_answer_bytes=_OPERATION.max_answer_bytes,
    )
    async for entry in _stream.aitems(opened, _LISTING):
        yield entry
