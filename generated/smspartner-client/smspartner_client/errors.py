"""Errors raised by the API functions (custom template: generator/templates/errors.py.jinja).

Every error derives from `SmsPartnerError`, and every failure of a call is one of these:

- `ApiError`: the API refused the request with its error envelope, whatever the HTTP status
  (errors are said to come with 400, a guess; a 200 carrying the envelope is an error too).
  `code` is always an int (a `DocumentedErrorCode` when the docs list it); `message` is the
  envelope's `message`, else the message of its `error` object, else the messages of its
  `error`/`errors` list (kept whole in `details`); `error` is the whole envelope as a model,
  extra objects such as `credits` in `error.additional_properties`.
- `RateLimited`: HTTP 429 once the client stopped retrying (retries exhausted, `Retry-After`
  over the cap, or the deadline near); `retry_after` is the server's wait in seconds (None when
  absent or unreadable).
- `UnexpectedResponse`: an answer the client cannot read as documented:
  `UnexpectedStatus` (an undocumented status without the error envelope, e.g. a 502 page),
  `InvalidResponse` (a documented status whose body is not the documented JSON: not JSON,
  truncated, nested too deep, broken gzip, a field missing or of the wrong JSON type, named in
  `field` with the `expected` type) and `ResponseTooLarge` (the decoded body passed the cap).
- `TransportError`: no usable answer (refused, closed or reset connection, protocol error,
  too many redirects); `RequestTimeout` when one attempt timed out, and `DeadlineExceeded` when
  the call's total deadline passed.
- `InvalidRequest` (also a `ValueError`): the call cannot be sent as asked (a parameter value
  that makes the URL longer than httpx accepts, or a value httpx refuses); never retried.
- `ClientStateError` (also a `RuntimeError`): the client cannot send any more (closed, or its
  async connections belong to another event loop); the message says what to do.

`attempts` says how many times the call was tried, `retry_note` why the client stopped trying
again (it is also at the end of the message). No message, repr, attribute, model or exception
chain of these errors carries the API key (in any encoding, even cut short), the secret
parameters of the call (`x-secret` in the spec), or a phone number of a body excerpt: they are masked
by `smspartner_client.redact`, and no error is chained to the httpx exception it replaces. The
request is named without its query string, and masked (a key placed in the base URL's path).

Every error pickles (a `ProcessPoolExecutor` or a `multiprocessing.Pool` hands it back to the
parent process) and unpickles to an equal error, as masked as the original: errors compare
equal when they are of the same class with the same message and attributes.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

import httpx

from ._body import TOO_DEEP, NotJson, parse_json, too_deep
from ._shape import Columns, conforms, first_problem
from .models.documented_error_code import DocumentedErrorCode
from .models.error import Error
from .redact import Redactor
from .types import Answer

BODY_EXCERPT_CHARS = 200
_EXCERPT_SOURCE_BYTES = 4096
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _restore(cls: type["SmsPartnerError"], args: tuple[Any, ...], state: dict[str, Any]) -> "SmsPartnerError":
    """Rebuild an error from its pickle: its message and attributes, without calling `__init__`
    (whose arguments differ from class to class)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class SmsPartnerError(Exception):
    """Base class of every error the client raises. `attempts`: how many times the call was
    tried; `retry_note`: why the client stopped trying again ("" when it did not retry)."""

    attempts: int = 1
    retry_note: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} [{self.retry_note}]" if self.retry_note else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, SmsPartnerError):
            return NotImplemented
        return self.args == other.args and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), self.args))


class ApiError(SmsPartnerError):
    """The API answered its error envelope: `code`, `message`, `details`, the HTTP `status_code`
    it came with, and the whole envelope as `error` (masked)."""

    def __init__(self, status_code: int, error: Error) -> None:
        self.status_code = status_code
        self.error = error
        self.code: DocumentedErrorCode | int = error.code
        self.details: list[Any] = _details(error)
        self.message: str = _message(error, self.details)
        if isinstance(self.code, DocumentedErrorCode):
            label = f"{self.code.value} {self.code.name}"
        else:
            label = f"{self.code} (undocumented code)"
        super().__init__(f"SMS Partner error {label}: {self.message or '(no message)'} (HTTP {status_code})")

    @property
    def is_documented(self) -> bool:
        """Whether `code` is one of the codes the documentation lists."""
        return isinstance(self.code, DocumentedErrorCode)


class RateLimited(SmsPartnerError):
    """HTTP 429 Too Many Requests, after the client's own retries (see `retry_note`): wait
    `retry_after` seconds (None when the header is absent or unreadable) before calling again.
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
    `body` (the start of the body, masked) say what came back, `reason` what is wrong."""

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
    """The status is documented but the body is not the documented JSON: not JSON (HTML page,
    truncated, empty, NaN), nested too deep, undecodable (broken gzip), or a field missing or of
    the wrong JSON type. `field` names that field (`data[0].phoneNumber`; "" for the whole
    answer) and `expected` its type (`string`), when the problem is one field."""

    def __init__(
        self,
        *,
        status_code: int,
        content_type: str,
        body: str,
        reason: str,
        request: str = "",
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.field = field
        self.expected = expected
        super().__init__(status_code=status_code, content_type=content_type, body=body, reason=reason, request=request)


class ResponseTooLarge(UnexpectedResponse):
    """The body, once decoded, is larger than the client's `max_body_bytes` (`limit`): reading
    stopped there."""

    def __init__(
        self, *, status_code: int, content_type: str, body: str, reason: str, request: str = "", limit: int
    ) -> None:
        self.limit = limit
        super().__init__(status_code=status_code, content_type=content_type, body=body, reason=reason, request=request)


class TransportError(SmsPartnerError):
    """No usable answer: connection refused, closed or reset, an HTTP protocol error, too many
    redirects. `request` names the call (method and URL without the query string)."""

    def __init__(self, request: str, detail: str) -> None:
        self.request = request
        self.detail = detail
        super().__init__(f"{request}: {detail}")


class InvalidRequest(SmsPartnerError, ValueError):
    """The call cannot be sent as asked: its arguments make a request httpx refuses (a URL
    longer than httpx accepts, a value that is not valid in a URL). Never retried; `request`
    names the call, `detail` says what to change (no parameter value is shown)."""

    def __init__(self, request: str, detail: str) -> None:
        self.request = request
        self.detail = detail
        super().__init__(f"{request}: {detail}")


class ClientStateError(SmsPartnerError, RuntimeError):
    """The client cannot send any more: it was closed (the end of its `with` block), or its
    async connections belong to another event loop (a second `asyncio.run()`). The message
    says what to do; nothing was sent."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class RequestTimeout(TransportError):
    """One attempt exceeded the client's `timeout` (connect, read, write or pool)."""


class DeadlineExceeded(RequestTimeout):
    """The call's total deadline (`deadline` seconds, retries included) passed."""

    def __init__(self, request: str, detail: str, *, deadline: float) -> None:
        self.deadline = deadline
        super().__init__(request, detail)


# ---- helpers of the endpoint functions and the client -----------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if it
    is absent or unreadable (`soon`, `-3`, `²`, `inf`). A date in the past means no wait."""
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def describe_request(method: str, url: httpx.URL) -> str:
    """`GET http://host/v1/path`: the call without its query string (where the key travels)."""
    return f"{method} {url.copy_with(query=None, fragment=None)}"


def body_excerpt(content: bytes, redactor: Redactor) -> str:
    """The start of a body as text, masked then cut; `<empty body>` if there is none."""
    if not content:
        return "<empty body>"
    text = redactor.mask(content[:_EXCERPT_SOURCE_BYTES].decode("utf-8", errors="replace"))
    if len(text) > BODY_EXCERPT_CHARS or len(content) > _EXCERPT_SOURCE_BYTES:
        return text[:BODY_EXCERPT_CHARS] + "..."
    return text


def _masked(data: Any, redactor: Redactor) -> Any:
    """`data` (parsed JSON, at most `MAX_JSON_DEPTH` deep) with every string masked, keys too."""
    if isinstance(data, str):
        return redactor.mask(data)
    if isinstance(data, Mapping):
        return {redactor.mask(str(key)): _masked(value, redactor) for key, value in data.items()}
    if isinstance(data, list):
        return [_masked(value, redactor) for value in data]
    return data


def _details(error: Error) -> list[Any]:
    for candidate in (error.errors, error.error):
        if isinstance(candidate, list):
            return list(candidate)
    return []


def _message(error: Error, details: Iterable[Any]) -> str:
    """`message`, else the `error` object's (or text's) message, else the details' messages."""
    if isinstance(error.message, str) and error.message:
        return error.message
    inner = error.error
    if isinstance(inner, str) and inner:
        return inner
    if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
        return str(inner["message"])
    parts = []
    for item in details:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("message"), str):
            element = item.get("elementId")
            prefix = f"{element}: " if isinstance(element, str | int) and element != "" else ""
            parts.append(f"{prefix}{item['message']}")
    return "; ".join(parts)


def _tag(error: SmsPartnerError, answer: Answer) -> SmsPartnerError:
    error.attempts = answer.attempts
    error.retry_note = answer.retry_note
    return error


def invalid_response(
    answer: Answer, reason: str, *, field: str | None = None, expected: str | None = None
) -> InvalidResponse:
    error = InvalidResponse(
        status_code=answer.status_code,
        content_type=answer.headers.get("content-type", ""),
        body=body_excerpt(answer.content, answer.redactor),
        reason=answer.redactor.mask(reason),
        request=answer.request,
        field=field,
        expected=expected,
    )
    _tag(error, answer)
    return error


def decode_json(answer: Answer) -> Any:
    """The JSON body, or `InvalidResponse` (empty, not JSON, truncated, nested too deep)."""
    data = parse_json(answer.content)
    if isinstance(data, NotJson):
        raise invalid_response(answer, f"expected a JSON answer, {data.reason}")
    return data


def check_shape(answer: Answer, data: Any, schema: str, columns: Columns | None = None) -> None:
    """`InvalidResponse` naming the first field of `data` that is missing or not of the JSON type
    `schema` (a schema of the spec) gives it, or saying that it nests too deep; formats,
    patterns and ranges are not checked. The common case, an answer that conforms, is settled by
    `conforms` (in C for lists of flat entries, whose columns go to `columns` for the model
    builder); only a failure walks the answer field by field."""
    if conforms(data, schema, columns=columns):
        return
    if too_deep(data):
        raise invalid_response(answer, f"expected a JSON answer, {TOO_DEEP}")
    problem = first_problem(data, schema)
    if problem is not None:
        raise invalid_response(
            answer, f"not a valid {schema}: {problem}", field=problem.field, expected=problem.expected
        )


def decode_answer(answer: Answer, schema: str | None, columns: Columns | None = None) -> Any:
    """The JSON of a success answer, checked: `ApiError` for the error envelope,
    `InvalidResponse` for a body that is not JSON or not of the JSON types of `schema` (a schema
    of the spec; None: only the nesting limit is checked). `columns`: see `check_shape`."""
    data = parse_json(answer.content, check_depth=schema is None)
    if isinstance(data, NotJson):
        raise invalid_response(answer, f"expected a JSON answer, {data.reason}")
    raise_if_error_envelope(answer, data)
    if schema is not None:
        check_shape(answer, data, schema, columns)
    return data


def _as_error_envelope(data: Any, redactor: Redactor) -> Error | None:
    """The envelope as a (masked) model: `success` false, an integer `code`, and nothing of
    the wrong type (`message`, when present, a string)."""
    if not isinstance(data, Mapping) or data.get("success") is not False:
        return None
    code = data.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    if too_deep(data) or first_problem(data, "Error") is not None:
        return None
    return Error.from_dict(_masked(data, redactor))


def raise_if_error_envelope(answer: Answer, data: Any) -> None:
    """Raise `ApiError` if a (success-status) body is the error envelope."""
    error = _as_error_envelope(data, answer.redactor)
    if error is not None:
        raise _tag(ApiError(answer.status_code, error), answer)


def raise_for_error_status(answer: Answer, documented: Iterable[int]) -> NoReturn:
    """Raise the typed error for a non-success answer.

    429 gives `RateLimited`; an error envelope gives `ApiError` whatever the status (the status of
    errors is not documented by the API); otherwise `InvalidResponse` for a documented status and
    `UnexpectedStatus` for an undocumented one.
    """
    data = parse_json(answer.content)
    error = None if isinstance(data, NotJson) else _as_error_envelope(data, answer.redactor)
    if answer.status_code == 429:
        raise _tag(
            RateLimited(
                retry_after=parse_retry_after(answer.headers.get("retry-after")),
                body=body_excerpt(answer.content, answer.redactor),
                error=error,
                request=answer.request,
            ),
            answer,
        )
    if error is not None:
        raise _tag(ApiError(answer.status_code, error), answer)
    if answer.status_code in set(documented):
        problem = data.reason if isinstance(data, NotJson) else first_problem(data, "Error")
        raise invalid_response(answer, f"expected the error envelope ({problem or 'not one'})")
    raise _tag(
        UnexpectedStatus(
            status_code=answer.status_code,
            content_type=answer.headers.get("content-type", ""),
            body=body_excerpt(answer.content, answer.redactor),
            reason="undocumented HTTP status",
            request=answer.request,
        ),
        answer,
    )


__all__ = [
    "ApiError",
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
]
