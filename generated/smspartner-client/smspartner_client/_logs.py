"""The log records of httpx and httpcore, masked.

httpx logs every request line (`HTTP Request: GET http://host/v1/path?<the key>... "200 OK"`)
at INFO, and httpcore at DEBUG logs every step of an exchange with its headers
(`httpcore.http11 - receive_response_headers.complete return_value=(..., [(b'Location',
b'...?<the key>...')])`). Logger filters are not inherited by child loggers, so the filter is
put on `httpx`, `httpcore` and each of httpcore's own loggers (`httpcore.http11`,
`httpcore.connection`, ...), at every level. It masks a key by its parameter's name at all
times and, while a call of the client runs (a context variable, so threads and tasks each have
their own), by value too, with the call's secret parameters (`x-secret` in the spec), in the
message and its arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from .redact import Redactor


class Masks(Protocol):
    """What a call offers the filter: its redactor, built on first use."""

    @property
    def redactor(self) -> Redactor: ...


LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""The loggers masked, besides any other `httpx.*` or `httpcore.*` logger that exists when the
client is imported or a call starts."""

_CURRENT: ContextVar[Masks | None] = ContextVar("smspartner_client_log_call", default=None)
_BY_NAME = Redactor()


def _text(value: object) -> bool:
    return isinstance(value, str | bytes | bytearray) or type(value).__name__ == "URL"


class MaskSecretsFilter(logging.Filter):
    """Masks the key (by name and, during a call, by value) and the call's secret parameters
    in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = _CURRENT.get()
        redactor = call.redactor if call is not None else _BY_NAME
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redactor.mask(str(arg)) if _text(arg) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redactor.mask(str(arg)) if _text(arg) else arg for key, arg in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redactor.mask(record.msg)
        elif _text(record.msg):
            record.msg = redactor.mask(str(record.msg))
        return True


def _names() -> list[str]:
    existing = [name for name in logging.root.manager.loggerDict if name.startswith(("httpx.", "httpcore."))]
    return [*LOGGERS, *sorted(existing)]


def install() -> None:
    """Put the filter on every httpx and httpcore logger that does not have it yet."""
    for name in _names():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, MaskSecretsFilter) for existing in logger.filters):
            logger.addFilter(MaskSecretsFilter())


_known = 0


@contextmanager
def masking(call: Masks) -> Iterator[None]:
    """Mask by value with `call.redactor` the records logged inside the block (one call)."""
    global _known
    count = len(logging.root.manager.loggerDict)
    if count != _known:
        install()
        _known = count
    previous = _CURRENT.set(call)
    try:
        yield
    finally:
        _CURRENT.reset(previous)


install()


__all__ = ["LOGGERS", "MaskSecretsFilter", "Masks", "install", "masking"]
