"""What the API answered differently between two recordings: `smspartner-contract compare`.

A schema says what an answer may be, not what it was: a message text, a status text or a
header can change while every check still passes. Requests are matched by method, path and
query (placeholders included: a deterministic run sends the same requests in the same order);
repeated requests pair up in order. For each pair: the status, the media type, the headers
that matter, and the body, decoded (JSON or positional XML) and walked side by side (diff.py).

The report is grouped by change, not by request: one section per change (the place written as
the spec's path, `/data/*/source`, XML positions named after the JSON twin's fields), the
requests that showed it counted, two examples. The header counts the requests in both
recordings, only in the old, only in the new, and changed, and warns when the two were made in
different modes, against different targets or specs.

What the account holds is not what the API answers: entries added to or removed from a list
the spec describes as one (`items`: the STOP list grows every day), values changed inside its
entries, and a count of them (`x-counts`) are the account's data, listed in one short section
and not counted as a change. Everything else is: a field added, removed or retyped anywhere, a
value changed outside list entries (a message, a status text, a code), a status, a header.
`compare.md` is capped (`MAX_MARKDOWN_BYTES`, under GitHub's 1 MiB step-summary limit) with a
pointer to `compare.json`, which holds everything.

Exit status: 0 the API answers as before (the account's data may have changed), 1 changes,
2 a recording cannot be read, 5 nothing to compare with: the old recording is incomplete (its
run was cut short or could not be made) or empty, or the new one is; a comparison then would
only say that nothing was recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smspartner_emulator.recording import Cassette, Interaction, RecordedResponse, load_cassette

from smspartner_contract import pointers, refs
from smspartner_contract.checks import MEDIA, media_schema
from smspartner_contract.diff import Difference, differences, json_type
from smspartner_contract.exchange import XML, decode_leniently
from smspartner_contract.privacy import Outputs, Privacy
from smspartner_contract.report import code
from smspartner_contract.spec import SPEC_PATH, spec_data

HEADERS_THAT_MATTER = ("content-type", "allow", "location", "www-authenticate")
"""Headers compared by value; dates, servers and lengths are not compared at all."""
HEADERS_THAT_COME_AND_GO = ("retry-after",)
"""Headers compared by presence only, as any `x-ratelimit-*`: their values change from one
request to the next (what is left of a quota), which is no change of the API."""
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
    data: bool = False
    """A change of the account's data (list entries, their values, their count), not of the
    API's answers."""


@dataclass
class Comparison:
    """Two recordings, request by request."""

    both: int = 0
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    changed: int = 0
    """Requests whose answer changed (the account's data aside)."""
    data_only: int = 0
    """Requests whose answer differs only in the account's data."""
    changes: dict[str, Change] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _generic(path: Iterable[str | int]) -> str:
    return "/" + "/".join("*" if isinstance(part, int) else str(part) for part in path)


@dataclass(frozen=True)
class Places:
    """How the places of one answer are named and told apart: the spec's schema of it."""

    spec: Any = None
    schema: Any = None
    twin: Any = None
    """The JSON schema of the same answer (names XML positions; None for JSON)."""

    def steps(self, path: tuple[str | int, ...]) -> list[str] | None:
        if self.schema is None:
            return None
        steps = pointers.spec_path(self.spec, self.schema, path)
        if self.twin is not None:
            steps = pointers.named(self.spec, self.schema, self.twin, steps)
        return steps

    def name(self, path: tuple[str | int, ...]) -> str:
        steps = self.steps(path)
        return _generic(path) if steps is None else "/" + "/".join(steps)

    def counts(self, steps: list[str]) -> bool:
        """The place holds a count of a list (`x-counts`)."""
        node = self.twin if self.twin is not None else self.schema
        for step in steps:
            node = _resolved(self.spec, node)
            if not isinstance(node, Mapping):
                return False
            node = (
                node.get("items") if step == pointers.STAR else node.get("properties", {}).get(step)
            )
        node = _resolved(self.spec, node)
        return isinstance(node, Mapping) and "x-counts" in node

    def is_data(self, found: Difference) -> bool:
        """Entries of a list (and their values, and their count) are the account's data."""
        steps = self.steps(found.path)
        if steps is None or found.kind in ("added", "removed", "retyped"):
            return False
        if found.kind in ("entry added", "entry removed"):
            return steps[-1:] == [pointers.STAR]
        return pointers.STAR in steps or self.counts(steps)


def _resolved(spec: Any, node: Any) -> Any:
    try:
        return refs.resolve(spec, node)
    except refs.RefError:
        return None


def places_of(spec: Any, interaction: Interaction, kind: str) -> Places:
    """The naming of an answer's places (no schema: indices become `*`, nothing is data)."""
    response = interaction.response
    if spec is None or response is None:
        return Places()
    label, status = interaction.operation, response.status
    schema = media_schema(spec, label, status, response.media_type) or media_schema(
        spec, label, status, MEDIA.get(kind, "")
    )
    if schema is None:
        return Places()
    twin = media_schema(spec, label, status, MEDIA["json"]) if kind == XML else None
    return Places(spec, schema, twin)


def body_changes(
    old: Any, new: Any, places: Places | None = None
) -> Iterator[tuple[str, str, bool]]:
    """(group text, detail, the account's data?) for each difference between two bodies."""
    places = places or Places()
    for found in differences(old, new):
        where = places.name(found.path)
        data = places.is_data(found)
        if found.kind == "added":
            yield f"field added: {where} ({json_type(found.new)})", _show(found.new), data
        elif found.kind == "removed":
            yield f"field removed: {where} (was {json_type(found.old)})", _show(found.old), data
        elif found.kind == "retyped":
            text = f"type changed: {where}: {json_type(found.old)} -> {json_type(found.new)}"
            yield text, f"{_show(found.old)} -> {_show(found.new)}", data
        elif found.kind == "changed":
            yield f"value changed: {where}", f"{_show(found.old)} -> {_show(found.new)}", data
        else:
            shown = _show(found.new if "added" in found.kind else found.old)
            yield f"{found.kind}: {where}", shown, data


def _headers(response: RecordedResponse) -> dict[str, str]:
    found = {}
    for name, value in response.headers:
        if name in HEADERS_THAT_MATTER:
            found[name] = value
        elif name in HEADERS_THAT_COME_AND_GO or name.startswith("x-ratelimit"):
            found[name] = "(present)"
    return found


def answer_changes(
    old: RecordedResponse | None,
    new: RecordedResponse | None,
    places: Any = None,
) -> Iterator[tuple[str, str, bool]]:
    """(group text, detail, the account's data?) for every change between two answers to
    the same request; `places(kind)` names the places of the body (`Places`)."""
    if old is None or new is None:
        if old is not new:
            yield ("no answer before" if old is None else "no answer now"), "", False
        return
    if old.status != new.status:
        yield f"status: {old.status} -> {new.status}", "", False
    before, after = _headers(old), _headers(new)
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            yield f"header {name} changed", f"{before.get(name)!r} -> {after.get(name)!r}", False
    old_body, new_body = decode_leniently(old.body), decode_leniently(new.body)
    if old_body is not None and new_body is not None and old_body[0] == new_body[0]:
        named = places(new_body[0]) if places is not None else None
        yield from body_changes(old_body[1], new_body[1], named)
    elif old.body != new.body:
        yield "body not comparable", f"{len(old.body)} bytes -> {len(new.body)} bytes", False


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


def compare(old: Cassette, new: Cassette, spec: Any = None) -> Comparison:
    """The two recordings, matched request by request, their changes grouped; with the spec,
    places are named as the spec names them and the account's data is told apart."""
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
            data: dict[str, bool] = {}
            interaction = news[index]

            def places(kind: str, interaction: Interaction = interaction) -> Places:
                return places_of(spec, interaction, kind)

            pairs = answer_changes(olds[index].response, interaction.response, places)
            for text, detail, is_data in pairs:
                seen_here[text] = seen_here.get(text, 0) + 1
                details.setdefault(text, detail)
                data[text] = is_data
            if any(not is_data for is_data in data.values()):
                result.changed += 1
            elif data:
                result.data_only += 1
            for text, places_seen in seen_here.items():
                change = result.changes.setdefault(text, Change(text, data=data[text]))
                change.requests += 1
                change.places += places_seen
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


def _api_changed(result: Comparison) -> bool:
    return any(not c.data for c in result.changes.values()) or bool(
        result.only_old or result.only_new
    )


def markdown(result: Comparison, old: Cassette, new: Cassette) -> str:
    lines = [
        "# What the API answered differently",
        "",
        f"- old: {code(old.source)} ({old.recorded_at}, {old.mode})",
        f"- new: {code(new.source)} ({new.recorded_at}, {new.mode})",
        f"- requests in both recordings: {result.both}; with a change: {result.changed}; "
        f"with only the account's data changed: {result.data_only}; "
        f"only in the old: {len(result.only_old)}; only in the new: {len(result.only_new)}",
        "",
    ]
    lines += [f"> **Warning:** {warning}" for warning in result.warnings]
    if result.warnings:
        lines.append("")
    ordered = sorted(result.changes.values(), key=lambda c: (c.data, -c.requests, c.text))
    api = [change for change in ordered if not change.data]
    data = [change for change in ordered if change.data]
    budget = MAX_MARKDOWN_BYTES - 2048
    shown = 0
    for change in api:
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
    if data and budget > 0:
        section = ["## The account's data (not a change of the API)", ""]
        section += [
            f"- {code(change.text)}: {change.requests} request(s), {change.places} place(s)"
            for change in data
        ]
        section.append("")
        if len("\n".join(section).encode("utf-8")) <= budget:
            lines += section
            shown += len(data)
    if shown < len(ordered):
        lines += [f"... {len(ordered) - shown} more change(s): see compare.json", ""]
    for side, items in (("old", result.only_old), ("new", result.only_new)):
        if items:
            lines.append(
                f"Only in the {side} recording: {len(items)} request(s), e.g. {code(items[0])}"
            )
    if not _api_changed(result):
        lines.append(
            "The API answers as before (only the account's data changed)."
            if result.changes
            else "Nothing changed."
        )
    return "\n".join(lines)


def compare_files(
    old_path: Path, new_path: Path, directory: Path, spec_path: Path = SPEC_PATH
) -> int:
    """Write compare.md and compare.json; the exit status (see the module docstring).

    The reports of an earlier comparison go first: a comparison refused (exit 2 or 5)
    leaves none behind for a job to paste as tonight's."""
    spec = spec_data(spec_path)
    outputs = Outputs(directory, Privacy.for_replay(spec))
    outputs.clear(("compare.md", "compare.json"))
    old, new = load_cassette(old_path), load_cassette(new_path)
    usable(old, "old")
    usable(new, "new")
    result = compare(old, new, spec)
    data = {
        "old": {"path": str(old_path), "recorded_at": old.recorded_at, "mode": old.mode},
        "new": {"path": str(new_path), "recorded_at": new.recorded_at, "mode": new.mode},
        "requests": {
            "both": result.both,
            "changed": result.changed,
            "data_only": result.data_only,
            "only_old": result.only_old,
            "only_new": result.only_new,
        },
        "warnings": result.warnings,
        "changes": [
            {
                "change": c.text,
                "kind": "data" if c.data else "api",
                "requests": c.requests,
                "places": c.places,
                "examples": [{"request": r, "detail": d} for r, d in c.examples],
            }
            for c in result.changes.values()
        ],
    }
    text = markdown(result, old, new)
    outputs.write("compare.md", text + "\n")
    outputs.write("compare.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    print(text)
    print(f"reports: {directory}/compare.md, {directory}/compare.json")
    return EXIT_CHANGED if _api_changed(result) else EXIT_SAME
