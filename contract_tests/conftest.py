"""Shared fixtures: the emulator in-process (ASGI) and on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from smspartner_emulator import create_app
from smspartner_emulator.server import serving
from starlette.applications import Starlette


@pytest.fixture(scope="session")
def emulator_app() -> Starlette:
    """The emulator with its built-in fixtures, as an ASGI app (no access log)."""
    return create_app(access_log=False)


@pytest.fixture(scope="session")
def emulator_url(emulator_app: Starlette) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:PORT/v1`) of the emulator served in a thread."""
    with serving(emulator_app) as url:
        yield url
