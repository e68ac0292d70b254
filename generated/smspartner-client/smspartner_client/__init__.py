"""A client library for accessing SMS Partner API (stop list and contact rental status)"""

from . import errors
from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    AuthenticatedClient,
    Client,
)
from .errors import (
    ApiError,
    ClientStateError,
    DeadlineExceeded,
    InvalidRequest,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    SmsPartnerError,
    TransportError,
    UnexpectedResponse,
    UnexpectedStatus,
)

__version__ = "2.1.0"
"""The client's version: the spec's `info.version` (semver), see CHANGELOG.md."""

__all__ = (
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_TIMEOUT",
    "ApiError",
    "AuthenticatedClient",
    "Client",
    "ClientStateError",
    "DeadlineExceeded",
    "InvalidRequest",
    "InvalidResponse",
    "RateLimited",
    "RequestTimeout",
    "ResponseTooLarge",
    "SmsPartnerError",
    "TransportError",
    "UnexpectedResponse",
    "UnexpectedStatus",
    "__version__",
    "errors",
)
