from http import HTTPStatus
from typing import Any

from ... import _models, errors
from ..._spec import OPERATIONS
from ...client import AuthenticatedClient, Client
from ...models.rental_status import RentalStatus
from ...types import UNSET, Answer, Response

DOCUMENTED_ERROR_STATUSES: tuple[int, ...] = (400,)
_OPERATION = OPERATIONS["GET /location/status"]


def _get_kwargs(
    *,
    token: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["token"] = token

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/location/status",
        "params": params,
    }

    return _kwargs


def _parse_response(*, answer: Answer) -> RentalStatus:
    if answer.status_code == 200:
        failure: errors.InvalidResponse | None = None
        with _models.gc_paused():
            columns: _models.Columns = {}
            data = errors.decode_answer(answer, "RentalStatus", columns)
            try:
                response_200 = _models.build(RentalStatus, data, (), columns)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                failure = errors.invalid_response(answer, f"body is not a valid RentalStatus ({type(exc).__name__})")
        if failure is not None:
            raise failure
        return response_200
    errors.raise_for_error_status(answer, DOCUMENTED_ERROR_STATUSES)


def _build_response(*, answer: Answer) -> Response[RentalStatus]:
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
    token: str,
) -> Response[RentalStatus]:
    """Read the status of a contact rental

    Returns the state of one rental of contacts and what was ordered
    ("Statut d'une location"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 31 (rental token required), 32 (rental not found), 200 (all went
    well). The page does not list `_format`, but it shows an XML answer, so the
    parameter is described here as on the other endpoints.

    Args:
        token (str): Rental token.

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
        Response[RentalStatus]
    """

    kwargs = _get_kwargs(
        token=token,
    )

    answer = client.send(kwargs, tokens=_OPERATION.secrets_in(kwargs), max_answer_bytes=_OPERATION.max_answer_bytes)

    return _build_response(answer=answer)


def sync(
    *,
    client: AuthenticatedClient | Client,
    token: str,
) -> RentalStatus:
    """Read the status of a contact rental

    Returns the state of one rental of contacts and what was ordered
    ("Statut d'une location"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 31 (rental token required), 32 (rental not found), 200 (all went
    well). The page does not list `_format`, but it shows an XML answer, so the
    parameter is described here as on the other endpoints.

    Args:
        token (str): Rental token.

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
        RentalStatus
    """

    return sync_detailed(
        client=client,
        token=token,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    token: str,
) -> Response[RentalStatus]:
    """Read the status of a contact rental

    Returns the state of one rental of contacts and what was ordered
    ("Statut d'une location"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 31 (rental token required), 32 (rental not found), 200 (all went
    well). The page does not list `_format`, but it shows an XML answer, so the
    parameter is described here as on the other endpoints.

    Args:
        token (str): Rental token.

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
        Response[RentalStatus]
    """

    kwargs = _get_kwargs(
        token=token,
    )

    answer = await client.send_async(
        kwargs, tokens=_OPERATION.secrets_in(kwargs), max_answer_bytes=_OPERATION.max_answer_bytes
    )

    return _build_response(answer=answer)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    token: str,
) -> RentalStatus:
    """Read the status of a contact rental

    Returns the state of one rental of contacts and what was ordered
    ("Statut d'une location"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 31 (rental token required), 32 (rental not found), 200 (all went
    well). The page does not list `_format`, but it shows an XML answer, so the
    parameter is described here as on the other endpoints.

    Args:
        token (str): Rental token.

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
        RentalStatus
    """

    return (
        await asyncio_detailed(
            client=client,
            token=token,
        )
    ).parsed
