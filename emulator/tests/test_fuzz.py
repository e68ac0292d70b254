"""Arbitrary methods, paths and raw query bytes: never a 5xx, always a well-formed answer.

Requests go straight into the ASGI app (no client in between to clean them up). A 500 could
only come from the last-resort guard, so `status < 500` also proves no input reaches it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smspartner_emulator import create_app

DOCS_TOKEN = b"b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"
MESSAGES = {
    1: "La Clé API est requise",
    10: "Clé API incorrecte",
    31: "Le token de la location est requis",
    32: "Location introuvable",
    400: "Format non supporté (json ou xml)",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
}
APP = create_app(access_log=False)
Call = Callable[..., Coroutine[Any, Any, Any]]
XmlTree = Callable[[bytes | str], list[Any]]

methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) | st.text(
    st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=10
)
known_paths = st.sampled_from(
    ["/v1/stop-sms/list", "/v1/location/status", "/v1/stop-sms/list/", "/v1/", "/"]
)
paths = known_paths | st.text(max_size=40).map(lambda t: "/" + t) | st.text(max_size=20)
names = st.sampled_from(
    [b"apiKey", b"token", b"_format", b"api%4Bey", b"%5Fformat", b"tok%65n", b"", b"x", b"apiKey[]"]
) | st.binary(max_size=12)
percent = st.binary(max_size=12).map(lambda raw: "".join(f"%{b:02X}" for b in raw).encode())
values = (
    st.sampled_from([b"demo-api-key", DOCS_TOKEN, b"xml", b"json", b"", b"XML", b"%", b"%G0"])
    | st.binary(max_size=40)
    | percent
)
pairs = st.lists(st.tuples(names, st.sampled_from([b"=", b"", b"=="]), values), max_size=8).map(
    lambda items: b"&".join(name + sep + value for name, sep, value in items)
)
queries = pairs | st.binary(max_size=200)


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop:
        yield loop


def check_answer(
    xml_tree: XmlTree, method: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    assert status in {200, 400, 404, 405}, status
    media = headers["content-type"]
    assert media in {"application/json", "application/xml"}
    if status == 405:
        assert headers["allow"] == "GET, HEAD"
    if method == "HEAD":
        assert body == b""
        return
    assert headers["content-length"] == str(len(body))
    if media == "application/json":
        data = json.loads(body)
        assert isinstance(data, dict)
        if data["success"] is False:
            assert list(data) == ["success", "code", "message"]
            assert MESSAGES[data["code"]] == data["message"]
            assert status == (400 if data["code"] < 400 else data["code"])
        else:
            assert status == 200
    else:
        tree = xml_tree(body)
        assert tree[0] in {("bare", "true"), ("bare", "false")}
        if tree[0] == ("bare", "false"):
            assert status == 400
            code = int(tree[1][1])
            assert tree[2] == ("cdata", MESSAGES[code])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(method=methods, path=paths, query=queries)
def test_any_request_gets_a_well_formed_answer(
    runner: asyncio.Runner,
    asgi_call: Call,
    xml_tree: XmlTree,
    method: str,
    path: str,
    query: bytes,
) -> None:
    answer = runner.run(asgi_call(APP, method, path, query))
    check_answer(xml_tree, method, answer.status, answer.headers, answer.body)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=pairs)
def test_the_endpoints_with_wild_queries(
    runner: asyncio.Runner, asgi_call: Call, xml_tree: XmlTree, query: bytes
) -> None:
    """The two real endpoints, GET only, where all the validation happens."""
    for path in ("/v1/stop-sms/list", "/v1/location/status"):
        answer = runner.run(asgi_call(APP, "GET", path, query))
        assert answer.status in {200, 400}
        check_answer(xml_tree, "GET", answer.status, answer.headers, answer.body)
