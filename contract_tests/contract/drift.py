"""The drift catalogue: the emulator made to drift from the docs in one named way at a time.

`DriftingApp(app, kind)` wraps any ASGI app and rewrites its requests or answers. Each kind
says which check must catch it, so a test can assert that the contract run fails *for that
reason* (and that additive drift is reported as additive, breaking drift as breaking).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from smspartner_emulator.encoding import to_xml
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract_tests.positional_xml import decode

Answer = tuple[int, dict[str, str], bytes]


def _json(transform: Callable[[dict[str, Any]], None]) -> Callable[[Answer], Answer]:
    """Rewrite JSON success bodies with `transform` (in place)."""

    def rewrite(answer: Answer) -> Answer:
        status, headers, body = answer
        if status != 200 or not headers.get("content-type", "").startswith("application/json"):
            return answer
        data = json.loads(body)
        transform(data)
        return status, headers, json.dumps(data).encode()

    return rewrite


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = data.get("data")
    return found if isinstance(found, list) else []


def _rename(data: dict[str, Any]) -> None:
    for entry in _entries(data):
        entry["phone"] = entry.pop("phoneNumber")


def _remove(data: dict[str, Any]) -> None:
    data.pop("nbData", None)
    data.pop("token", None)


def _retype(data: dict[str, Any]) -> None:
    for entry in _entries(data):
        entry["id"] = str(entry["id"])
    if "location" in data:
        data["location"]["minAge"] = str(data["location"]["minAge"])


def _iso_dates(data: dict[str, Any]) -> None:
    for entry in _entries(data):
        entry["createdAt"] = entry["createdAt"].replace(" ", "T") + "+02:00"


def _national_numbers(data: dict[str, Any]) -> None:
    for entry in _entries(data):
        entry["phoneNumber"] = "0" + entry["phoneNumber"][-9:]


def _success_flag(data: dict[str, Any]) -> None:
    data["success"] = 1


def _additive(data: dict[str, Any]) -> None:
    data["requestId"] = "a1b2c3"
    for entry in _entries(data):
        entry["source"] = "sms"


def _error_status(answer: Answer) -> Answer:
    status, headers, body = answer
    return (401 if status == 400 else status), headers, body


def _success_status(answer: Answer) -> Answer:
    status, headers, body = answer
    return (201 if status == 200 else status), headers, body


def _content_type(answer: Answer) -> Answer:
    status, headers, body = answer
    if headers.get("content-type", "").startswith("application/json"):
        headers = {**headers, "content-type": "text/html; charset=utf-8"}
    return status, headers, body


def _wrong_key_code(answer: Answer) -> Answer:
    status, headers, body = answer
    return status, headers, body.replace(b'"code":10,', b'"code":11,')


def _xml(transform: Callable[[list[Any]], list[Any]]) -> Callable[[Answer], Answer]:
    """Rewrite XML success bodies: decode the positional tree, transform it, encode it again."""

    def rewrite(answer: Answer) -> Answer:
        status, headers, body = answer
        if status != 200 or not headers.get("content-type", "").startswith("application/xml"):
            return answer
        tree = decode(body)
        assert isinstance(tree, list)
        fields = transform(list(tree))
        return status, headers, to_xml({str(index): value for index, value in enumerate(fields)})

    return rewrite


def _swap_first_two(tree: list[Any]) -> list[Any]:
    return [tree[1], tree[0], *tree[2:]]


def _extra_trailing_entry(tree: list[Any]) -> list[Any]:
    return [*tree, "sms"]


def _miscount(data: dict[str, Any]) -> None:
    if "nbData" in data:
        data["nbData"] = data["nbData"] + 2


def _success_flipped(data: dict[str, Any]) -> None:
    data["success"] = False


def _errors_as_200(answer: Answer) -> Answer:
    status, headers, body = answer
    return (200 if status == 400 else status), headers, body


def _xml_malformed(answer: Answer) -> Answer:
    status, headers, body = answer
    if headers.get("content-type") != "application/xml":
        return answer
    return status, headers, body[: len(body) // 2]


@dataclass(frozen=True)
class Drift:
    """One named way of drifting, and the check that must catch it."""

    name: str
    description: str
    expected_check: str
    additive: bool = False
    answer: Callable[[Answer], Answer] | None = None
    request: Callable[[dict[str, str]], dict[str, str]] | None = None


def _accept_any_key(query: dict[str, str]) -> dict[str, str]:
    return {**query, "apiKey": "demo-api-key"}


CATALOGUE: dict[str, Drift] = {
    drift.name: drift
    for drift in (
        Drift(
            "field_renamed",
            "stop entries say `phone`, not `phoneNumber`",
            "response_schema_conformance",
            answer=_json(_rename),
        ),
        Drift(
            "field_removed",
            "`nbData` and `token` disappear",
            "response_schema_conformance",
            answer=_json(_remove),
        ),
        Drift(
            "field_retyped",
            "`id` and `minAge` become strings",
            "response_schema_conformance",
            answer=_json(_retype),
        ),
        Drift(
            "date_format_changed",
            "`createdAt` becomes ISO 8601 with an offset",
            "response_schema_conformance",
            answer=_json(_iso_dates),
        ),
        Drift(
            "phone_format_changed",
            "numbers become national (`06...`)",
            "response_schema_conformance",
            answer=_json(_national_numbers),
        ),
        Drift(
            "success_flag_retyped",
            "`success` becomes 1",
            "response_schema_conformance",
            answer=_json(_success_flag),
        ),
        Drift(
            "error_status_changed",
            "errors come back as HTTP 401, not 400",
            "status_code_conformance",
            answer=_error_status,
        ),
        Drift(
            "success_status_changed",
            "answers come back as HTTP 201, not 200",
            "status_code_conformance",
            answer=_success_status,
        ),
        Drift(
            "content_type_changed",
            "JSON is labelled text/html",
            "content_type_conformance",
            answer=_content_type,
        ),
        Drift(
            "error_code_changed",
            "a wrong key gives code 11, not 10",
            "auth_enforced",
            answer=_wrong_key_code,
        ),
        Drift(
            "auth_not_enforced",
            "any key, or none, is accepted",
            "auth_enforced",
            request=_accept_any_key,
        ),
        Drift(
            "xml_entry_order_changed",
            "the first two XML entries swap places",
            "response_schema_conformance",
            answer=_xml(_swap_first_two),
        ),
        Drift(
            "xml_malformed",
            "XML answers are cut in half",
            "response_schema_conformance",
            answer=_xml_malformed,
        ),
        Drift(
            "nb_data_inconsistent",
            "`nbData` no longer counts the entries of `data`",
            "nb_data_consistency",
            answer=_json(_miscount),
        ),
        Drift(
            "success_flag_flipped",
            "successful answers say `success: false`",
            "response_schema_conformance",
            answer=_json(_success_flipped),
        ),
        Drift(
            "errors_as_200",
            "error envelopes come back with HTTP 200",
            "response_schema_conformance",
            answer=_errors_as_200,
        ),
        Drift(
            "xml_entry_added",
            "a trailing `<entry>` in every XML answer (additive)",
            "additive_drift",
            additive=True,
            answer=_xml(_extra_trailing_entry),
        ),
        Drift(
            "field_added",
            "a new field in every JSON answer (additive)",
            "additive_drift",
            additive=True,
            answer=_json(_additive),
        ),
    )
}


class DriftingApp:
    """ASGI wrapper applying one drift to the wrapped app's requests or answers."""

    def __init__(self, app: ASGIApp, drift: Drift) -> None:
        self.app = app
        self.drift = drift

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.drift.request is not None:
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            scope = {**scope, "query_string": urlencode(self.drift.request(query)).encode()}
        if self.drift.answer is None:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        status, headers, body = self.drift.answer((start["status"], headers, b"".join(chunks)))
        if scope["method"] == "HEAD":
            body = b""
        headers["content-length"] = str(len(body))
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
