"""Query strings as PHP reads them: last value wins, unknown names ignored, any bytes survive."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from smspartner_client.redact import Redactor
from smspartner_emulator import create_app
from smspartner_emulator.query import LOG_SCAN_LIMIT, masked_query, read_params
from starlette.applications import Starlette

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
Call = Callable[..., Awaitable[Any]]
STOP = "/v1/stop-sms/list"
STATUS = "/v1/location/status"


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(access_log=False)


def code_of(answer: Any) -> int:
    """`code` of a JSON answer (200 for a rental, which has none)."""
    data = json.loads(answer.body)
    code: int = data.get("code", 200)
    return code


@pytest.mark.parametrize(
    ("path", "query", "status", "code"),
    [
        (STOP, f"apiKey=wrong&apiKey={DEMO_KEY}", 200, 200),
        (STOP, f"apiKey={DEMO_KEY}&apiKey=wrong", 400, 10),
        (STOP, f"apiKey={DEMO_KEY}&apiKey=", 400, 1),
        (STOP, f"apiKey=&apiKey={DEMO_KEY}", 200, 200),
        (STOP, f"apiKey={DEMO_KEY}&_format=yaml&_format=json", 200, 200),
        (STOP, f"apiKey={DEMO_KEY}&_format=json&_format=yaml", 400, 400),
        (STATUS, f"apiKey={DEMO_KEY}&token=nope&token={DOCS_TOKEN}", 200, 200),
        (STATUS, f"apiKey={DEMO_KEY}&token={DOCS_TOKEN}&token=", 400, 31),
        (STATUS, f"token={DOCS_TOKEN}&apiKey={DEMO_KEY}&token=nope", 400, 32),
    ],
)
async def test_last_value_wins(
    app: Starlette, asgi_call: Call, path: str, query: str, status: int, code: int
) -> None:
    answer = await asgi_call(app, "GET", path, query.encode())
    assert answer.status == status
    assert code_of(answer) == code


@pytest.mark.parametrize(
    "query",
    [
        f"apiKey={DEMO_KEY}&foo=bar&&=&x&token=1&apikey=wrong&APIKEY=&api_key=z",
        f"utm=%ZZ&apiKey={DEMO_KEY}&%FF%FE=%00&apiKey[]=wrong&_format[]=yaml",
        f"apiKey={DEMO_KEY}&phoneNumber=%2B33600000019&_format%20=yaml&=x",
        f"a=1;apiKey=wrong&apiKey={DEMO_KEY}",
    ],
)
async def test_unknown_parameters_are_ignored(app: Starlette, asgi_call: Call, query: str) -> None:
    answer = await asgi_call(app, "GET", STOP, query.encode())
    assert answer.status == 200
    assert code_of(answer) == 200


@pytest.mark.parametrize(
    "query",
    [
        "api%4Bey=demo-api-key",  # percent-encoded name
        "apiKey=demo%2Dapi%2Dkey",  # percent-encoded value
        "apiKey=%64%65%6d%6f-api-key",  # lower-case hex
        "%61%70%69%4B%65%79=demo-api-key&_format=%6A%73%6F%6E",
    ],
)
async def test_names_and_values_are_percent_decoded(
    app: Starlette, asgi_call: Call, query: str
) -> None:
    answer = await asgi_call(app, "GET", STOP, query.encode())
    assert answer.status == 200


async def test_plus_is_a_space(app: Starlette) -> None:
    assert read_params(b"token=a+b&apiKey=x%2By") == {"token": "a b", "apiKey": "x+y"}
    assert read_params(b"api+Key=x") == {}


@pytest.mark.parametrize(
    "value",
    [
        b"A" * 1_000_000,
        b"%FF" * 300_000,
        bytes(range(256)).replace(b"&", b"").replace(b"=", b""),
        b"%00%01%02\x00\x01\xff\xfe",
        b"%C3%28%A0%A1%ED%A0%80%F0%28%8C%BC",  # invalid UTF-8 sequences, encoded
        b"\xc3\x28\xed\xa0\x80",  # invalid UTF-8, raw
        b"%",
        b"%%%%25%2",
        b"\xef\xbf\xbd",  # U+FFFD itself
    ],
)
@pytest.mark.parametrize("name", [b"apiKey", b"token", b"_format"])
async def test_huge_and_binary_values_never_break_anything(
    app: Starlette, asgi_call: Call, name: bytes, value: bytes
) -> None:
    prefix = b"" if name == b"apiKey" else b"apiKey=demo-api-key&"
    answer = await asgi_call(app, "GET", STATUS, prefix + name + b"=" + value)
    assert answer.status == 400
    data = json.loads(answer.body)
    expected = {b"apiKey": 10, b"token": 32, b"_format": 400}[name]
    assert data["code"] == expected
    assert b"AAAA" not in answer.body  # nothing echoed
    assert b"\xff" not in answer.body


async def test_long_query_over_httpx(client: Any) -> None:
    # httpx refuses URLs over 64 KiB; the 1 MB cases above go straight to the ASGI app.
    params = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN, "pad": "x" * 60_000}
    response = await client.get("/location/status", params=params)
    assert response.status_code == 200


def test_read_params_keeps_only_what_endpoints_read() -> None:
    assert read_params(b"") == {}
    assert read_params(b"a=1&token&apiKey=k=v&_format=xml") == {
        "token": "",
        "apiKey": "k=v",
        "_format": "xml",
    }


REDACTOR = Redactor(secrets=["secret", "secret2"], tokens=[DOCS_TOKEN])


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        (b"apiKey=secret", "apiKey=***"),
        (b"apiKey=secret&apiKey=secret2&x=1", "apiKey=***&apiKey=***&x=1"),
        (b"api%4Bey=secret&apiKey", "apiKey=***&apiKey=***"),
        (b"%61piKey=s%65cret&token=t", "apiKey=***&token=t"),
        (b"apikey=anything", "apikey=***"),  # any spelling of the name, whatever the value
        (b"x=secret", "x=***"),  # a known key, whatever the name
        (f"token={DOCS_TOKEN}".encode(), "token=b22b••••"),  # a rental token: 4 characters
        (f"t={DOCS_TOKEN[:20]}".encode(), "t=b22b••••"),  # also cut short
        (b"x=%0A\n\x00\xe9", "x=%0A\\n\\x00\\xe9"),
    ],
)
def test_masked_query(query: bytes, logged: str) -> None:
    assert masked_query(query, REDACTOR) == logged


def test_masked_query_is_bounded() -> None:
    text = masked_query(b"apiKey=secret&a=1&" + b"x" * 100_000, REDACTOR)
    assert text == "apiKey=***&a=1...(100018 bytes)"
    text = masked_query(b"&".join([b"abcdefghi"] * 20_000), REDACTOR)
    assert text.startswith("abcdefghi&abcdefghi&")
    assert len(text) < 600
    assert text.endswith("...(199999 bytes)")


def test_a_secret_cut_by_the_bound_is_dropped_not_shown_cut() -> None:
    """Past LOG_SCAN_LIMIT a query is only counted: the part the cut falls in is left out."""
    for pad in range(LOG_SCAN_LIMIT - 60, LOG_SCAN_LIMIT):
        query = b"a=" + b"x" * pad + b"&t=" + DOCS_TOKEN.encode()
        text = masked_query(query, REDACTOR)
        assert DOCS_TOKEN[:4] not in text.replace("b22b••••", ""), pad
