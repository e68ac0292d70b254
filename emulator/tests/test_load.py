"""The emulator under 64 concurrent keep-alive connections: every answer right, memory flat.

Bounded (a few seconds) and loopback only. It asserts correctness and memory, never speed:
the figures are `make bench`'s job.
"""

from __future__ import annotations

import httpx
import psutil
from smspartner_emulator.process import started_emulator

from scripts.loadgen import LoadResult, Target, run_load

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
CONCURRENCY = 64
WARM_UP_SECONDS = 2.0
LOAD_SECONDS = 4.0
MAX_GROWTH = 4 * 1024 * 1024
"""RSS growth allowed between the end of the warm-up and the end of the load (bytes)."""


def targets(base: str) -> list[Target]:
    """Success and error answers, JSON and XML, each with the body it gives when idle."""
    root = base.removesuffix("/v1")
    cases = [
        (f"/v1/stop-sms/list?apiKey={DEMO_KEY}", 200, b'"nbData":4'),
        (f"/v1/location/status?apiKey={DEMO_KEY}&token={DOCS_TOKEN}&_format=xml", 200, b"0.900"),
        (f"/v1/location/status?apiKey={DEMO_KEY}&token=unknown", 400, b'"code":32'),
        ("/v1/stop-sms/list?apiKey=wrong&_format=xml", 400, b"<entry>10</entry>"),
        (f"/v1/stop-sms/list?apiKey={DEMO_KEY}&_format=yaml", 400, b'"code":400'),
        ("/nowhere", 404, b'"code":404'),
    ]
    found = []
    for path, status, marker in cases:
        url = f"{root}{path}"
        idle = httpx.get(url)
        assert idle.status_code == status, url
        assert marker in idle.content, idle.content
        found.append(Target(url, status, idle.content))
    return found


def check(result: LoadResult) -> None:
    assert result.failures == 0, result.first_failures
    assert result.requests > 0


def test_64_connections_get_every_answer_right_and_memory_stays_flat() -> None:
    with started_emulator("--log-level", "warning") as emulator:
        plan = targets(emulator.url)
        process = psutil.Process(emulator.pid)
        check(run_load(plan, CONCURRENCY, WARM_UP_SECONDS))
        before = process.memory_info().rss
        result = run_load(plan, CONCURRENCY, LOAD_SECONDS)
        after = process.memory_info().rss
        still_serving = httpx.get(plan[0].url)
    check(result)
    assert after - before < MAX_GROWTH, f"RSS grew by {(after - before) / 2**20:.1f} MiB"
    assert still_serving.content == plan[0].body
