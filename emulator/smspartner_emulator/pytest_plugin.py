"""pytest plugin of the SMS Partner emulator (entry point `pytest11`): test your own code.

In any test suite of an environment where the package is installed, with no conftest:

- `smspartner_emulator` (session scope): the emulator on a real loopback socket, served in a
  thread. `.url` (the base URL, ending in `/v1`), `.api_key`, `.rental_token(status)`,
  `.fixtures` (the `Fixtures` in use), and `with smspartner_emulator.scenario("rate_limited"):`
  to misbehave for part of one test (the previous scenario comes back after the block).
  `scenario()` used without `with` does nothing, so the test that did so fails, saying why.
- `smspartner_client`: a `smspartner_client.AuthenticatedClient` bound to it (its sync httpx
  client is closed after the test; for async calls, `async with smspartner_client:`).

Options:

- `--smspartner-fixtures FILE`: YAML fixtures instead of the built-in ones;
- `--smspartner-replay CASSETTE`: answer the requests a contract run recorded as recorded;
  `rental_token(status)` then gives the recording's token for that status (the fixtures say
  which status text a code stands for), or says why it cannot;
- `--smspartner-stop-list-size N`: a synthetic stop list of N entries (numbers no real
  person has) instead of the fixtures' one.

A file option is read and checked when pytest starts, only when given: a bad file is one usage
error for the whole session (exit status 4), not an error per test. Otherwise nothing is
imported or started until a test asks for a fixture: importing this module loads neither
Starlette, nor uvicorn, nor PyYAML.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import pytest

from smspartner_emulator.limits import parse_stop_list_size

if TYPE_CHECKING:
    from smspartner_client import AuthenticatedClient

    from smspartner_emulator.app import Emulator
    from smspartner_emulator.fixtures import Fixtures
    from smspartner_emulator.replay import Recording

FIXTURES_OPTION = "--smspartner-fixtures"
REPLAY_OPTION = "--smspartner-replay"
SIZE_OPTION = "--smspartner-stop-list-size"
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
    group.addoption(
        SIZE_OPTION,
        metavar="N",
        type=parse_stop_list_size,
        default=None,
        help="a synthetic stop list of N entries (numbers +999..., nobody's)",
    )


@dataclass(frozen=True)
class _Inputs:
    """What the file options hold, read when pytest starts."""

    fixtures: Fixtures | None = None
    recording: Recording | None = None


_INPUTS = pytest.StashKey[_Inputs]()


def pytest_configure(config: pytest.Config) -> None:
    """Read the file options now, when given: a bad file is one usage error for the session."""
    fixtures_file = config.getoption(FIXTURES_OPTION, None)
    cassette = config.getoption(REPLAY_OPTION, None)
    if not fixtures_file and not cassette:
        return
    fixtures = recording = None
    if fixtures_file:
        from smspartner_emulator.fixtures import FixturesError, load_fixtures

        try:
            fixtures = load_fixtures(fixtures_file)
        except FixturesError as exc:
            raise pytest.UsageError(f"{FIXTURES_OPTION}: {exc}") from None
    if cassette:
        from smspartner_emulator.replay import ReplayError, read_recording

        try:
            recording = read_recording(cassette)
        except ReplayError as exc:
            raise pytest.UsageError(f"{REPLAY_OPTION}: {exc}") from None
    config.stash[_INPUTS] = _Inputs(fixtures, recording)


# ---- scenario blocks ------------------------------------------------------------------------

_UNENTERED: list[ScenarioBlock] = []
"""Blocks made by `scenario()` and not (yet) entered: a test ending with one fails."""


class ScenarioBlock:
    """`with smspartner_emulator.scenario(name):` plays `name` inside the block only."""

    def __init__(self, emulator: Emulator, name: str) -> None:
        from smspartner_emulator.scenarios import resolve

        resolve(name)  # UnknownScenario (a ValueError) now, naming the known ones
        self.emulator = emulator
        self.name = name
        self._previous: str | None = None
        _UNENTERED.append(self)

    def __enter__(self) -> ScenarioBlock:
        _forget(self)
        self._previous = self.emulator.scenario
        self.emulator.scenario = self.name
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            self.emulator.scenario = self._previous
            self._previous = None


def _forget(block: ScenarioBlock) -> None:
    for index, known in enumerate(_UNENTERED):
        if known is block:
            del _UNENTERED[index]
            return


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test that made a scenario block and never entered it (it played nothing).

    The blocks are forgotten however the test ends: one that failed or was skipped before
    its `with` keeps its own outcome, and leaves nothing for the next test.
    """
    try:
        result = yield
    finally:
        names = ", ".join(sorted({repr(block.name) for block in _UNENTERED}))
        _UNENTERED.clear()
    if names:
        pytest.fail(
            f"smspartner_emulator.scenario({names}) was never used with `with`: it played"
            f" nothing; write `with smspartner_emulator.scenario({names}):` around the calls",
            pytrace=False,
        )
    return result


# ---- fixtures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorForTests:
    """The emulator a test suite talks to: where it is, what it accepts, how it misbehaves."""

    url: str
    fixtures: Fixtures
    emulator: Emulator
    recording: Recording | None = field(default=None)

    def __repr__(self) -> str:
        # No key, token or number: `Fixtures` and `Recording` show counts only.
        return (
            f"EmulatorForTests(url={self.url!r}, scenario={self.emulator.scenario!r},"
            f" fixtures={self.fixtures!r}, recording={self.recording!r})"
        )

    @property
    def api_key(self) -> str:
        """A key the emulator accepts (the first of the fixtures)."""
        return self.fixtures.api_keys[0]

    def rental_token(self, status: int) -> str:
        """The token of a rental with this status code (0, 1, 2, 3 or 5).

        From the fixtures; under `--smspartner-replay`, from the recording: the token a
        recorded rental answer with the status text the fixtures give this code was sent
        with. LookupError, saying why, when there is none.
        """
        try:
            rental = self.fixtures.rental(status)
        except KeyError:
            raise LookupError(f"no rental with status code {status} in the fixtures") from None
        if self.recording is None:
            return rental.token
        try:
            return self.recording.rental_token(rental.status)
        except LookupError as exc:
            raise LookupError(f"{REPLAY_OPTION}: status code {status}: {exc}") from None

    def scenario(self, name: str) -> ScenarioBlock:
        """Play scenario `name` for every request in a `with` block (UnknownScenario if
        unknown); made and never entered, it fails the test."""
        return ScenarioBlock(self.emulator, name)


@pytest.fixture(scope="session")
def smspartner_emulator(pytestconfig: pytest.Config) -> Iterator[EmulatorForTests]:
    """The SMS Partner emulator on 127.0.0.1 (a free port), for the whole session."""
    from smspartner_emulator.app import create_app
    from smspartner_emulator.fixtures import default_fixtures
    from smspartner_emulator.server import serving

    inputs = pytestconfig.stash.get(_INPUTS, _Inputs())
    fixtures = inputs.fixtures or default_fixtures()
    size = pytestconfig.getoption(SIZE_OPTION, None)
    app = create_app(fixtures, replay=inputs.recording, stop_list_size=size)
    with serving(app) as url:
        yield EmulatorForTests(url, app.state.fixtures, app.state.emulator, inputs.recording)


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
