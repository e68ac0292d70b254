"""The emulator server's hard limits: what a client may send, for how long, how many at once.

The defaults are the module's constants; `smspartner-emulator` sets `max_connections` and
`request_timeout` from its options, and `serving()` takes a `Limits`. `protocol` enforces them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

MAX_CONNECTIONS = 512
"""Open connections served at once; a request on one more gets HTTP 503."""
REQUEST_TIMEOUT = 5.0
"""Seconds a client has to send a complete request (head and body)."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection stays open between two requests."""
MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers, in bytes (the longest the fuzzed queries of a contract run need)."""
MAX_HEADERS = 100
"""Header fields in one request."""
MAX_STOP_LIST_SIZE = 10_000_000
"""Largest synthetic stop list (`--stop-list-size`)."""


def parse_stop_list_size(text: str) -> int:
    """`--stop-list-size` (and the plugin's option): a whole number from 0 to
    MAX_STOP_LIST_SIZE, `_` allowed between digits."""
    try:
        size = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= size <= MAX_STOP_LIST_SIZE:
        raise argparse.ArgumentTypeError(f"out of range (0 to {MAX_STOP_LIST_SIZE:_}): {size}")
    return size


@dataclass(frozen=True)
class Limits:
    """The server's limits; the defaults are the module's constants."""

    max_connections: int = MAX_CONNECTIONS
    request_timeout: float = REQUEST_TIMEOUT
    keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT
    max_head_bytes: int = MAX_HEAD_BYTES
    max_headers: int = MAX_HEADERS

    def __post_init__(self) -> None:
        numbers = (self.max_connections, self.keep_alive_timeout, self.max_head_bytes)
        if min(numbers) < 1 or self.max_headers < 1 or not self.request_timeout > 0:
            raise ValueError(f"every limit must be positive: {self}")
