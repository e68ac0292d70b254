"""A client library for accessing SMS Partner API (stop list and contact rental status)"""

from . import errors
from .client import DEFAULT_BASE_URL, AuthenticatedClient, Client
from .errors import (
    ApiError,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    SmsPartnerError,
    TransportError,
    UnexpectedResponse,
    UnexpectedStatus,
)

__all__ = (
    "DEFAULT_BASE_URL",
    "ApiError",
    "AuthenticatedClient",
    "Client",
    "InvalidResponse",
    "RateLimited",
    "RequestTimeout",
    "SmsPartnerError",
    "TransportError",
    "UnexpectedResponse",
    "UnexpectedStatus",
    "errors",
)
