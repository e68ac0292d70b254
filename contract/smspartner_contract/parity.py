"""Where the emulator answers otherwise than a recording: `smspartner-contract parity`.

Each recorded GET request is sent to the plain emulator (in-process, its built-in fixtures),
with the recording's key placeholder replaced by the emulator's key and a rental token that
got a success in the recording replaced by the emulator's documented rental. The answers are
compared in shape, not in value: status, media type, the fields present and their JSON types
(XML: the positions and their types). The list is what to change in the emulator so that it
behaves like the API did (`parity.md`, `parity.json`); exit 0 when the shapes agree, else 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from deepdiff import DeepDiff
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Interaction,
    RecordedResponse,
    load_cassette,
)

from smspartner_contract.checks import lenient_decode
from smspartner_contract.report import write_pair
from smspartner_contract.target import DEMO_KEY, DOCS_TOKEN

EMULATOR_BASE = "http://emulator.invalid/v1"
PARITY_DEADLINE = 10.0
"""Seconds the in-process emulator gets for one answer."""


@dataclass
class Mismatch:
    """What the emulator does differently for one recorded request."""

    request: str
    differences: list[str] = field(default_factory=list)


def shape(value: Any) -> Any:
    """The JSON types of a value, kept in its structure (values dropped)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _where(item: Any) -> str:
    return "/" + "/".join(map(str, item.path(output_format="list")))


def _shape_of(response: RecordedResponse) -> Any:
    decoded = lenient_decode(response.body)
    return None if decoded is None else shape(decoded[1])


def differences(recorded: RecordedResponse, emulated: RecordedResponse) -> list[str]:
    """How the emulator's answer differs in shape from the recorded one."""
    found = []
    if recorded.status != emulated.status:
        found.append(f"status: the API gave {recorded.status}, the emulator {emulated.status}")
    if recorded.media_type != emulated.media_type:
        found.append(
            f"media type: the API gave {recorded.header('content-type')!r}, "
            f"the emulator {emulated.header('content-type')!r}"
        )
    diff = DeepDiff(_shape_of(recorded), _shape_of(emulated), view="tree")
    for item in diff.get("dictionary_item_removed", []):
        found.append(
            f"field the emulator lacks: /{'/'.join(map(str, item.path(output_format='list')))}"
        )
    for item in diff.get("dictionary_item_added", []):
        found.append(
            f"field only the emulator sends: /{'/'.join(map(str, item.path(output_format='list')))}"
        )
    for key in ("values_changed", "type_changes"):
        for item in diff.get(key, []):
            where = _where(item)
            found.append(f"type at {where}: the API sent {item.t1}, the emulator {item.t2}")
    for key in ("iterable_item_added", "iterable_item_removed"):
        for item in diff.get(key, []):
            where = _where(item)
            who = "the emulator" if key.endswith("added") else "the API"
            found.append(f"list at {where}: only {who} has entries")
    return found


def _succeeded(interaction: Interaction) -> bool:
    response = interaction.response
    if response is None or response.status != 200:
        return False
    decoded = lenient_decode(response.body)
    return (
        decoded is not None
        and decoded[0] == "json"
        and isinstance(decoded[1], dict)
        and (decoded[1].get("success") is True)
    )


def substitutions(interactions: list[Interaction], key: str, token: str) -> Mapping[str, str]:
    """Recorded values to replace: the key placeholder, the rentals that answered 200."""
    replace = {API_KEY_PLACEHOLDER: key}
    for interaction in interactions:
        recorded = interaction.request.query_value("token")
        if recorded and _succeeded(interaction):
            replace[recorded] = token
    return replace


async def _ask(
    app: Any, interactions: list[Interaction], replace: Mapping[str, str]
) -> list[RecordedResponse]:
    transport = httpx.ASGITransport(app=app)
    answers = []
    async with httpx.AsyncClient(transport=transport, base_url=EMULATOR_BASE) as client:
        for interaction in interactions:
            query = [(k, replace.get(v, v)) for k, v in interaction.request.query]
            url = interaction.request.path + (f"?{urlencode(query)}" if query else "")
            async with asyncio.timeout(PARITY_DEADLINE):
                response = await client.request(interaction.request.method, url)
            answers.append(
                RecordedResponse(
                    status=response.status_code,
                    headers=tuple((k.lower(), v) for k, v in response.headers.multi_items()),
                    body=response.content,
                )
            )
    return answers


def parity(interactions: list[Interaction]) -> list[Mismatch]:
    """The recorded GET requests whose emulator answers differ in shape."""
    from smspartner_emulator import create_app

    app = create_app(access_log=False)
    asked = [i for i in interactions if i.response is not None and i.request.method == "GET"]
    replace = substitutions(asked, DEMO_KEY, DOCS_TOKEN)
    answers = asyncio.run(_ask(app, asked, replace))
    mismatches = []
    for interaction, answer in zip(asked, answers, strict=True):
        assert interaction.response is not None
        found = differences(interaction.response, answer)
        if found:
            label = f"{interaction.operation} ({interaction.probe or interaction.id})"
            mismatches.append(Mismatch(label, found))
    return mismatches


def parity_of(cassette: Path, directory: Path) -> int:
    """Write parity.md and parity.json; 0 when every shape agrees, 1 otherwise."""
    recording = load_cassette(cassette)
    mismatches = parity(recording.interactions)
    lines = [
        "# The emulator against a recording",
        "",
        f"- recording: `{cassette}` ({recording.target}, {recording.recorded_at})",
        f"- {len(mismatches)} request(s) answered differently in shape",
        "",
    ]
    for mismatch in mismatches:
        lines += [f"## {mismatch.request}", "", *(f"- {d}" for d in mismatch.differences), ""]
    if not mismatches:
        lines.append("The emulator answers every recorded request in the recorded shape.")
    data = [{"request": m.request, "differences": m.differences} for m in mismatches]
    write_pair(directory, "parity", "\n".join(lines), data)
    return 1 if mismatches else 0
