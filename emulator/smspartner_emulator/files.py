"""Read an input file safely: a regular file only, within a size cap, never blocking.

Every file the emulator reads (`--fixtures`, `--replay`, the pytest plugin's options) goes
through `read_regular`, and the contract runner reuses it for its own inputs. A FIFO, a
device, a socket or a directory is refused before anything is read from it (a FIFO would
block its reader for ever), and so is a file larger than the caller's cap. Every failure is an
`InputFileError` whose message is one line naming the file: `path: problem`.

The standard library only: this module is imported where start-up cost matters.
"""

from __future__ import annotations

import os
import stat

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1024 * 1024


class InputFileError(ValueError):
    """An input file that cannot be used; the message is one line: `path: problem`."""


def size_text(size: int) -> str:
    """A byte count as people write it: `16 MiB`, `64 KiB`, `512 bytes`."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size:,} bytes"


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _refusal(source: str, mode: int) -> InputFileError:
    return InputFileError(f"{source}: not a regular file ({_kind(mode)})")


def read_regular(path: str | os.PathLike[str], cap: int) -> bytes:
    """The bytes of `path`, a regular file of at most `cap` bytes; InputFileError otherwise.

    The path is checked before it is opened (nothing is opened that is not a regular file),
    opened without blocking and checked again (it may have been swapped), then read up to
    `cap + 1` bytes: a file that grows while it is read is refused too.
    """
    source = str(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(f"{source}: cannot read: {_reason(exc)}") from None
    if not stat.S_ISREG(mode):
        raise _refusal(source, mode)
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise InputFileError(f"{source}: cannot read: {_reason(exc)}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _refusal(source, status.st_mode)
        if status.st_size > cap:
            raise InputFileError(f"{source}: larger than {size_text(cap)}")
        return _read_capped(descriptor, source, cap)
    finally:
        os.close(descriptor)


def _read_capped(descriptor: int, source: str, cap: int) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while total <= cap:
        try:
            piece = os.read(descriptor, min(_CHUNK, cap + 1 - total))
        except OSError as exc:
            raise InputFileError(f"{source}: cannot read: {_reason(exc)}") from None
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
    if total > cap:
        raise InputFileError(f"{source}: larger than {size_text(cap)}")
    return b"".join(pieces)


def read_text(path: str | os.PathLike[str], cap: int) -> str:
    """`read_regular`, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    raw = read_regular(path, cap)
    skip = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 (byte {exc.start + skip})") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


__all__ = ["InputFileError", "read_regular", "read_text", "size_text"]
