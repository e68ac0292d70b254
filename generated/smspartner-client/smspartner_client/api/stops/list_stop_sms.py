from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.stop_list import StopList
from ...types import Response

DOCUMENTED_ERROR_STATUSES: tuple[int, ...] = (400,)


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/stop-sms/list",
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> StopList:
    secrets = client.secrets()
    if response.status_code == 200:
        data = errors.decode_json(response, secrets)
        errors.raise_if_error_envelope(response, data, secrets)
        try:
            response_200 = StopList.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"body is not a valid StopList ({type(exc).__name__}: {exc})"
            raise errors.invalid_response(response, reason, secrets) from None
        return response_200
    errors.raise_for_error_status(response, DOCUMENTED_ERROR_STATUSES, secrets)


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[StopList]:
    parsed = _parse_response(client=client, response=response)
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=parsed,
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[StopList]:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    response = client.send(kwargs)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> StopList:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

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
    incorrect), 200 (all went well).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        Response[StopList]
    """

    kwargs = _get_kwargs()

    response = await client.send_async(kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> StopList:
    """List the numbers on the STOP list

    Returns every phone number that asked to stop receiving SMS from the account
    ("Liste des stops"). Documented codes: 1 (API key required), 10 (API key
    incorrect), 200 (all went well).

    Raises:
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        StopList
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
