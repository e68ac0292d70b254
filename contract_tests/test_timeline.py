"""The nightly drift job lived for a month: `fixtures/timeline.yaml`, night by night.

Each night does what `examples/contract-live.yml` does, in a fresh workspace: the previous
recording restored from the "cache", `smspartner-contract run` (live mode, the probe plan)
against the emulator served on 127.0.0.1 with that night's STOP list and behaviour, then
`smspartner-contract compare previous/cassette.yaml build/contract/cassette.yaml` when a
previous recording exists, then the workflow's own step that keeps tonight's recording only
when it is complete (its shell script, read from the workflow and run with bash), then the
"cache" saved. The accepted-drift file is the one of that morning.

Asserted per night: the run's exit status and verdict, compare's exit status, what the job
summary must show, the line budgets of summary.md and compare.md; over the month: nights
without a change are never red, every change is red on its night and, once accepted,
only on its night; an outage is red, leaves the previous recording alone, and the night after
is compared with the last complete one without a false "the API changed".

The pace of a live run (2 requests/s, for someone else's API) is lifted here: 11 requests a
night would otherwise cost 5 s, 3 minutes for the month.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from smspartner_contract import target as target_module
from smspartner_contract.baseline import FORMAT
from smspartner_contract.cli import main
from smspartner_emulator import StopEntry, create_app, default_fixtures
from smspartner_emulator.server import serving

from contract_tests import markdown
from contract_tests.runs import DEMO_KEY, DOCS_TOKEN, ROOT, closed_url

SCHEDULE = Path(__file__).parent / "fixtures" / "timeline.yaml"
WORKFLOW = ROOT / "examples" / "contract-live.yml"
KEEP_STEP = "Keep this run's recording"
DOCS = ROOT / "docs" / "contract.md"
"""Shows the month as this test prints it (the test checks the block is its output)."""
SUMMARY_LINES = 60
"""Line budget of one night's summary.md (a live run: verdict, findings, ledger, coverage)."""
COMPARE_LINES = 40
"""Line budget of one night's compare.md."""
VERDICTS = {
    0: "the target matches the spec",
    1: "BREAKING DRIFT",
    2: "ERROR: the run could not be made or completed",
    3: "ADDITIVE DRIFT only",
    4: "GUESSES REFUTED",
}
REWORDED = ("Clé API incorrecte", "Clef API incorrecte")
"""A documented message, as the STOP list's page spells it otherwise."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Tonight:
    """The app the server on 127.0.0.1 plays: tonight's emulator, swapped every night."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class Rewritten:
    """Every answer of `app` with the bytes `old` replaced by `new` (and its Content-Length
    with it): what no scenario of the emulator does, e.g. a documented message reworded."""

    def __init__(self, app: App, old: str | bytes, new: str | bytes) -> None:
        self.app = app
        self.old = old.encode() if isinstance(old, str) else old
        self.new = new.encode() if isinstance(new, str) else new

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            new = bytes(body).replace(self.old, self.new)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(new)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": new})

        await self.app(scope, receive, rewritten)


def stop_list(size: int) -> tuple[StopEntry, ...]:
    """`size` STOP entries, newest first: every night's new entry comes on top."""
    return tuple(
        StopEntry(
            id=1000 + n,
            phone_number=f"+336{n:08d}",
            created_at=f"2026-{1 + n // 28 % 12:02d}-{1 + n % 28:02d} 0{n % 10}:1{n % 6}:00",
        )
        for n in range(size, 0, -1)
    )


def app_for(night: dict[str, Any]) -> App:
    fixtures = dataclasses.replace(default_fixtures(), stop_list=stop_list(night["stops"]))
    scenarios = [name for name in night["api"] if name != "reworded"]
    app: App = create_app(fixtures, access_log=False, scenario="+".join(scenarios) or None)
    if "reworded" in night["api"]:
        app = Rewritten(app, *REWORDED)
    return app


def keep_script() -> str:
    """The workflow's step that keeps tonight's recording for tomorrow."""
    steps = yaml.safe_load(WORKFLOW.read_text("utf-8"))["jobs"]["contract"]["steps"]
    script: str = next(s["run"] for s in steps if str(s.get("name", "")).startswith(KEEP_STEP))
    assert "${{" not in script
    return script


def accepted_drift(path: Path, entries: list[dict[str, str]]) -> None:
    path.write_text(json.dumps({"format": FORMAT, "entries": entries}, indent=2), "utf-8")


def red(run: int, compare: int | None) -> bool:
    """The job is red: the run's status, or compare saying the API's answers changed (the
    workflow's compare step fails then)."""
    return run != 0 or compare == 1


@pytest.fixture(scope="module")
def schedule() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SCHEDULE.read_text("utf-8"))
    return data


def test_the_schedule_is_a_month_that_exercises_every_change(schedule: dict[str, Any]) -> None:
    nights = schedule["nights"]
    assert len(nights) >= 30
    sizes = [night["stops"] for night in nights]
    assert sizes == sorted(set(sizes)), "the STOP list grows every night"
    seen = {name for night in nights for name in night["api"]}
    assert {"field_added", "reworded", "phone_format_changed", "field_renamed"} <= seen
    assert any(night.get("down") for night in nights)
    for night in nights:
        assert set(night) <= {"stops", "api", "down", "accept", "run", "compare", "says"}, night
        assert all(name in schedule["acceptances"] for name in night.get("accept", []))


@dataclasses.dataclass
class Night:
    """What one night's job left: the statuses and the texts of the job summary."""

    run: int
    compared: int | None
    report: dict[str, Any]
    summary: str
    comparison: str
    recording: bytes

    @property
    def complete(self) -> bool:
        """What the workflow reads before keeping the recording (`complete: true`)."""
        return b"\ncomplete: true\n" in self.recording


@dataclasses.dataclass
class Job:
    """The workflow, step by step, in a fresh workspace each night; the cache and the
    accepted-drift file outlive the nights."""

    root: Path
    keep: str
    entries: list[dict[str, str]] = dataclasses.field(default_factory=list)

    @property
    def cache(self) -> Path:
        return self.root / "cache" / "cassette.yaml"

    @property
    def drift_file(self) -> Path:
        return self.root / "accepted-drift.json"

    def accept(self, entries: list[dict[str, str]], number: int) -> None:
        reason = f"accepted on night {number}"
        self.entries += [{**e, "reason": reason, "expires": "2099-12-31"} for e in entries]
        accepted_drift(self.drift_file, self.entries)

    def night(self, number: int, url: str) -> Night:
        work = self.root / f"night-{number:02d}"
        (work / "previous").mkdir(parents=True)
        previous = work / "previous" / "cassette.yaml"
        if self.cache.is_file():  # actions/cache/restore
            shutil.copy(self.cache, previous)
        reports = work / "build" / "contract"
        env = {
            "SMSPARTNER_BASE_URL": url,
            "SMSPARTNER_API_KEY": DEMO_KEY,
            "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
            "SMSPARTNER_CONTRACT_MODE": "live",
            "SMSPARTNER_CONTRACT_BASELINE": str(self.drift_file),
        }
        run = main(["run", "--report-dir", str(reports)], env=env)
        compared = None
        if previous.is_file():
            new = str(reports / "cassette.yaml")
            compared = main(["compare", str(previous), new, "--report-dir", str(reports)], env={})
        subprocess.run(["bash", "-euo", "pipefail", "-c", self.keep], cwd=work, check=True)
        if previous.is_file():  # actions/cache/save
            self.cache.parent.mkdir(exist_ok=True)
            shutil.copy(previous, self.cache)
        written = reports / "compare.md"
        assert written.is_file() == (compared in (0, 1))
        return Night(
            run=run,
            compared=compared,
            report=json.loads((reports / "report.json").read_text("utf-8")),
            summary=(reports / "summary.md").read_text("utf-8"),
            comparison=written.read_text("utf-8") if written.is_file() else "",
            recording=(reports / "cassette.yaml").read_bytes(),
        )


def test_a_month_of_nights(
    schedule: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(target_module, "POLITE_PER_SECOND", 1000.0)
    job = Job(tmp_path, keep_script())
    accepted_drift(job.drift_file, [])
    nights = schedule["nights"]
    last_report: dict[str, Any] = {}
    last_answered: list[str] | None = None
    last_complete: bytes | None = None
    log: list[str] = []
    previous_api: list[str] = []
    tonight = Tonight(app_for(nights[0]))
    with serving(tonight) as url:
        for number, plan in enumerate(nights, start=1):
            where = f"night {number}: {plan}"
            for name in plan.get("accept", []):
                wanted = schedule["acceptances"][name]
                copied = [f["baseline_entry"] for f in last_report["findings"]]
                for entry in wanted:  # what report.json told the maintainer to paste
                    assert any(entry.items() <= e.items() for e in copied), (where, entry)
                job.accept(wanted, number)
            tonight.app = app_for(plan)
            night = job.night(number, closed_url() if plan.get("down") else url)
            run, compared, report = night.run, night.compared, night.report
            log.append(log_line(number, plan, previous_api, run, compared, report))
            previous_api = plan["api"]
            assert run == plan["run"], (where, night.summary)
            assert report["exit_code"] == run
            assert report["verdict"].startswith(VERDICTS[run]), (where, report["verdict"])
            assert compared == plan["compare"], (where, night.comparison)
            job_summary = night.summary + "\n" + night.comparison
            for text in plan.get("says", []):
                assert text in job_summary, (where, text, job_summary)
            assert len(night.summary.splitlines()) <= SUMMARY_LINES, (where, night.summary)
            assert len(night.comparison.splitlines()) <= COMPARE_LINES, (where, night.comparison)
            assert DEMO_KEY not in job_summary
            assert DOCS_TOKEN[:8] not in job_summary

            # The rules themselves, whatever the expectations of the file say.
            if plan.get("down"):
                assert run == 2, where
                assert compared in (None, 5), where
            elif last_answered is not None:
                changed = sorted(plan["api"]) != last_answered
                assert red(run, compared) == changed, where
            assert night.complete == (not plan.get("down")), where
            if night.complete:
                last_complete = night.recording
                last_answered = sorted(plan["api"])
                last_report = report
            kept = job.cache.read_bytes() if job.cache.is_file() else None
            assert kept == last_complete, f"{where}: the cache holds the last complete recording"
    print("\n".join(log))
    shown = [
        b.text.rstrip("\n") for b in markdown.read(DOCS).blocks if b.text.startswith("night  1 ")
    ]
    assert shown == ["\n".join(log)], f"{DOCS.name} shows the month as this test prints it"


def log_line(
    number: int,
    plan: dict[str, Any],
    previous_api: list[str],
    run: int,
    compared: int | None,
    report: dict[str, Any],
) -> str:
    """One night as the docs show it: what happened that morning, and what the job said."""
    events = [f"+{name}" for name in plan["api"] if name not in previous_api]
    events += [f"accepted {name}" for name in plan.get("accept", [])]
    events += ["API down"] if plan.get("down") else []
    verdict = str(report["verdict"]).split(":", 1)[0]
    return (
        f"night {number:2d}  {plan['stops']:2d} stops  run {run}"
        f"  compare {'-' if compared is None else compared}  {verdict:<27}  {', '.join(events)}"
    ).rstrip()
