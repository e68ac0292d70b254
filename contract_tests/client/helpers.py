"""Constants and client factories shared by the client tests (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from smspartner_client import AuthenticatedClient, Client

if TYPE_CHECKING:
    from starlette.types import ASGIApp

# The emulator, Starlette and PyYAML are imported where they are used: the tests that need
# neither (fault servers, MockTransport) also run where only the client is installed (the
# lowest-versions run of the client's dependencies).

DEMO_API_KEY = "demo-api-key"
# A made-up key for the fault tests: it must never show in an error message or a log line.
SECRET_KEY = "s3cret-K3y-never-shown-0123456789"  # noqa: S105 (a fake key)
IN_PROCESS_BASE_URL = "http://emulator.invalid/v1"  # never resolved: ASGITransport
DOCS_TOKEN = "b22b841a21624f4f452ba7fa8c822c0ed7cecfdb"  # noqa: S105 (the docs' rental)
# Rental status code (as listed in the docs) -> token of the emulator's built-in fixtures.
RENTAL_TOKENS = {
    0: "8849930ce22d14b607192beaaa67d275ae25558d",
    1: "086ae4f29974ed96b12e7a971b077084e1a33a9d",
    2: "312c65deab1295ae39cda15c6977862e9b9486fe",
    3: "d4e3b07c701bb0ef39e5c4dadd065e9f25aec35d",
    5: DOCS_TOKEN,
}
SPEC = Path(__file__).resolve().parents[2] / "spec" / "smspartner.yaml"


def emulator_fixtures() -> dict[str, Any]:
    """The emulator's built-in fixture data (what its answers are made of)."""
    import smspartner_emulator
    import yaml

    path = Path(smspartner_emulator.__file__).parent / "fixtures" / "default.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def expected_rental(token: str) -> dict[str, Any]:
    """The JSON answer the emulator gives for `token` (fixture entry without its metadata)."""
    for rental in emulator_fixtures()["rentals"]:
        if rental["token"] == token:
            answer = {key: value for key, value in rental.items() if key != "status_code"}
            return {"success": True, **answer}
    raise KeyError(token)


def spec_example(name: str) -> dict[str, Any]:
    """`components.examples.<name>.value` of the spec."""
    import yaml

    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    value: dict[str, Any] = spec["components"]["examples"][name]["value"]
    return value


def sync_client_with(emulator_url: str, api_key: str | None = DEMO_API_KEY) -> Client:
    """A sync client on the emulator socket; `api_key=None` gives a keyless `Client`."""
    timeout = httpx.Timeout(10.0)
    if api_key is None:
        return Client(base_url=emulator_url, timeout=timeout)
    return AuthenticatedClient(base_url=emulator_url, api_key=api_key, timeout=timeout)


def async_client_with(app: ASGIApp, api_key: str | None = DEMO_API_KEY) -> Client:
    """An in-process async client on `app`; `api_key=None` gives a keyless `Client`."""
    client = (
        Client(base_url=IN_PROCESS_BASE_URL)
        if api_key is None
        else AuthenticatedClient(base_url=IN_PROCESS_BASE_URL, api_key=api_key)
    )
    client.set_async_httpx_client(
        httpx.AsyncClient(base_url=IN_PROCESS_BASE_URL, transport=httpx.ASGITransport(app=app))
    )
    return client


def mock_client(
    handler: Any, api_key: str = SECRET_KEY, timeout: float = 2.0, **options: Any
) -> AuthenticatedClient:
    """A client whose sync and async calls are answered by `handler` (httpx MockTransport);
    `options` are more keyword arguments of the client (`max_retries=0`, `deadline=1.0`)."""
    return AuthenticatedClient(
        base_url="http://127.0.0.1:9/v1",
        api_key=api_key,
        timeout=httpx.Timeout(timeout),
        httpx_args={"transport": httpx.MockTransport(handler)},
        **options,
    )
