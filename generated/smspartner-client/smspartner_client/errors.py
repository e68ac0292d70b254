"""Errors raised by the API functions (custom template: generator/templates/errors.py.jinja).

Every error derives from `SmsPartnerError`:

- `ApiError`: the API refused the request with its error envelope
  (`{"success": false, "code": N, "message": "..."}`); carries `code` and `message`.
- `RateLimited`: HTTP 429; carries `retry_after` (seconds, or None). Never retried automatically.
- `UnexpectedResponse`: an answer the client cannot read as documented:
  `UnexpectedStatus` (undocumented status, not an error envelope) and `InvalidResponse`
  (documented status but the body is not JSON, truncated, empty or not the documented shape).
- `TransportError`: no usable answer (connection refused, closed or reset, protocol error);
  `RequestTimeout` when the client timeout is exceeded.

No message, repr or attribute of these errors carries the API key: `apiKey=...` in any text
and the client's own key are replaced by `***`.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

import httpx

from .models.documented_error_code import DocumentedErrorCode
from .models.error import Error

MASK = "***"
MIN_SECRET_LENGTH = 6
BODY_EXCERPT_CHARS = 200
_API_KEY_IN_TEXT = re.compile(r"(?i)(api_?key=)[^&\s\"'<>#]*")


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each of `secrets` and every `apiKey=...` value replaced by `***`.

    A secret shorter than `MIN_SECRET_LENGTH` is only masked as an `apiKey=` value (replacing
    every occurrence of a one-letter "key" would garble the message, and hides nothing).
    """
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return _API_KEY_IN_TEXT.sub(r"\g<1>" + MASK, text)


def body_excerpt(content: bytes, secrets: Iterable[str] = ()) -> str:
    """The start of a body as text (masked first, then cut), `<empty body>` if there is none."""
    if not content:
        return "<empty body>"
    text = mask_secrets(content[:65536].decode("utf-8", errors="replace"), secrets)
    if len(text) > BODY_EXCERPT_CHARS or len(content) > 65536:
        return text[:BODY_EXCERPT_CHARS] + "..."
    return text


def describe_request(method: str, url: httpx.URL) -> str:
    """`GET http://host/v1/path`: the call without its query string (where the key travels)."""
    return f"{method} {url.copy_with(query=None, fragment=None)}"


def _describe(response: httpx.Response) -> str:
    try:
        request = response.request
    except RuntimeError:
        return "request"
    return describe_request(request.method, request.url)


class SmsPartnerError(Exception):
    """Base class of every error the client raises."""


class ApiError(SmsPartnerError):
    """The API answered its error envelope: `code` (a `DocumentedErrorCode`, or a plain int for a
    code the docs do not list) and `message`, with the HTTP `status_code` it came with."""

    def __init__(self, status_code: int, error: Error, secrets: Iterable[str] = ()) -> None:
        self.status_code = status_code
        self.error = error
        self.code: DocumentedErrorCode | int = error.code
        self.message: str = mask_secrets(error.message, secrets)
        if isinstance(self.code, DocumentedErrorCode):
            label = f"{self.code.value} {self.code.name}"
        else:
            label = f"{self.code} (undocumented code)"
        super().__init__(f"SMS Partner error {label}: {self.message} (HTTP {status_code})")

    @property
    def is_documented(self) -> bool:
        """Whether `code` is one of the codes the documentation lists."""
        return isinstance(self.code, DocumentedErrorCode)


class RateLimited(SmsPartnerError):
    """HTTP 429 Too Many Requests. The client never retries by itself: wait `retry_after`
    seconds (from the `Retry-After` header; None when absent or unreadable) and call again.
    `error` is the error envelope if the body was one."""

    def __init__(
        self,
        *,
        retry_after: float | None,
        body: str,
        error: Error | None = None,
        request: str = "",
    ) -> None:
        self.status_code = 429
        self.retry_after = retry_after
        self.body = body
        self.error = error
        wait = "no Retry-After" if retry_after is None else f"retry after {retry_after:g} s"
        super().__init__(f"{request}: rate limited (HTTP 429, {wait}); body starts: {body}")


class UnexpectedResponse(SmsPartnerError):
    """An answer the client cannot read as documented. `status_code`, `content_type` and
    `body` (the start of the body, masked) say what came back."""

    def __init__(self, *, status_code: int, content_type: str, body: str, reason: str, request: str = "") -> None:
        self.status_code = status_code
        self.content_type = content_type
        self.body = body
        self.reason = reason
        super().__init__(
            f"{request}: {reason} (HTTP {status_code}, content-type {content_type or '<none>'}); body starts: {body}"
        )


class UnexpectedStatus(UnexpectedResponse):
    """The HTTP status is not documented for this operation and the body is not an error envelope."""


class InvalidResponse(UnexpectedResponse):
    """The status is documented but the body is not JSON (HTML page, truncated, empty) or not the
    documented shape (missing field, wrong type)."""


class TransportError(SmsPartnerError):
    """No usable answer: connection refused, closed or reset, or an HTTP protocol error.
    `request` names the call (method and URL without the query string)."""

    def __init__(self, request: str, detail: str) -> None:
        self.request = request
        self.detail = detail
        super().__init__(f"{request}: {detail}")


class RequestTimeout(TransportError):
    """The client timeout was exceeded (connect, read, write or pool)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


def transport_error(exc: httpx.TransportError, request: str, secrets: Iterable[str] = ()) -> TransportError:
    """The typed error for an httpx transport exception (the caller raises it `from exc`)."""
    detail = mask_secrets(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, secrets)
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(request, f"timed out ({detail})")
    return TransportError(request, f"no usable answer ({detail})")


def decode_json(response: httpx.Response, secrets: Iterable[str] = ()) -> Any:
    """The JSON body, or `InvalidResponse` (empty, not UTF-8, not JSON, truncated)."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError) as exc:
        what = "empty body" if not response.content else f"body is not JSON ({type(exc).__name__})"
        raise invalid_response(response, f"expected a JSON answer, {what}", secrets) from None


def invalid_response(response: httpx.Response, reason: str, secrets: Iterable[str] = ()) -> InvalidResponse:
    return InvalidResponse(
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=body_excerpt(response.content, secrets),
        reason=mask_secrets(reason, secrets),
        request=_describe(response),
    )


def _as_error_envelope(data: Any) -> Error | None:
    if not isinstance(data, Mapping) or data.get("success") is not False:
        return None
    if not isinstance(data.get("code"), int) or isinstance(data.get("code"), bool):
        return None
    if not isinstance(data.get("message"), str):
        return None
    return Error.from_dict(data)


def raise_if_error_envelope(response: httpx.Response, data: Any, secrets: Iterable[str] = ()) -> None:
    """Raise `ApiError` if a (success-status) body is the error envelope."""
    error = _as_error_envelope(data)
    if error is not None:
        raise ApiError(response.status_code, error, secrets)


def raise_for_error_status(
    response: httpx.Response, documented: Iterable[int], secrets: Iterable[str] = ()
) -> NoReturn:
    """Raise the typed error for a non-success answer.

    429 gives `RateLimited`; an error envelope gives `ApiError` whatever the status (the status of
    errors is not documented by the API); otherwise `InvalidResponse` for a documented status and
    `UnexpectedStatus` for an undocumented one.
    """
    error: Error | None = None
    data: Any = None
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    error = _as_error_envelope(data)
    if response.status_code == 429:
        raise RateLimited(
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            body=body_excerpt(response.content, secrets),
            error=error,
            request=_describe(response),
        )
    if error is not None:
        raise ApiError(response.status_code, error, secrets)
    if response.status_code in set(documented):
        raise invalid_response(response, "expected the error envelope", secrets)
    raise UnexpectedStatus(
        status_code=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=body_excerpt(response.content, secrets),
        reason="undocumented HTTP status",
        request=_describe(response),
    )


__all__ = [
    "ApiError",
    "InvalidResponse",
    "RateLimited",
    "RequestTimeout",
    "SmsPartnerError",
    "TransportError",
    "UnexpectedResponse",
    "UnexpectedStatus",
]
