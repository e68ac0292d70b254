"""Every error, in both formats: status 400, the exact envelope, and the validation order."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

DEMO_KEY = "demo-api-key"
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' example token)
Envelope = Callable[[httpx.Response, int, int, str], None]

KEY_REQUIRED = (1, "La Clé API est requise")
KEY_INCORRECT = (10, "Clé API incorrecte")
TOKEN_REQUIRED = (31, "Le token de la location est requis")
RENTAL_NOT_FOUND = (32, "Location introuvable")
BAD_FORMAT = (400, "Format non supporté (json ou xml)")

API_ERRORS = [
    ("/stop-sms/list", {}, KEY_REQUIRED),
    ("/stop-sms/list", {"apiKey": ""}, KEY_REQUIRED),
    ("/stop-sms/list", {"apiKey": "wrong"}, KEY_INCORRECT),
    ("/stop-sms/list", {"apiKey": DEMO_KEY.upper()}, KEY_INCORRECT),
    ("/stop-sms/list", {"apiKey": f" {DEMO_KEY}"}, KEY_INCORRECT),
    ("/location/status", {"token": DOCS_TOKEN}, KEY_REQUIRED),
    ("/location/status", {"apiKey": "", "token": ""}, KEY_REQUIRED),
    ("/location/status", {"apiKey": "wrong", "token": DOCS_TOKEN}, KEY_INCORRECT),
    ("/location/status", {"apiKey": "wrong"}, KEY_INCORRECT),
    ("/location/status", {"apiKey": DEMO_KEY}, TOKEN_REQUIRED),
    ("/location/status", {"apiKey": DEMO_KEY, "token": ""}, TOKEN_REQUIRED),
    ("/location/status", {"apiKey": DEMO_KEY, "token": "unknown"}, RENTAL_NOT_FOUND),
    ("/location/status", {"apiKey": DEMO_KEY, "token": DOCS_TOKEN.upper()}, RENTAL_NOT_FOUND),
    ("/location/status", {"apiKey": DEMO_KEY, "token": DOCS_TOKEN + " "}, RENTAL_NOT_FOUND),
]


@pytest.mark.parametrize("fmt", [None, "json", "xml"])
@pytest.mark.parametrize(("path", "params", "expected"), API_ERRORS)
async def test_api_errors_in_each_format(
    client: httpx.AsyncClient,
    envelope: Envelope,
    fmt: str | None,
    path: str,
    params: dict[str, str],
    expected: tuple[int, str],
) -> None:
    query = params if fmt is None else {**params, "_format": fmt}
    response = await client.get(path, params=query)
    envelope(response, 400, *expected)
    wanted = "application/xml" if fmt == "xml" else "application/json"
    assert response.headers["content-type"] == wanted


@pytest.mark.parametrize("path", ["/stop-sms/list", "/location/status"])
@pytest.mark.parametrize("fmt", ["", "XML", "Json", "html", "json ", "xml\x00", "é", "json,xml"])
async def test_unknown_format_is_checked_first_and_answered_in_json(
    client: httpx.AsyncClient, envelope: Envelope, path: str, fmt: str
) -> None:
    response = await client.get(path, params={"_format": fmt})  # no key, no token either
    envelope(response, 400, *BAD_FORMAT)
    assert response.headers["content-type"] == "application/json"


async def test_xml_errors_carry_the_declaration(client: httpx.AsyncClient) -> None:
    response = await client.get("/stop-sms/list", params={"_format": "xml"})
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<result>')
    assert "Clé".encode() in response.content  # UTF-8, not an entity or an escape


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v1",
        "/v1/",
        "/v1/stop-sms",
        "/v1/stop-sms/list/",
        "/v1/STOP-SMS/LIST",
        "/v1/location/status/x",
        "/v2/stop-sms/list",
        "/stop-sms/list",
        "/v1/stop-sms/add",
        "/v1/location/download",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_unknown_paths_are_404(
    client: httpx.AsyncClient, envelope: Envelope, path: str, method: str
) -> None:
    response = await client.request(method, f"http://emulator{path}", params={"apiKey": DEMO_KEY})
    envelope(response, 404, 404, "Ressource introuvable")
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/stop-sms/list", "/location/status"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FOO"])
async def test_other_methods_are_405_with_allow(
    client: httpx.AsyncClient, envelope: Envelope, path: str, method: str
) -> None:
    params = {"apiKey": DEMO_KEY, "token": DOCS_TOKEN, "_format": "xml"}
    response = await client.request(method, path, params=params, content=b"ignored")
    envelope(response, 405, 405, "Méthode non autorisée")
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/stop-sms/list", {"apiKey": DEMO_KEY}, 200),
        ("/stop-sms/list", {"apiKey": DEMO_KEY, "_format": "xml"}, 200),
        ("/location/status", {"apiKey": DEMO_KEY, "token": DOCS_TOKEN}, 200),
        ("/location/status", {"apiKey": DEMO_KEY, "_format": "xml"}, 400),
        ("/stop-sms/list", {"_format": "yaml"}, 400),
        ("/nowhere", {}, 404),
    ],
)
async def test_head_is_get_without_body(
    client: httpx.AsyncClient, path: str, params: dict[str, str], status: int
) -> None:
    get = await client.get(path, params=params)
    head = await client.head(path, params=params)
    assert (head.status_code, get.status_code) == (status, status)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


async def test_request_body_and_headers_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.request(
        "GET",
        "/stop-sms/list",
        params={"apiKey": DEMO_KEY},
        content=b'{"apiKey": "wrong"}',
        headers={"Content-Type": "application/json", "Accept": "application/xml"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
