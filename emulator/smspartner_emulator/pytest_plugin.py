"""pytest plugin of the SMS Partner emulator (entry point `pytest11`): test your own code.

In any test suite of an environment where the package is installed, with no conftest:

- `smspartner_emulator` (session scope): the emulator on a real loopback socket, served in a
  thread. `.url` (the base URL, ending in `/v1`), `.api_key`, `.rental_token(status)`,
  `.fixtures` (the `Fixtures` in use), and `with smspartner_emulator.scenario("rate_limited"):`
  to misbehave for part of one test (the previous scenario comes back after the block).
- `smspartner_client`: a `smspartner_client.AuthenticatedClient` bound to it (its sync httpx
  client is closed after the test; for async calls, `async with smspartner_client:`).

Options: `--smspartner-fixtures FILE` (YAML fixtures instead of the built-in ones) and
`--smspartner-replay CASSETTE` (answer the requests a contract run recorded as recorded).

Nothing is imported or started until a test asks for one of the fixtures.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from smspartner_client import AuthenticatedClient

    from smspartner_emulator.app import Emulator
    from smspartner_emulator.fixtures import Fixtures

FIXTURES_OPTION = "--smspartner-fixtures"
REPLAY_OPTION = "--smspartner-replay"
CLIENT_PACKAGE = "smspartner_client"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smspartner", "SMS Partner emulator (fixture smspartner_emulator)")
    group.addoption(
        FIXTURES_OPTION,
        metavar="FILE",
        default=None,
        help="YAML fixtures for the emulator, instead of its built-in ones",
    )
    group.addoption(
        REPLAY_OPTION,
        metavar="CASSETTE",
        default=None,
        help="a contract run's recording: recorded requests get the recorded answers",
    )


@dataclass(frozen=True)
class EmulatorForTests:
    """The emulator a test suite talks to: where it is, what it accepts, how it misbehaves."""

    url: str
    fixtures: Fixtures
    emulator: Emulator

    @property
    def api_key(self) -> str:
        """A key the emulator accepts (the first of the fixtures)."""
        return self.fixtures.api_keys[0]

    def rental_token(self, status: int) -> str:
        """The token of the first rental with this status code (0, 1, 2, 3 or 5)."""
        try:
            return self.fixtures.rental(status).token
        except KeyError:
            raise LookupError(f"no rental with status code {status} in the fixtures") from None

    @contextmanager
    def scenario(self, name: str) -> Iterator[None]:
        """Play scenario `name` for every request in the block (UnknownScenario if unknown)."""
        previous = self.emulator.scenario
        self.emulator.scenario = name
        try:
            yield
        finally:
            self.emulator.scenario = previous


@pytest.fixture(scope="session")
def smspartner_emulator(pytestconfig: pytest.Config) -> Iterator[EmulatorForTests]:
    """The SMS Partner emulator on 127.0.0.1 (a free port), for the whole session."""
    from smspartner_emulator.app import create_app
    from smspartner_emulator.fixtures import FixturesError, default_fixtures, load_fixtures
    from smspartner_emulator.replay import ReplayError
    from smspartner_emulator.server import serving

    fixtures_file = pytestconfig.getoption(FIXTURES_OPTION)
    cassette = pytestconfig.getoption(REPLAY_OPTION)
    try:
        fixtures = load_fixtures(fixtures_file) if fixtures_file else default_fixtures()
        app = create_app(fixtures, replay=cassette)
    except (FixturesError, ReplayError) as exc:
        option = FIXTURES_OPTION if isinstance(exc, FixturesError) else REPLAY_OPTION
        pytest.fail(f"{option}: {exc}", pytrace=False)
    with serving(app) as url:
        yield EmulatorForTests(url, fixtures, app.state.emulator)


@pytest.fixture
def smspartner_client(smspartner_emulator: EmulatorForTests) -> Iterator[AuthenticatedClient]:
    """An `AuthenticatedClient` for the emulator, with its key; closed after the test."""
    try:
        package = importlib.import_module(CLIENT_PACKAGE)
    except ImportError:
        pytest.fail(
            "the smspartner_client fixture needs the smspartner-client package"
            " (pip install ./generated/smspartner-client)",
            pytrace=False,
        )
    client: AuthenticatedClient = package.AuthenticatedClient(
        base_url=smspartner_emulator.url, api_key=smspartner_emulator.api_key
    )
    with client:
        yield client
