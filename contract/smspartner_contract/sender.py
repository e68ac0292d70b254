"""Every request of a run to a URL goes through here: a deadline, a size cap, a pace.

schemathesis sends with `requests`, whose timeouts are per read (a server dripping one byte
every half second keeps a request alive for ever) and which reads a body whole (a gzip bomb or
an endless stream fills the memory). So schemathesis talks to `LoopbackProxy`, a local endpoint
that sends each request on with `BoundedSender`: httpx under one total deadline
(`asyncio.timeout`), the body read as a stream up to its cap in decoded bytes
(`Limits.max_body`, or the spec's `x-max-answer-bytes` for an answer that grows without bound;
the whole run up to `Limits.max_run_bytes`), an answer nested deeper than `Limits.max_depth`
refused, the pace of a polite run kept, a 429 whose `Retry-After` (the client's parser) is at
most `Limits.max_wait` waited out, and a 502, 503 or 504 tried once more: an outage is not
drift. The probe plan sends through the same sender. A target that breaks a limit, stays
rate limited or unavailable stops the run: `TargetFailure` says which request and why, in one
line (exit 2). Nothing here is specific to the API: it is the run's boundary with the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    _client: httpx.AsyncClient | None = None
    _client_loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[BoundedSender]:
        """Keep one connection pool for the requests sent from this event loop."""
        limits = self.limits
        timeout = httpx.Timeout(limits.deadline, connect=limits.connect)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            self._client, self._client_loop = client, asyncio.get_running_loop()
            try:
                yield self
            finally:
                self._client = self._client_loop = None

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            yield self._client
            return
        limits = self.limits
        timeout = httpx.Timeout(limits.deadline, connect=limits.connect)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            yield client

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
        try:
            async with asyncio.timeout(limits.deadline):
                async with self._connection() as client:
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


def origin_of(base_url: str) -> tuple[str, str]:
    """(`scheme://host[:port]`, base path) of a base URL like `https://host/v1`."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


class LoopbackProxy:
    """schemathesis's way to a URL target: an HTTP endpoint on 127.0.0.1 that sends every
    request on through the sender (its deadline, caps and pace), with one connection pool.

    schemathesis then sends with its own HTTP session, as `st run` does: handing it an ASGI
    app instead costs ~45 ms a request (a test client and an event loop per call, measured).
    The first `TargetFailure` is kept in `failure`; that request and every later one gets a
    502 at once, and the run stops.
    """

    def __init__(self, sender: BoundedSender) -> None:
        self.sender = sender
        self.failure: TargetFailure | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler, self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def wait_limit(self) -> float:
        """Seconds one request may take through the sender, retries and waits included."""
        limits = self.sender.limits
        tries = limits.retries_429 + 2
        return tries * (limits.deadline + limits.max_wait) + limits.outage_wait + 5

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def hold() -> None:
            async with self.sender.session():
                self._ready.set()
                await self._stopping

        self._stopping: asyncio.Future[None] = self._loop.create_future()
        self._loop.run_until_complete(hold())

    def __enter__(self) -> LoopbackProxy:
        self._loop_thread = threading.Thread(target=self._run_loop, daemon=True)
        self._loop_thread.start()
        self._ready.wait(timeout=10)
        self._server_thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._server_thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._loop.call_soon_threadsafe(self._stopping.set_result, None)
        self._loop_thread.join(timeout=10)
        self._server_thread.join(timeout=10)
        self._loop.close()

    def forward(self, method: str, target: str) -> Answer | None:
        """The target's answer, or None once a limit broke (see `failure`)."""
        if self.failure is not None:
            return None
        future = asyncio.run_coroutine_threadsafe(self.sender.send(method, target), self._loop)
        try:
            return future.result(timeout=self.wait_limit)
        except TargetFailure as failure:
            self.failure = self.failure or failure
        except Exception as exc:
            future.cancel()
            self.failure = self.failure or TargetFailure(
                self.sender.describe(f"{method} {self.sender.origin}{target}"),
                f"no usable answer ({type(exc).__name__})",
            )
        return None


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, proxy: LoopbackProxy) -> None:
        self.proxy = proxy
        super().__init__(address, handler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a (local) client may take to send its request
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    MAX_REQUEST_BODY = 1024 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the run reports what it needs."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def _forward(self) -> None:
        length = self.headers.get("content-length", "0")
        if length.isdigit():
            self.rfile.read(min(int(length), self.MAX_REQUEST_BODY))  # not forwarded
        server = self.server
        assert isinstance(server, _ProxyServer)
        answer = server.proxy.forward(self.command, self.path)
        if answer is None:
            self.send_response(502, "Limit broken")
            self.send_header("content-length", "0")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
