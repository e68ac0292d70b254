"""What the API answered differently between two recordings: `smspartner-contract compare`.

A schema says what an answer may be, not what it was: a message text, a status text or a
header can change while every check still passes. Requests are matched by method, path and
query (placeholders included: a deterministic run sends the same requests in the same order);
repeated requests pair up in order. For each pair: the status, the media type, the headers
that matter, and the body, decoded (JSON or positional XML) and walked side by side (diff.py).

The report is grouped by change, not by request: one section per change (the place written as
the spec's path, `/data/*/source`), the requests that showed it counted, two examples. The
header counts the requests in both recordings, only in the old, only in the new, and changed,
and warns when the two were made in different modes, against different targets or specs.
`compare.md` is capped (`MAX_MARKDOWN_BYTES`, under GitHub's 1 MiB step-summary limit) with a
pointer to `compare.json`, which holds everything.

Exit status: 0 nothing changed, 1 changes, 2 a recording cannot be read, 5 nothing to compare
with: the old recording is incomplete (its run was cut short or could not be made) or empty,
or the new one is; a comparison then would only say that nothing was recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smspartner_emulator.recording import Cassette, Interaction, RecordedResponse, load_cassette

from smspartner_contract.diff import differences, json_type
from smspartner_contract.exchange import decode_leniently
from smspartner_contract.privacy import Outputs, Privacy
from smspartner_contract.report import code
from smspartner_contract.spec import SPEC_PATH, spec_data

HEADERS_THAT_MATTER = ("content-type", "allow", "retry-after", "location", "www-authenticate")
"""Besides these, any `x-ratelimit-*` header is compared; dates, servers and lengths are not."""
EXIT_SAME, EXIT_CHANGED, EXIT_UNREADABLE, EXIT_NOTHING_TO_COMPARE = 0, 1, 2, 5
EXAMPLES = 2
MAX_MARKDOWN_BYTES = 512 * 1024
_SHOWN = 80


class NothingToCompare(Exception):
    """A recording that cannot serve as one side of a comparison; one line says why."""


@dataclass
class Change:
    """One change, seen on `requests` requests (`places` places in all)."""

    text: str
    requests: int = 0
    places: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)
    """(request, the change as it was there) for the first requests that showed it."""


@dataclass
class Comparison:
    """Two recordings, request by request."""

    both: int = 0
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    changed: int = 0
    changes: dict[str, Change] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _generic(path: Iterable[str | int]) -> str:
    return "/" + "/".join("*" if isinstance(part, int) else str(part) for part in path)


def body_changes(old: Any, new: Any) -> Iterator[tuple[str, str]]:
    """(group text, detail) for each difference between two decoded bodies."""
    for found in differences(old, new):
        where = _generic(found.path)
        if found.kind == "added":
            yield f"field added: {where} ({json_type(found.new)})", _show(found.new)
        elif found.kind == "removed":
            yield f"field removed: {where} (was {json_type(found.old)})", _show(found.old)
        elif found.kind == "retyped":
            text = f"type changed: {where}: {json_type(found.old)} -> {json_type(found.new)}"
            yield text, f"{_show(found.old)} -> {_show(found.new)}"
        elif found.kind == "changed":
            yield f"value changed: {where}", f"{_show(found.old)} -> {_show(found.new)}"
        else:
            yield f"{found.kind}: {where}", _show(found.new if "added" in found.kind else found.old)


def _headers(response: RecordedResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers
        if name in HEADERS_THAT_MATTER or name.startswith("x-ratelimit")
    }


def answer_changes(
    old: RecordedResponse | None, new: RecordedResponse | None
) -> Iterator[tuple[str, str]]:
    """(group text, detail) for every change between two answers to the same request."""
    if old is None or new is None:
        if old is not new:
            yield ("no answer before" if old is None else "no answer now"), ""
        return
    if old.status != new.status:
        yield f"status: {old.status} -> {new.status}", ""
    before, after = _headers(old), _headers(new)
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            yield f"header {name} changed", f"{before.get(name)!r} -> {after.get(name)!r}"
    old_body, new_body = decode_leniently(old.body), decode_leniently(new.body)
    if old_body is not None and new_body is not None and old_body[0] == new_body[0]:
        yield from body_changes(old_body[1], new_body[1])
    elif old.body != new.body:
        yield "body not comparable", f"{len(old.body)} bytes -> {len(new.body)} bytes"


def label(interaction: Interaction) -> str:
    query = "&".join(f"{k}={v}" for k, v in interaction.request.query)
    return f"{interaction.request.method} {interaction.request.path}" + (
        f"?{query}" if query else ""
    )


def _grouped(items: Iterable[Interaction]) -> dict[Any, list[Interaction]]:
    grouped: dict[Any, list[Interaction]] = {}
    for item in items:
        grouped.setdefault(item.request.key, []).append(item)
    return grouped


def _warnings(old: Cassette, new: Cassette) -> list[str]:
    found = []
    for what, before, after in (
        ("modes", old.mode, new.mode),
        ("targets", old.target, new.target),
        ("spec versions", old.spec_version, new.spec_version),
    ):
        if before != after:
            found.append(f"the recordings were made with different {what}: {before} and {after}")
    return found


def compare(old: Cassette, new: Cassette) -> Comparison:
    """The two recordings, matched request by request, their changes grouped."""
    result = Comparison(warnings=_warnings(old, new))
    before, after = _grouped(old.interactions), _grouped(new.interactions)
    for key in list(before) + [k for k in after if k not in before]:
        olds, news = before.get(key, []), after.get(key, [])
        for index in range(max(len(olds), len(news))):
            if index >= len(news):
                result.only_old.append(label(olds[index]))
                continue
            if index >= len(olds):
                result.only_new.append(label(news[index]))
                continue
            result.both += 1
            request = label(news[index])
            seen_here: dict[str, int] = {}
            details: dict[str, str] = {}
            for text, detail in answer_changes(olds[index].response, news[index].response):
                seen_here[text] = seen_here.get(text, 0) + 1
                details.setdefault(text, detail)
            if seen_here:
                result.changed += 1
            for text, places in seen_here.items():
                change = result.changes.setdefault(text, Change(text))
                change.requests += 1
                change.places += places
                if len(change.examples) < EXAMPLES:
                    change.examples.append((request, details[text]))
    return result


def usable(cassette: Cassette, side: str) -> None:
    """NothingToCompare unless the recording holds a complete run."""
    if not cassette.complete:
        raise NothingToCompare(
            f"the {side} recording ({cassette.source}) is of a run that did not complete "
            f"({cassette.run.get('stopped') or 'cut short'}): nothing to compare with"
        )
    if not cassette.interactions:
        raise NothingToCompare(f"the {side} recording ({cassette.source}) holds no exchange")


def markdown(result: Comparison, old: Cassette, new: Cassette) -> str:
    lines = [
        "# What the API answered differently",
        "",
        f"- old: {code(old.source)} ({old.recorded_at}, {old.mode})",
        f"- new: {code(new.source)} ({new.recorded_at}, {new.mode})",
        f"- requests in both recordings: {result.both}; with a change: {result.changed}; "
        f"only in the old: {len(result.only_old)}; only in the new: {len(result.only_new)}",
        "",
    ]
    lines += [f"> **Warning:** {warning}" for warning in result.warnings]
    if result.warnings:
        lines.append("")
    ordered = sorted(result.changes.values(), key=lambda c: (-c.requests, c.text))
    budget = MAX_MARKDOWN_BYTES - 2048
    shown = 0
    for change in ordered:
        section = [
            f"## {code(change.text)}",
            "",
            f"- {change.requests} request(s), {change.places} place(s); for example:",
            *(
                f"  - {code(request)}" + (f": {code(detail)}" if detail else "")
                for request, detail in change.examples
            ),
            "",
        ]
        size = len("\n".join(section).encode("utf-8"))
        if size > budget:
            break
        budget -= size
        lines += section
        shown += 1
    if shown < len(ordered):
        lines += [f"... {len(ordered) - shown} more change(s): see compare.json", ""]
    for side, items in (("old", result.only_old), ("new", result.only_new)):
        if items:
            lines.append(
                f"Only in the {side} recording: {len(items)} request(s), e.g. {code(items[0])}"
            )
    if not result.changes:
        lines.append("Nothing changed.")
    return "\n".join(lines)


def compare_files(
    old_path: Path, new_path: Path, directory: Path, spec_path: Path = SPEC_PATH
) -> int:
    """Write compare.md and compare.json; the exit status (see the module docstring)."""
    old, new = load_cassette(old_path), load_cassette(new_path)
    usable(old, "old")
    usable(new, "new")
    result = compare(old, new)
    data = {
        "old": {"path": str(old_path), "recorded_at": old.recorded_at, "mode": old.mode},
        "new": {"path": str(new_path), "recorded_at": new.recorded_at, "mode": new.mode},
        "requests": {
            "both": result.both,
            "changed": result.changed,
            "only_old": result.only_old,
            "only_new": result.only_new,
        },
        "warnings": result.warnings,
        "changes": [
            {
                "change": c.text,
                "requests": c.requests,
                "places": c.places,
                "examples": [{"request": r, "detail": d} for r, d in c.examples],
            }
            for c in result.changes.values()
        ],
    }
    text = markdown(result, old, new)
    outputs = Outputs(directory, Privacy.for_replay(spec_data(spec_path)))
    outputs.clear(("compare.md", "compare.json"))
    outputs.write("compare.md", text + "\n")
    outputs.write("compare.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    print(text)
    print(f"reports: {directory}/compare.md, {directory}/compare.json")
    return EXIT_CHANGED if result.changes or result.only_old or result.only_new else EXIT_SAME
