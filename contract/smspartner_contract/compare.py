"""What changed between two recordings, request by request: `smspartner-contract compare`.

A schema says what an answer may be, not what it was: a message text, a status text or a
header can change while every check still passes. Requests are matched by method, path and
query (placeholders included: a deterministic run sends the same requests in the same order,
so the same real values get the same placeholders); repeated requests pair up in order. For
each pair: the status, the media type, the headers that matter, and the body, decoded (JSON or
the positional XML) and compared with DeepDiff: fields added or removed, values changed (the
message and status texts included), types changed. The report is `compare.md` and
`compare.json`; exit 0 when nothing changed, 1 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff
from smspartner_emulator.recording import Interaction, RecordedResponse, load_cassette

from smspartner_contract.checks import lenient_decode
from smspartner_contract.report import write_pair
from smspartner_contract.run import redactor_for

HEADERS_THAT_MATTER = ("content-type", "allow", "retry-after", "location", "www-authenticate")
"""Besides these, any `x-ratelimit-*` header is compared; dates, servers and lengths are not."""
_SHOWN = 120


@dataclass
class RequestDiff:
    """What changed in the answer to one request."""

    request: str
    changes: list[str] = field(default_factory=list)


_MASK = redactor_for().mask


def _show(value: Any) -> str:
    """A value as the report shows it: masked first, then cut."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    text = _MASK(text)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _pointer(path: list[Any]) -> str:
    return "/" + "/".join(str(part) for part in path)


def body_changes(old: Any, new: Any) -> Iterator[str]:
    """Readable lines for what DeepDiff finds between two decoded bodies."""
    diff = DeepDiff(old, new, verbose_level=2, view="tree")
    for item in diff.get("dictionary_item_added", []):
        yield f"field added: {_pointer(item.path(output_format='list'))} = {_show(item.t2)}"
    for item in diff.get("dictionary_item_removed", []):
        yield f"field removed: {_pointer(item.path(output_format='list'))} (was {_show(item.t1)})"
    for item in diff.get("values_changed", []):
        where = _pointer(item.path(output_format="list"))
        yield f"value changed: {where}: {_show(item.t1)} -> {_show(item.t2)}"
    for item in diff.get("type_changes", []):
        where = _pointer(item.path(output_format="list"))
        old_type, new_type = type(item.t1).__name__, type(item.t2).__name__
        yield f"type changed: {where}: {old_type} {_show(item.t1)} -> {new_type} {_show(item.t2)}"
    for key in ("iterable_item_added", "iterable_item_removed"):
        verb = "added" if key.endswith("added") else "removed"
        for item in diff.get(key, []):
            value = item.t2 if verb == "added" else item.t1
            yield f"entry {verb}: {_pointer(item.path(output_format='list'))} {_show(value)}"


def _headers(response: RecordedResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers
        if name in HEADERS_THAT_MATTER or name.startswith("x-ratelimit")
    }


def answer_changes(old: RecordedResponse | None, new: RecordedResponse | None) -> list[str]:
    """Every change between two answers to the same request."""
    if old is None or new is None:
        if old is None and new is None:
            return []
        return ["no answer before" if old is None else "no answer now"]
    changes = []
    if old.status != new.status:
        changes.append(f"status: {old.status} -> {new.status}")
    before, after = _headers(old), _headers(new)
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            changes.append(f"header {name}: {before.get(name)!r} -> {after.get(name)!r}")
    old_body, new_body = lenient_decode(old.body), lenient_decode(new.body)
    if old_body is not None and new_body is not None and old_body[0] == new_body[0]:
        changes += list(body_changes(old_body[1], new_body[1]))
    elif old.body != new.body:
        changes.append(f"body: {len(old.body)} bytes -> {len(new.body)} bytes, not comparable")
    return changes


def _label(interaction: Interaction) -> str:
    query = "&".join(f"{k}={v}" for k, v in interaction.request.query)
    return f"{interaction.request.method} {interaction.request.path}" + (
        f"?{query}" if query else ""
    )


def _grouped(items: Iterable[Interaction]) -> dict[Any, list[Interaction]]:
    grouped: dict[Any, list[Interaction]] = {}
    for item in items:
        grouped.setdefault(item.request.key, []).append(item)
    return grouped


def compare(
    old: Iterable[Interaction], new: Iterable[Interaction]
) -> tuple[list[RequestDiff], int]:
    """(the requests whose answers changed or that only one side has, requests compared)."""
    before, after = _grouped(old), _grouped(new)
    diffs: list[RequestDiff] = []
    compared = 0
    for key in list(before) + [k for k in after if k not in before]:
        olds, news = before.get(key, []), after.get(key, [])
        for index in range(max(len(olds), len(news))):
            if index >= len(news):
                diffs.append(RequestDiff(_label(olds[index]), ["only in the old recording"]))
            elif index >= len(olds):
                diffs.append(RequestDiff(_label(news[index]), ["only in the new recording"]))
            else:
                compared += 1
                changes = answer_changes(olds[index].response, news[index].response)
                if changes:
                    diffs.append(RequestDiff(_label(news[index]), changes))
    return diffs, compared


def compare_files(old_path: Path, new_path: Path, directory: Path) -> int:
    """Write compare.md and compare.json; 0 when nothing changed, 1 otherwise."""
    diffs, compared = compare(load_cassette(old_path), load_cassette(new_path))
    lines = [
        "# What the API answered differently",
        "",
        f"- old: `{old_path}`",
        f"- new: `{new_path}`",
        f"- {compared} request(s) in both recordings; {len(diffs)} with a difference",
        "",
    ]
    for diff in diffs:
        lines += [f"## `{diff.request}`", "", *(f"- {change}" for change in diff.changes), ""]
    if not diffs:
        lines.append("Nothing changed.")
    data = {
        "old": str(old_path),
        "new": str(new_path),
        "compared": compared,
        "changed": [{"request": d.request, "changes": d.changes} for d in diffs],
    }
    write_pair(directory, "compare", "\n".join(lines), data)
    return 1 if diffs else 0
