from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.rental_status import RentalStatus
from ...types import UNSET, Response

DOCUMENTED_ERROR_STATUSES: tuple[int, ...] = (400,)


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


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> RentalStatus:
    secrets = client.secrets()
    if response.status_code == 200:
        data = errors.decode_json(response, secrets)
        errors.raise_if_error_envelope(response, data, secrets)
        try:
            response_200 = RentalStatus.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"body is not a valid RentalStatus ({type(exc).__name__}: {exc})"
            raise errors.invalid_response(response, reason, secrets) from None
        return response_200
    errors.raise_for_error_status(response, DOCUMENTED_ERROR_STATUSES, secrets)


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[RentalStatus]:
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
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        Response[RentalStatus]
    """

    kwargs = _get_kwargs(
        token=token,
    )

    response = client.send(kwargs)

    return _build_response(client=client, response=response)


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
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

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
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        Response[RentalStatus]
    """

    kwargs = _get_kwargs(
        token=token,
    )

    response = await client.send_async(kwargs)

    return _build_response(client=client, response=response)


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
        errors.ApiError: The API answered its error envelope (`code`, `message`).
        errors.RateLimited: HTTP 429 (`retry_after`); not retried.
        errors.UnexpectedStatus: An undocumented HTTP status without error envelope.
        errors.InvalidResponse: A body that is not the documented JSON (HTML, truncated, empty).
        errors.RequestTimeout: The client timeout was exceeded.
        errors.TransportError: No usable answer (connection refused, closed, reset).

    Returns:
        RentalStatus
    """

    return (
        await asyncio_detailed(
            client=client,
            token=token,
        )
    ).parsed
