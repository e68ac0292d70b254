"""Where the emulator answers otherwise than a recording: `smspartner-contract parity`.

Each recorded GET request is sent to the plain emulator (started in-process, its built-in
fixtures), with the recording's key placeholder replaced by the emulator's key and a
credential that got a success in the recording replaced by the emulator's documented rental.
The answers are compared in shape, not in value: status, media type, the fields present and
their JSON types (XML: the positions and their types). The report is grouped by difference
(one section each, the requests counted, two examples): what to change in the emulator so
that it behaves like the API did (`parity.md`, `parity.json`); exit 0 when the shapes agree.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from smspartner_emulator.recording import (
    API_KEY_PLACEHOLDER,
    Interaction,
    RecordedResponse,
    load_cassette,
)

from smspartner_contract.diff import differences, json_type
from smspartner_contract.exchange import decode_leniently
from smspartner_contract.facts import facts_of
from smspartner_contract.privacy import Outputs, Privacy
from smspartner_contract.report import code
from smspartner_contract.spec import SPEC_PATH, spec_data

EMULATOR_BASE = "http://emulator.invalid/v1"
PARITY_DEADLINE = 10.0
"""Seconds the in-process emulator gets for one answer."""
EXAMPLES = 2


@dataclass
class Difference:
    """One way the emulator answers otherwise, seen on `requests` requests."""

    text: str
    requests: int = 0
    examples: list[str] = field(default_factory=list)


def shape(value: Any) -> Any:
    """The JSON types of a value, kept in its structure (lists by their first entry)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return json_type(value)


def _shape_of(response: RecordedResponse) -> Any:
    decoded = decode_leniently(response.body)
    return None if decoded is None else shape(decoded[1])


def _where(path: tuple[str | int, ...]) -> str:
    return "/" + "/".join("*" if isinstance(part, int) else str(part) for part in path)


def mismatches(recorded: RecordedResponse, emulated: RecordedResponse) -> list[str]:
    """How the emulator's answer differs in shape from the recorded one."""
    found = []
    if recorded.status != emulated.status:
        found.append(f"status: the API gave {recorded.status}, the emulator {emulated.status}")
    if recorded.media_type != emulated.media_type:
        found.append(
            f"media type: the API gave {recorded.header('content-type')!r}, "
            f"the emulator {emulated.header('content-type')!r}"
        )
    for item in differences(_shape_of(recorded), _shape_of(emulated)):
        where = _where(item.path)
        if item.kind == "removed":
            found.append(f"field the emulator lacks: {where}")
        elif item.kind == "added":
            found.append(f"field only the emulator sends: {where}")
        elif item.kind in ("changed", "retyped"):
            found.append(f"type at {where}: the API sent {item.old}, the emulator {item.new}")
        else:
            who = "the emulator" if item.kind == "entry added" else "the API"
            found.append(f"list at {where}: only {who} has entries")
    return found


def _succeeded(interaction: Interaction, success: str) -> bool:
    response = interaction.response
    if response is None or response.status != 200:
        return False
    decoded = decode_leniently(response.body)
    return (
        decoded is not None
        and decoded[0] == "json"
        and isinstance(decoded[1], dict)
        and decoded[1].get(success) is True
    )


def substitutions(
    interactions: list[Interaction],
    key: str,
    token: str,
    secret_parameters: frozenset[str],
    success: str,
) -> Mapping[str, str]:
    """Recorded values to replace: the key placeholder, the credentials that answered 200."""
    replace = {API_KEY_PLACEHOLDER: key}
    for interaction in interactions:
        for name in secret_parameters:
            recorded = interaction.request.query_value(name)
            if recorded and _succeeded(interaction, success):
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


def parity(
    interactions: list[Interaction], spec: Mapping[str, Any] | None = None
) -> dict[str, Difference]:
    """The differences in shape between the recorded answers and the emulator's, grouped."""
    from smspartner_emulator import create_app, default_fixtures

    app = create_app(access_log=False)
    fixtures = default_fixtures()
    asked = [i for i in interactions if i.response is not None and i.request.method == "GET"]
    facts = facts_of(spec if spec is not None else spec_data())
    replace = substitutions(
        asked,
        fixtures.api_keys[0],
        fixtures.rentals[-1].token,
        facts.secret_parameters,
        facts.envelope.success,
    )
    answers = asyncio.run(_ask(app, asked, replace))
    grouped: dict[str, Difference] = {}
    for interaction, answer in zip(asked, answers, strict=True):
        assert interaction.response is not None
        label = f"{interaction.operation} ({interaction.probe or interaction.id})"
        for text in dict.fromkeys(mismatches(interaction.response, answer)):
            found = grouped.setdefault(text, Difference(text))
            found.requests += 1
            if len(found.examples) < EXAMPLES:
                found.examples.append(label)
    return grouped


def parity_of(cassette: Path, directory: Path, spec_path: Path = SPEC_PATH) -> int:
    """Write parity.md and parity.json; 0 when every shape agrees, 1 otherwise."""
    recording = load_cassette(cassette)
    spec = spec_data(spec_path)
    grouped = parity(recording.interactions, spec)
    lines = [
        "# The emulator against a recording",
        "",
        f"- recording: {code(str(cassette))} ({code(recording.target)}, {recording.recorded_at})",
        f"- {len(grouped)} difference(s) in shape",
        "",
    ]
    for found in sorted(grouped.values(), key=lambda d: (-d.requests, d.text)):
        lines += [
            f"## {code(found.text)}",
            "",
            f"- {found.requests} request(s), e.g. " + ", ".join(code(e) for e in found.examples),
            "",
        ]
    if not grouped:
        lines.append("The emulator answers every recorded request in the recorded shape.")
    data = [
        {"difference": d.text, "requests": d.requests, "examples": d.examples}
        for d in grouped.values()
    ]
    text = "\n".join(lines)
    outputs = Outputs(directory, Privacy.for_replay(spec))
    outputs.clear(("parity.md", "parity.json"))
    outputs.write("parity.md", text + "\n")
    outputs.write("parity.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    print(text)
    print(f"reports: {directory}/parity.md, {directory}/parity.json")
    return 1 if grouped else 0
