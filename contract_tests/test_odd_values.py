"""Odd values from a target end nowhere but in findings: an XML answer holding a 5,000-digit
integer (Python refuses to read one) is a finding of the run, whose reports and recording are
written, and the recording replays, compares and plays parity alike (issue 22, item 7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from smspartner_emulator import create_app
from smspartner_emulator.server import serving
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.runs import DEMO_KEY, DOCS_TOKEN, run_cli

HUGE = "9" * 5000


class HugeNumberInXml:
    """The emulator, with the stop list's XML `nbData` replaced by a 5,000-digit integer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or b"_format=xml" not in scope["query_string"]:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        body = b"".join(m.get("body", b"") for m in messages[1:])
        if b"<entry>true</entry>" in body and scope["path"].endswith("/stop-sms/list"):
            body = body.replace(b"<entry>4</entry>", f"<entry>{HUGE}</entry>".encode(), 1)
        start = messages[0]
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def odd_url() -> Iterator[str]:
    with serving(HugeNumberInXml(create_app(access_log=False))) as url:
        yield url


def test_a_huge_integer_is_a_finding_and_every_output_is_written(
    tmp_path: Path, odd_url: str
) -> None:
    env = {
        "SMSPARTNER_BASE_URL": odd_url,
        "SMSPARTNER_API_KEY": DEMO_KEY,
        "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
        "SMSPARTNER_CONTRACT_MODE": "live",
    }
    result = run_cli(tmp_path, env=env)
    assert "unexpected" not in result.stderr
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    reports = tmp_path / "build" / "contract"
    for name in ("summary.md", "junit.xml", "report.json", "cassette.yaml"):
        assert (reports / name).is_file(), name
    report = json.loads((reports / "report.json").read_text("utf-8"))
    assert any(f["identity"]["media"] == "application/xml" for f in report["findings"])
    cassette = str(reports / "cassette.yaml")
    replay = run_cli(tmp_path, "replay", cassette)
    assert replay.returncode == 1, replay.stderr
    assert run_cli(tmp_path, "compare", cassette, cassette).returncode == 0
    parity = run_cli(tmp_path, "parity", cassette)
    assert parity.returncode == 1, parity.stderr
    assert "unexpected" not in replay.stderr + parity.stderr
