"""Issue 19, item by item: what a month of nightly runs showed going wrong, each as a test.

1. Accepted drift must hold: a finding is named by what changed, in words a person reads and
   writes (breaking ones too, never an internal bundling name).
2. An outage must not poison the next night: its recording is marked incomplete and compare
   refuses it (exit 5, one line), never "the API changed".
3. Comparisons must be read in a minute: one section per change, a header that counts each
   kind of request apart and warns about different modes, Markdown that stays valid whatever
   the recorded values hold.
4. Reports must not contradict or hide themselves: a replay says so and names what it judged,
   coverage and verdicts agree, a rename is one finding, `expected` always says something, a
   named accepted-drift file must exist, a `reproduce:` line runs as pasted.

Runs are in-process (ASGI) or against the emulator served on 127.0.0.1, in live mode where
the item allows it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from smspartner_contract import target as target_module
from smspartner_contract.cli import main
from smspartner_contract.compare import compare_files
from smspartner_contract.exchange import decode_leniently
from smspartner_contract.grading import BREAKING, NOT_EXERCISED, Outcome
from smspartner_contract.model import FULL, LIVE, Settings, Target
from smspartner_contract.parity import parity_of
from smspartner_contract.privacy import Outputs
from smspartner_contract.recording import write_cassette
from smspartner_contract.report import summary
from smspartner_contract.run import Runner
from smspartner_contract.spec import spec_data
from smspartner_emulator import CATALOGUE, create_app, default_fixtures
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Cassette,
    dump_cassette,
    load_cassette,
)
from smspartner_emulator.server import serving

from contract_tests.runs import DEMO_KEY, DOCS_TOKEN, IN_PROCESS_URL, closed_url, run_in_process
from contract_tests.test_timeline import App, Rewritten

SPEC_VERSION = str(spec_data()["info"]["version"])
TEAM_KEY = "Kx7-team/key+value"
"""A key with characters URL encoding changes: a pasted `reproduce:` line must send it right."""
BREAKING_DRIFTS = sorted(name for name, drift in CATALOGUE.items() if drift.category == BREAKING)
INDEX = re.compile(r"/[0-9]+(/|$)")


def emulator(scenario: str | None = None, **fixtures: Any) -> App:
    data = dataclasses.replace(default_fixtures(), **fixtures)
    app: App = create_app(data, access_log=False, scenario=scenario)
    return app


def record_to(app: App, path: Path, *, mode: str = LIVE, token: str | None = DOCS_TOKEN) -> Path:
    """A run against `app`, its recording written to `path`."""
    runner = Runner(Target(IN_PROCESS_URL, DEMO_KEY, token, app=app), Settings(mode=mode))
    record = runner.run()
    written = write_cassette(record, SPEC_VERSION, Outputs(path.parent / "out", runner.privacy))
    return written.rename(path)


def write(cassette: Cassette, path: Path) -> Path:
    path.write_text(dump_cassette(cassette), encoding="utf-8")
    return path


@pytest.fixture
def unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live runs against the emulator without the 2 requests/s kept for the real API."""
    monkeypatch.setattr(target_module, "POLITE_PER_SECOND", 1000.0)


# ---- 1. accepted drift holds ---------------------------------------------------------------


@pytest.mark.parametrize("scenario", BREAKING_DRIFTS)
def test_a_breaking_finding_is_accepted_by_what_changed_in_readable_words(
    tmp_path: Path, scenario: str
) -> None:
    """Stop 17 gave breaking findings a signature naming an internal bundling path
    (`x-bundled/schema000004/required`): here each entry names the spec's own path, and the
    entries pasted from tonight's run accept tomorrow's, with a longer STOP list."""
    stops = default_fixtures().stop_list
    _, tonight = run_in_process(emulator(scenario, stop_list=stops[:2]), mode=LIVE)
    found = [f for f in tonight.findings if f.category == BREAKING]
    assert found, scenario
    entries = []
    for finding in found:
        entry = finding.baseline_entry()
        assert entry["field"] == finding.field
        assert entry["field"].startswith("/") or entry["field"] == "(whole answer)", entry
        assert not INDEX.search(entry["field"]), entry
        for value in entry.values():
            assert "bundled" not in value
            assert "schema0" not in value
            assert "#/" not in value
        entries.append({**entry, "reason": "seen and accepted", "expires": "2099-12-31"})
    accepted = tmp_path / "accepted-drift.json"
    accepted.write_text(json.dumps({"format": "smspartner-accepted-drift/2", "entries": entries}))
    from smspartner_contract.baseline import load_baseline
    from smspartner_contract.cli import grade

    record, _ = run_in_process(emulator(scenario, stop_list=stops), mode=LIVE)
    tomorrow = grade(record, record.target, load_baseline(accepted))
    assert tomorrow.exit_code == 0, [(f.identity, f.accepted) for f in tomorrow.findings]


# ---- 2. an outage does not poison the next night -------------------------------------------


def test_an_unreachable_api_leaves_an_incomplete_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stop 17 wrote `interactions: []` as if the run were whole, and the workflow kept it."""
    env = {"SMSPARTNER_BASE_URL": closed_url(), "SMSPARTNER_API_KEY": TEAM_KEY}
    assert main(["run", "--report-dir", str(tmp_path)], env=env) == 2
    recording = load_cassette(tmp_path / "cassette.yaml")
    assert recording.complete is False
    assert "\ncomplete: false\n" in (tmp_path / "cassette.yaml").read_text("utf-8")
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["exit_code"] == 2
    assert report["verdict"].startswith("ERROR")
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "Kx7" not in err


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Live recordings: the documented API (twice, the STOP list grown), the same with one
    field added to the STOP entries, an outage, an empty but complete one."""
    directory = tmp_path_factory.mktemp("nights")
    stops = default_fixtures().stop_list
    made = {
        "documented": record_to(emulator(stop_list=stops[:3]), directory / "documented.yaml"),
        "grown": record_to(emulator(stop_list=stops), directory / "grown.yaml"),
        "one-field": record_to(
            Rewritten(emulator(stop_list=stops), b'"createdAt":', b'"source":"web","createdAt":'),
            directory / "one-field.yaml",
        ),
        "outage": record_to(emulator(), directory / "outage.yaml"),
    }
    outage = load_cassette(made["outage"])
    write(
        dataclasses.replace(
            outage, complete=False, interactions=[], run={**outage.run, "stopped": "no answer"}
        ),
        made["outage"],
    )
    empty = dataclasses.replace(load_cassette(made["documented"]), interactions=[])
    made["empty"] = write(empty, directory / "empty.yaml")
    return made


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("outage", "documented", "the old recording"),
        ("documented", "outage", "the new recording"),
        ("empty", "documented", "the old recording"),
    ],
)
def test_compare_refuses_an_incomplete_or_empty_recording_in_one_line(
    tmp_path: Path,
    nights: dict[str, Path],
    old: str,
    new: str,
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Stop 17 compared an outage's empty recording with the next night's: every request
    "changed" and a warning that the API's answers changed. A stale compare.md of an earlier
    comparison in the same directory must not survive either (the workflow pastes it)."""
    (tmp_path / "compare.md").write_text("# What the API answered differently\nstale\n")
    args = ["compare", str(nights[old]), str(nights[new]), "--report-dir", str(tmp_path)]
    assert main(args, env={}) == 5
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1, err
    assert says in err, err
    reason = "holds no exchange" if "empty" in (old, new) else "did not complete"
    assert reason in err, err
    assert "changed" not in out + err
    assert not (tmp_path / "compare.md").exists()


# ---- 3. comparisons read in a minute -------------------------------------------------------


def headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("mode", [LIVE, FULL])
def test_one_added_field_is_one_short_section(tmp_path: Path, mode: str) -> None:
    """Stop 17: one added field on the STOP entries gave 233 compare.md sections (1,567 lines)
    and 223 parity sections. A run of 30 requests or more with one field added: compare.md
    under 40 lines, one section for the field; parity.md as short."""
    stops = default_fixtures().stop_list
    added = (b'"createdAt":', b'"source":"web","createdAt":')
    before = record_to(emulator(stop_list=stops), tmp_path / "before.yaml", mode=mode)
    after = record_to(
        Rewritten(emulator(stop_list=stops), *added), tmp_path / "after.yaml", mode=mode
    )
    requests = len(load_cassette(after).interactions)
    assert requests >= (30 if mode == FULL else 11)
    assert compare_files(before, after, tmp_path / "compare") == 1
    text = (tmp_path / "compare" / "compare.md").read_text("utf-8")
    assert len(text.splitlines()) < 40, text
    assert headings(text) == ["## `field added: /data/*/source (string)`"], text
    assert parity_of(after, tmp_path / "parity") == 1
    grouped = (tmp_path / "parity" / "parity.md").read_text("utf-8")
    assert len(grouped.splitlines()) < 40, grouped
    assert "## `field the emulator lacks: /data/*/source`" in headings(grouped)


def test_the_compare_header_counts_each_kind_of_request_apart(tmp_path: Path) -> None:
    """Stop 17 said "7 request(s) in both recordings; 258 with a difference", counting the
    requests of one side only as differences. Here the plan without a rental token and the
    plan with one (some requests differ), a message reworded: every count apart."""
    old = record_to(emulator(), tmp_path / "old.yaml", token=None)
    reworded = Rewritten(emulator(), "Clé API incorrecte", "Clef API incorrecte")
    new = record_to(reworded, tmp_path / "new.yaml")
    olds, news = load_cassette(old).interactions, load_cassette(new).interactions
    left = {i.request.key: i for i in olds}
    pairs = [(left[i.request.key], i) for i in news if i.request.key in left]
    both = len(pairs)
    changed = sum(
        1 for a, b in pairs if a.response and b.response and a.response.body != b.response.body
    )
    only_old, only_new = len(olds) - both, len(news) - both
    assert all((changed, only_old, only_new))  # each count has something to count
    assert compare_files(old, new, tmp_path) == 1
    text = (tmp_path / "compare.md").read_text("utf-8")
    assert (
        f"- requests in both recordings: {both}; with a change: {changed}; with only the "
        f"account's data changed: 0; only in the old: {only_old}; only in the new: {only_new}"
    ) in text, text
    counted = json.loads((tmp_path / "compare.json").read_text("utf-8"))["requests"]
    assert counted["both"] == both
    assert counted["changed"] == changed
    assert (len(counted["only_old"]), len(counted["only_new"])) == (only_old, only_new)
    assert "Warning" not in text


def test_compare_warns_when_the_recordings_were_made_in_different_modes(
    tmp_path: Path, nights: dict[str, Path]
) -> None:
    full = record_to(emulator(), tmp_path / "full.yaml", mode=FULL)
    compare_files(nights["documented"], full, tmp_path)
    text = (tmp_path / "compare.md").read_text("utf-8")
    assert "> **Warning:** the recordings were made with different modes: live and full" in text


def test_a_growing_stop_list_is_data_not_a_change_of_the_api(
    tmp_path: Path, nights: dict[str, Path]
) -> None:
    """The STOP list grows every day: compare says so in one short section and exits 0, or
    every night would warn that the API changed."""
    assert compare_files(nights["documented"], nights["grown"], tmp_path) == 0
    text = (tmp_path / "compare.md").read_text("utf-8")
    assert "## The account's data (not a change of the API)" in text
    assert "- `entry added: /data/*`: 2 request(s)" in text  # JSON and XML alike
    assert text.rstrip().endswith("The API answers as before (only the account's data changed).")


HOSTILE = ["`", "a`b", "``x``", "x`", "`y", "|pipe|", "*b*", "<i>", "[l](u)", "two\nlines"]
"""Values a recording may hold (placeholders and masks are no safer): backticks first, last,
doubled; table and emphasis characters; a line break."""


def hostile_twins(base: Cassette, position: int) -> tuple[Cassette, Cassette]:
    """Two recordings of the same requests, the key placeholder at `position` of each query
    among hostile values, the answers of the second changed with hostile values too."""
    olds, news = [], []
    for index, item in enumerate(base.interactions):
        query = [(name, value) for name, value in item.request.query if name != "apiKey"]
        query = [*query, *(("q", value) for value in HOSTILE[index % 3 :: 3])]
        query.insert(
            min(position, len(query)) if position >= 0 else len(query),
            ("apiKey", API_KEY_PLACEHOLDER),
        )
        request = dataclasses.replace(item.request, query=tuple(query))
        old = dataclasses.replace(item, request=request)
        response = item.response
        assert response is not None
        body = response.body.replace(b'"success":', b'"we`ird|": "`v`\\n|", "success":', 1)
        body = body.replace("Clé API incorrecte".encode(), "Clé `API` | *incorrecte* ``".encode())
        new = dataclasses.replace(old, response=dataclasses.replace(response, body=body))
        olds.append(old)
        news.append(new)
    return (
        dataclasses.replace(base, interactions=olds),
        dataclasses.replace(base, interactions=news),
    )


def code_spans(markdown: str) -> Iterator[tuple[str, list[Any]]]:
    """(block type, inline children) of every inline run of a Markdown text, as CommonMark
    reads it (tables enabled, as GitHub's job summary renders them)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    for previous, token in zip([None, *tokens], tokens, strict=False):
        if token.type == "inline":
            yield (previous.type if previous else ""), list(token.children or [])


def assert_valid_markdown(markdown: str, spans: set[str]) -> None:
    """Every backtick is inside a code span (none left over in plain text), every heading is
    one code span, and each text of `spans` is shown whole as one code span."""
    seen = set()
    for block, children in code_spans(markdown):
        for child in children:
            assert child.type != "text" or "`" not in child.content, (block, child.content)
            if child.type == "code_inline":
                seen.add(child.content)
        if block == "heading_open" and any(c.type == "code_inline" for c in children):
            assert [c.type for c in children] == ["code_inline"], children
    missing = {" ".join(text.split()) for text in spans} - seen
    assert not missing, missing


@pytest.mark.parametrize("position", [0, 1, -1])
def test_compare_md_stays_valid_markdown_whatever_the_values_hold(
    tmp_path: Path, nights: dict[str, Path], position: int
) -> None:
    """Stop 17 lost the closing backtick of 138 of 233 headings when `apiKey` came last (the
    masking ate it), in the file the workflow pastes into the job summary. Here the key
    placeholder comes first, second and last among values full of backticks."""
    old, new = hostile_twins(load_cassette(nights["documented"]), position)
    assert (
        compare_files(
            write(old, tmp_path / "old.yaml"), write(new, tmp_path / "new.yaml"), tmp_path
        )
        == 1
    )
    text = (tmp_path / "compare.md").read_text("utf-8")
    data = json.loads((tmp_path / "compare.json").read_text("utf-8"))
    texts = {change["change"] for change in data["changes"]}
    texts |= {e["request"] for change in data["changes"] for e in change["examples"]}
    assert any(
        API_KEY_PLACEHOLDER + "&" not in t and t.endswith(API_KEY_PLACEHOLDER) for t in texts
    ) == (position == -1)
    assert_valid_markdown(text, texts)
    assert "field added: /we`ird| (string)" in texts


def test_summary_md_stays_valid_markdown_with_backticks_in_a_field_name() -> None:
    app = Rewritten(emulator(), b'"success":', b'"we`ird|``": "`v`", "success":')
    _, outcome = run_in_process(app, mode=LIVE)
    fields = {f.field for f in outcome.findings}
    assert "/we`ird|``" in fields, fields
    assert_valid_markdown(summary(outcome), fields)


# ---- 4. reports that neither contradict nor hide themselves ---------------------------------


def test_a_replay_says_replay_and_names_the_recording_and_the_spec(
    tmp_path: Path, nights: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Stop 17: a replay's summary said `# Contract run`, the original (dead) target and the
    original duration; report.json named neither the recording nor the spec."""
    recording = load_cassette(nights["documented"])
    slow = {**recording.run, "seconds": 4321.987}  # what the recorded run took
    cassette = write(dataclasses.replace(recording, run=slow), tmp_path / "night.yaml")
    assert main(["replay", str(cassette), "--report-dir", str(tmp_path / "replay")], env={}) == 0
    capsys.readouterr()
    text = (tmp_path / "replay" / "summary.md").read_text("utf-8")
    head = "\n".join(text.splitlines()[:10])
    assert text.startswith("# Replay of a recording\n"), head
    assert "# Contract run" not in text
    assert f"`{cassette}`" in head
    assert recording.recorded_at in head
    assert f"`{recording.target}`" in head
    assert "live: the probe plan only" in head
    spec = spec_data()
    assert f"version {spec['info']['version']}" in head
    assert "smspartner.yaml`" in head
    assert "4322" not in text
    assert "4321" not in text
    report = json.loads((tmp_path / "replay" / "report.json").read_text("utf-8"))
    assert report["kind"] == "replay"
    assert report["recording"]["path"] == str(cassette)
    assert report["recording"]["recorded_at"] == recording.recorded_at
    assert report["recording"]["target"] == recording.target
    assert report["recording"]["mode"] == LIVE
    assert report["spec"]["version"] == spec["info"]["version"]
    assert report["spec"]["path"].endswith("smspartner.yaml")
    assert report["seconds"] != 4321.987


def _answers(where: str) -> tuple[str, str, str | None] | None:
    """(operation, status, media type) of a ledger `where` about an answer, else None."""
    found = re.match(r"^(\w+ \S+) (\d{3})(?: (\S+/\S+))?(?::| )", where)
    if found is None:
        return None
    media = found.group(3)
    if media is None and "media type " in where:
        media = where.rsplit("media type ", 1)[1].strip()
    return found.group(1), found.group(2), media


def test_coverage_and_verdicts_agree_in_a_full_run_without_a_rental_token() -> None:
    """Stop 17: a full run without SMSPARTNER_RENTAL_TOKEN said the rental's success was
    "not exercised" while its coverage counted 89 successes and every rental-only guess
    "confirmed"."""
    record, outcome = run_in_process(emulator(), mode=FULL, token=None, examples=10)
    assert not record.rental_token
    succeeded = {label for label, seen in outcome.coverage.items() if seen.success}
    assert "GET /location/status" in succeeded  # the docs' rental, an example of the spec
    notes = [*outcome.gaps, *outcome.fatal_gaps]
    for label in succeeded:
        assert not [note for note in notes if note.startswith(label)], notes
    for verdict in outcome.verdicts:
        if verdict.verdict != NOT_EXERCISED:
            continue
        for where in verdict.where:
            about = _answers(where)
            if about is None:
                continue
            operation, status, media = about
            answered = outcome.coverage[operation].answers
            assert not any(
                str(s) == status and (media is None or m == media) for s, m in answered
            ), (verdict.id, where, answered)
    report = summary(outcome)
    assert "not exercised" not in report.split("## Coverage")[0].replace("| not exercised |", "")


@pytest.mark.parametrize(
    ("scenario", "inserted"),
    [
        ("field_renamed", None),
        ("field_renamed", b'"alias":"web",'),  # a new field before the renamed one
        ("field_renamed+phone_format_changed", b'"alias":"web",'),
    ],
)
def test_a_renamed_field_is_one_finding_that_says_so(scenario: str, inserted: bytes | None) -> None:
    """Stop 17 reported an additive `phone` and a breaking missing `phoneNumber`, unrelated."""
    app: App = emulator(scenario)
    if inserted is not None:
        app = Rewritten(app, b'"phone":', inserted + b'"phone":')
    _, outcome = run_in_process(app, mode=LIVE)
    renamed = [f for f in outcome.findings if f.identity.rule == "renamed"]
    assert len(renamed) == 1, [(f.field, f.identity.rule) for f in outcome.findings]
    finding = renamed[0]
    assert finding.field == "/data/*/phoneNumber"
    assert finding.category == BREAKING
    assert "`phoneNumber` is gone and `phone`" in finding.message
    assert "phone" in finding.observed
    fields = {f.field for f in outcome.findings}
    assert "/data/*/phone" not in fields
    assert ("/data/*/alias" in fields) == (inserted is not None)
    text = summary(outcome)
    assert "Documented field renamed" in text


@pytest.fixture(scope="module")
def every_drift() -> list[tuple[str, Outcome]]:
    """A live run of every drift of the catalogue, and of a proxy's 502 page."""
    return [
        (name, run_in_process(emulator(name), mode=LIVE)[1])
        for name in [*sorted(CATALOGUE), "server_error"]
    ]


def test_every_finding_says_what_was_expected_and_what_was_seen(
    every_drift: list[tuple[str, Outcome]],
) -> None:
    """Stop 17 printed `expected: -` for additive findings (and a server error)."""
    for name, outcome in every_drift:
        assert outcome.findings, name
        for finding in outcome.findings:
            for said in (finding.expected, finding.observed):
                assert said.strip() not in ("", "-", "None"), (name, finding.identity)
        assert "expected: `-`" not in summary(outcome), name


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_accepted_drift_file_that_does_not_exist_stops_the_run(
    tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stop 17 ignored `--baseline does-not-exist.json` and exited 0."""
    missing = tmp_path / "does-not-exist.json"
    env = {"SMSPARTNER_BASE_URL": closed_url(), "SMSPARTNER_API_KEY": TEAM_KEY}
    args = ["run", "--report-dir", str(tmp_path / "reports")]
    if how == "option":
        args += ["--baseline", str(missing)]
    else:
        env["SMSPARTNER_CONTRACT_BASELINE"] = str(missing)
    assert main(args, env=env) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"contract: {missing}: cannot read: No such file or directory"
    ]
    assert not (tmp_path / "reports").exists()  # refused before any request


def test_a_reproduce_line_runs_as_pasted(tmp_path: Path, unpaced: None) -> None:
    """Stop 17 printed `apiKey=***`: pasted, the line asked with a wrong key. Each line here
    runs with bash and curl, the secrets in the environment, and gets what was recorded."""
    app = emulator("field_added+error_code_changed", api_keys=(TEAM_KEY,))
    reports = tmp_path / "reports"
    with serving(app) as url:
        env = {
            "SMSPARTNER_BASE_URL": url,
            "SMSPARTNER_API_KEY": TEAM_KEY,
            "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
            "SMSPARTNER_CONTRACT_MODE": "live",
        }
        assert main(["run", "--report-dir", str(reports)], env=env) == 1
        report = json.loads((reports / "report.json").read_text("utf-8"))
        recorded = {i.id: i for i in load_cassette(reports / "cassette.yaml").interactions}
        shell = {"PATH": os.environ["PATH"], "SMSPARTNER_API_KEY": TEAM_KEY}
        shell["SMSPARTNER_RENTAL_TOKEN"] = DOCS_TOKEN
        lines = {f["reproduce"] for f in report["findings"]}
        assert any("${SMSPARTNER_RENTAL_TOKEN}" in line for line in lines), lines
        for finding in report["findings"]:
            line = finding["reproduce"]
            assert line.startswith("curl ")
            assert "***" not in line
            assert TEAM_KEY not in line
            assert DOCS_TOKEN[:8] not in line
            done = subprocess.run(
                ["bash", "-c", line], env=shell, capture_output=True, timeout=30, check=False
            )
            assert done.returncode == 0, (line, done.stderr)
            seen = recorded[finding["examples"][0]].response
            assert seen is not None
            got, wanted = decode_leniently(done.stdout), decode_leniently(seen.body)
            assert got is not None
            assert wanted is not None
            assert got[0] == wanted[0], line
            assert shape_of(got[1]) == shape_of(wanted[1]), line
            if seen.status >= 400:  # an error answer holds nothing masked: the same bytes
                assert done.stdout == seen.body, line


def shape_of(value: Any) -> Any:
    """The JSON types of a value in its structure; the values of `success` and `code`."""
    if isinstance(value, dict):
        return {k: (v if k in ("success", "code") else shape_of(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [shape_of(item) for item in value]
    return type(value).__name__
