"""Every request of a run to a URL goes through here: a deadline, a size cap, a pace.

schemathesis sends with `requests`, whose timeouts are per read (a server dripping one byte
every half second keeps a request alive for ever) and which reads a body whole (a gzip bomb or
an endless stream fills the memory). So the run hands schemathesis an in-process ASGI app,
`Forwarder`, that sends each request with httpx under one total deadline
(`asyncio.timeout`), reads the body as a stream up to its cap in decoded bytes (`Limits.max_body`,
or the spec's `x-max-answer-bytes` for an answer that grows without bound; the whole run up to
`Limits.max_run_bytes`), refuses an answer nested deeper than
`Limits.max_depth`, keeps the pace of a polite run, waits out a 429 whose `Retry-After`
(the client's parser) is at most `Limits.max_wait`, and tries a 502, 503 or 504 once more:
an outage is not drift. A target that breaks a limit, stays rate limited or unavailable stops
the run: `TargetFailure` says which request and why, in one line (exit 2). Nothing here is
specific to the API: it is the run's boundary with the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat

import httpx
from smspartner_client.errors import parse_retry_after

from smspartner_contract.model import MIB, Limits

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-encoding",
        "content-length",
        "upgrade",
        "te",
        "trailer",
        "proxy-authenticate",
        "proxy-authorization",
    }
)


OUTAGE_STATUSES = frozenset({502, 503, 504})


class TargetFailure(Exception):
    """The target broke a limit or gave no usable answer: the run stops (one line, exit 2)."""

    def __init__(self, request: str, reason: str) -> None:
        super().__init__(f"{request}: {reason}")


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers in order (as sent, latin-1), the decoded body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


_BOM = b"\xef\xbb\xbf"


class _Deep(Exception):
    """Raised inside the XML parser once the nesting passes the limit."""


def _xml_depth(body: bytes, stop_at: int) -> int:
    """Element nesting by expat (linear, in C): counted until `stop_at` or the first error."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = deepest = 0

    def start(*_: object) -> None:
        nonlocal depth, deepest
        depth += 1
        deepest = max(deepest, depth)
        if deepest >= stop_at:
            raise _Deep

    def end(*_: object) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with contextlib.suppress(_Deep, expat.ExpatError):  # malformed: the checks' to report
        parser.Parse(body, True)
    return deepest


def nesting_depth(body: bytes, *, stop_at: int) -> int:
    """How deep brackets (JSON) or elements (XML) nest, counted up to `stop_at`."""
    body = body.removeprefix(_BOM)
    if body.lstrip()[:1] == b"<":
        return _xml_depth(body, stop_at)
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # "
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    break
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class Pacer:
    """At most `per_second` request starts a second (None: no pace). Thread-safe."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Seconds to wait before the next request may start (and book that slot)."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
            return start - now


@dataclass
class BoundedSender:
    """Sends requests to `origin` (scheme://host[:port]) within `limits`, at `pace`."""

    origin: str
    limits: Limits = field(default_factory=Limits)
    pace: Pacer = field(default_factory=lambda: Pacer(None))
    describe: Callable[[str], str] = str
    """Turns a request line into what may be shown (the run masks the key and tokens)."""
    cap_for: Callable[[str], int] | None = None
    """The body cap of an answer by its path below `base_path` (default: `limits.max_body`)."""
    base_path: str = ""
    sent: int = 0
    """Requests sent so far, retries included (what the target counted)."""
    received: int = 0
    """Body bytes received so far, decoded, over the whole run."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def send(self, method: str, target: str) -> Answer:
        """One request (`target` is the path and query); TargetFailure when a limit breaks."""
        shown = self.describe(f"{method} {self.origin}{target}")
        limits = self.limits
        outage_tried = False
        for attempt in range(limits.retries_429 + 2):
            answer = await self._send_once(method, target, shown)
            if answer.status in OUTAGE_STATUSES and not outage_tried:
                outage_tried = True
                await asyncio.sleep(limits.outage_wait)
                continue
            if answer.status in OUTAGE_STATUSES:
                raise TargetFailure(
                    shown, f"the target is unavailable (HTTP {answer.status} twice): an outage"
                )
            if answer.status != 429:
                return answer
            header = next((v for k, v in answer.headers if k == "retry-after"), "")
            wait = parse_retry_after(header) if header else None
            if wait is None or wait > limits.max_wait or attempt >= limits.retries_429:
                told = f"Retry-After {header!r}" if header else "no Retry-After"
                raise TargetFailure(shown, f"rate limited by the target (HTTP 429, {told})")
            await asyncio.sleep(wait)
        raise TargetFailure(shown, "no usable answer after the retries")

    async def _send_once(self, method: str, target: str, shown: str) -> Answer:
        await asyncio.sleep(self.pace.delay())
        with self._lock:
            self.sent += 1
        limits = self.limits
        timeout = httpx.Timeout(limits.deadline, connect=limits.connect)
        try:
            async with asyncio.timeout(limits.deadline):
                async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
                    request = client.build_request(method, self.origin + target)
                    response = await client.send(request, stream=True)
                    try:
                        body = await self._read(response, shown, self._cap(target))
                    finally:
                        await response.aclose()
        except TimeoutError:
            raise TargetFailure(shown, f"no complete answer within {limits.deadline:g} s") from None
        except httpx.HTTPError as exc:
            detail = str(exc).strip().splitlines()
            what = type(exc).__name__ + (f": {detail[0]}" if detail else "")
            raise TargetFailure(shown, f"no usable answer ({self.describe(what)})") from None
        depth = nesting_depth(body, stop_at=limits.max_depth + 1)
        if depth > limits.max_depth:
            raise TargetFailure(shown, f"answer nested deeper than {limits.max_depth} levels")
        return Answer(
            status=response.status_code,
            headers=tuple(
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in response.headers.raw
            ),
            body=body,
        )

    def _cap(self, target: str) -> int:
        if self.cap_for is None:
            return self.limits.max_body
        path = target.split("?", 1)[0]
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        return self.cap_for(path)

    async def _read(self, response: httpx.Response, shown: str, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            with self._lock:
                self.received += len(chunk)
                run_total = self.received
            if size > limit:
                raise TargetFailure(shown, f"answer larger than {limit / MIB:g} MiB (decoded)")
            if run_total > self.limits.max_run_bytes:
                cap = self.limits.max_run_bytes / MIB
                raise TargetFailure(shown, f"the run's answers add up to more than {cap:g} MiB")
            chunks.append(chunk)
        return b"".join(chunks)


@dataclass
class Forwarder:
    """ASGI app that schemathesis calls in-process; each request goes out via the sender.

    The first `TargetFailure` is kept in `failure` and every later request is refused at once,
    so the run can stop and say which request broke which limit.
    """

    sender: BoundedSender
    failure: TargetFailure | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if self.failure is not None:
            raise TargetFailure(*str(self.failure).split(": ", 1))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = raw_path.decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        try:
            answer = await self.sender.send(scope["method"], target)
        except TargetFailure as failure:
            self.failure = failure
            raise
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
        kept = [(k, v) for k, v in headers if k.decode("latin-1") not in _HOP_BY_HOP]
        kept.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": kept})
        await send({"type": "http.response.body", "body": answer.body})


def origin_of(base_url: str) -> tuple[str, str]:
    """(`scheme://host[:port]`, base path) of a base URL like `https://host/v1`."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
