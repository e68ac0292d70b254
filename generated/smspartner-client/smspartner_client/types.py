"""Contains some shared types for properties"""

from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, BinaryIO, Generic, Literal, TypeVar

import httpx
from attrs import define, field

from .redact import Redactor


class Unset:
    def __bool__(self) -> Literal[False]:
        return False

    def __reduce__(self) -> str:
        """Unpickled as the one `UNSET` (models compare equal across processes)."""
        return "UNSET"


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A successful response from an endpoint: `parsed` is the typed payload (errors raise)."""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T


@define
class Answer:
    """One answer of the API, read whole within the client's limits: what `Client.send` hands
    the endpoint functions, after the retries. `request` names the call without its query
    string (where the key travels); `attempts` counts the tries, `retry_note` says why the
    client stopped trying again ("" when it did not). The key and the call's secret parameters are
    kept only to mask them (`redactor`), never shown by `repr()`."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    request: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    tokens: tuple[str, ...] = field(default=(), repr=False)
    attempts: int = 1
    retry_note: str = ""
    _redactor: Redactor | None = field(default=None, init=False, repr=False)

    @property
    def redactor(self) -> Redactor:
        """Masks the key, the call's secret parameters and phone numbers (built on first use)."""
        if self._redactor is None:
            self._redactor = Redactor(secrets=self.secrets, tokens=self.tokens)
        return self._redactor


__all__ = ["UNSET", "Answer", "File", "FileTypes", "RequestFiles", "Response", "Unset"]
