"""A hostile API plays, in one run, every form of personal data and secret the masking table
lists (issue 22, items 1 to 3); no output of the run keeps any of them readable.

The target answers like the API but: the STOP entries carry their numbers under other names
(`msisdn`, `numero`), without `+`, as JSON integers, with dots, hyphens or `(0)`; an XML
answer has a trailing entry holding a bare number; the rental echoes its token upper-case, or
another rental's token; the key comes back upper-case, fully `\\u`-escaped, as HTML numeric
references, in hex, in base64 inside a cookie, split into 7-character XML entries. Every output
(stdout, stderr, summary.md, junit.xml, report.json, the recording) is read as a person could
decode it (contract_tests/test_masking_forms.py `views`: percent, HTML, JSON escapes, markup
stripped, base64 and hex runs decoded), case-insensitively.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from smspartner_emulator.encoding import to_xml
from smspartner_emulator.server import serving
from starlette.types import Receive, Scope, Send

from contract_tests.runs import outputs, run_cli
from contract_tests.test_masking_forms import views

KEY = "Kx9-Hostile-Quartz-Key-2026"
TOKEN = "7e1d3c5b9a0f2e4d6c8b1a3f5e7d9c0b2a4f6e8d"  # noqa: S105 (made up)
OTHER = "3a5c7e9b1d0f2a4c6e8b0d1f3a5c7e9b1d2f4a6c"
"""Another rental's token, which the API answers instead of ours."""
PHONES = {
    "plain": "+33611122201",
    "no plus": "33611122202",
    "integer": "33611122203",
    "dots": "06.11.12.22.04",
    "hyphens": "06-11-12-22-05",
    "trunk": "+33 (0)6 11 12 22 06",
    "xml trailing": "33611122207",
}


def _digits(number: str) -> str:
    return "".join(char for char in number if char.isdigit())


def _stop_list(fmt: str) -> bytes:
    entries: list[dict[str, Any]] = [
        {"id": 1, "phoneNumber": PHONES["plain"], "createdAt": "2024-01-02 03:04:05"},
        {"id": 2, "msisdn": PHONES["no plus"], "createdAt": "2024-01-02 03:04:05"},
        {"id": 3, "numero": int(PHONES["integer"]), "createdAt": "2024-01-02 03:04:05"},
        {"id": 4, "phoneNumber": PHONES["dots"], "createdAt": "2024-01-02 03:04:05"},
        {"id": 5, "phoneNumber": PHONES["hyphens"], "createdAt": "2024-01-02 03:04:05"},
        {"id": 6, "phoneNumber": PHONES["trunk"], "createdAt": "2024-01-02 03:04:05"},
    ]
    body: dict[str, Any] = {"success": True, "code": 200, "nbData": len(entries), "data": entries}
    if fmt == "xml":
        body["trailing"] = PHONES["xml trailing"]
        body["pieces"] = [KEY[i : i + 7] for i in range(0, len(KEY), 7)]
        return to_xml(body)
    body["echo"] = KEY.upper()
    body["html"] = "".join(f"&#{ord(char)};" for char in KEY)
    body["hex"] = KEY.encode().hex()
    text = json.dumps(body)
    escaped = "".join(f"\\u{ord(char):04x}" for char in KEY)
    return text.replace('"echo"', f'"escaped": "{escaped}", "echo"').encode()


def _rental(fmt: str) -> bytes:
    body: dict[str, Any] = {
        "success": True,
        "token": TOKEN.upper() if fmt == "json" else OTHER,
        "status": f"File of rental {OTHER}",
        "location": {
            "sexe": "femme",
            "minAge": 31,
            "maxAge": 49,
            "zipcode": "60200",
            "interest": "12",
            "category": 103,
            "details_localisation": [
                {"Type": "cp", "Location": "60200", "VolumeDesired": "10", "Volume": "266"}
            ],
            "cost": {"quantity": 10, "total": "0.900", "cost_unity": "0.090"},
        },
        "file": {"phoneNumbers": "10"},
    }
    return to_xml(body) if fmt == "xml" else json.dumps(body).encode()


async def hostile(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode("latin-1"))
    fmt = query.get("_format", ["json"])[0]
    fmt = fmt if fmt in ("json", "xml") else "json"
    media = b"application/xml" if fmt == "xml" else b"application/json"
    cookie = b"session=" + base64.b64encode(f"user:{KEY}".encode())
    headers = [(b"content-type", media), (b"set-cookie", cookie)]
    key = query.get("apiKey", [""])[0]
    if key != KEY:
        status = 400
        message = f"Clé API incorrecte: {html.escape(key)}"
        body = (to_xml if fmt == "xml" else lambda d: json.dumps(d).encode())(
            {"success": False, "code": 1 if not key else 10, "message": message}
        )
    elif scope["path"].endswith("/stop-sms/list"):
        status, body = 200, _stop_list(fmt)
    elif "token" not in query:
        status = 400
        body = json.dumps({"success": False, "code": 31, "message": "token requis"}).encode()
    elif query["token"][0] != TOKEN:
        status = 400
        body = json.dumps({"success": False, "code": 32, "message": "introuvable"}).encode()
    else:
        status, body = 200, _rental(fmt)
        headers.append((b"x-debug", base64.b64encode(TOKEN.encode())))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    with serving(hostile) as url:
        yield url


def readable(text: str) -> list[str]:
    """The distinctive values a reader can still get from `text`."""
    seen = views(text)
    digits = ["".join(char for char in view if char.isdigit()) for view in seen]
    found = []
    for name, secret in (("key", KEY), ("token", TOKEN), ("other token", OTHER)):
        runs = {secret.lower()[i : i + 8] for i in range(len(secret) - 7)}
        if any(run in view for view in seen for run in runs):
            found.append(name)
    for form, number in PHONES.items():
        middle = _digits(number)[-9:-2]  # what a mask never shows of it
        if any(middle in view for view in digits):
            found.append(f"phone ({form})")
    return found


@pytest.mark.parametrize("mode", ["live", "full"])
def test_no_output_keeps_any_form_readable(tmp_path: Path, hostile_url: str, mode: str) -> None:
    env = {
        "SMSPARTNER_BASE_URL": hostile_url,
        "SMSPARTNER_API_KEY": KEY,
        "SMSPARTNER_RENTAL_TOKEN": TOKEN,
        "SMSPARTNER_CONTRACT_MODE": mode,
        "SMSPARTNER_CONTRACT_EXAMPLES": "3",
    }
    result = run_cli(tmp_path, env=env)
    assert result.returncode in (1, 3, 4), result.stdout[-2000:] + result.stderr
    cassette = tmp_path / "build" / "contract" / "cassette.yaml"
    assert cassette.is_file(), result.stdout[-2000:]  # written: every form was masked
    assert readable(outputs(result, tmp_path)) == []


def test_the_check_reads_what_it_is_meant_to() -> None:
    """The search above finds every form when nothing is masked."""
    raw = "\n".join(
        part.decode("utf-8", "replace")
        for part in (_stop_list("json"), _stop_list("xml"), _rental("json"), _rental("xml"))
    )
    raw += base64.b64encode(TOKEN.encode()).decode()
    assert set(readable(raw)) == {
        "key",
        "token",
        "other token",
        *(f"phone ({form})" for form in PHONES),
    }
