from http import HTTPStatus
from typing import Any

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.stop_list import StopList
from ...types import Answer, Response

DOCUMENTED_ERROR_STATUSES: tuple[int, ...] = (400,)


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/stop-sms/list",
    }

    return _kwargs


def _parse_response(*, answer: Answer) -> StopList:
    if answer.status_code == 200:
        data = errors.decode_json(answer)
        errors.raise_if_error_envelope(answer, data)
        errors.check_shape(answer, data, "StopList")
        failure: errors.InvalidResponse | None = None
        try:
            response_200 = StopList.from_dict(data)
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
        errors.ResponseTooLarge: The decoded body is larger than the client's `max_body_bytes`.
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    answer = client.send(kwargs)

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
        errors.ResponseTooLarge: The decoded body is larger than the client's `max_body_bytes`.
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).

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
        errors.ResponseTooLarge: The decoded body is larger than the client's `max_body_bytes`.
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    answer = await client.send_async(kwargs)

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
        errors.ResponseTooLarge: The decoded body is larger than the client's `max_body_bytes`.
        errors.DeadlineExceeded: The call's total `deadline` passed (retries included).
        errors.RequestTimeout: One attempt exceeded the client's `timeout` (after retries).
        errors.TransportError: No usable answer (connection refused, closed, reset; after retries).

    Returns:
        StopList
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
