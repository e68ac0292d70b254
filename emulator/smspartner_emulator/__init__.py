"""SMS Partner emulator: GET /v1/stop-sms/list and GET /v1/location/status, from the docs.

Tests may add endpoints (`create_app(routes=...)`, see `smspartner_emulator.app`) and the
fixtures file may carry their data in extra sections (`Fixtures.extra`).

The names below are imported on first use: the package's pytest plugin is loaded by every
pytest run of an environment where it is installed, and must cost nothing until it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from smspartner_emulator import _kit

# An installed smspartner-client that is not the kit's stops the import, in one line.
_kit.require("smspartner-emulator", ("smspartner-client",))

if TYPE_CHECKING:
    from smspartner_emulator.app import Emulator, RouteCall, RouteError, create_app
    from smspartner_emulator.drift import CATALOGUE, Drift, Place
    from smspartner_emulator.files import InputFileError, read_regular
    from smspartner_emulator.fixtures import (
        Cost,
        Fixtures,
        FixturesError,
        Rental,
        StopEntry,
        SyntheticStopList,
        TargetArea,
        Targeting,
        default_fixtures,
        load_fixtures,
        synthetic_stop_list,
    )
    from smspartner_emulator.limits import Limits
    from smspartner_emulator.process import EmulatorStartError, RunningEmulator, started_emulator
    from smspartner_emulator.replay import ReplayError
    from smspartner_emulator.scenarios import SCENARIOS, Scenario, UnknownScenario
    from smspartner_emulator.server import ServerStartError, serving

_HOMES = {
    "smspartner_emulator.app": ("Emulator", "RouteCall", "RouteError", "create_app"),
    "smspartner_emulator.drift": ("CATALOGUE", "Drift", "Place"),
    "smspartner_emulator.files": ("InputFileError", "read_regular"),
    "smspartner_emulator.fixtures": (
        "Cost",
        "Fixtures",
        "FixturesError",
        "Rental",
        "StopEntry",
        "SyntheticStopList",
        "TargetArea",
        "Targeting",
        "default_fixtures",
        "load_fixtures",
        "synthetic_stop_list",
    ),
    "smspartner_emulator.limits": ("Limits",),
    "smspartner_emulator.process": ("EmulatorStartError", "RunningEmulator", "started_emulator"),
    "smspartner_emulator.replay": ("ReplayError",),
    "smspartner_emulator.scenarios": ("SCENARIOS", "Scenario", "UnknownScenario"),
    "smspartner_emulator.server": ("ServerStartError", "serving"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "CATALOGUE",
    "SCENARIOS",
    "Cost",
    "Drift",
    "Emulator",
    "EmulatorStartError",
    "Fixtures",
    "FixturesError",
    "InputFileError",
    "Limits",
    "Place",
    "Rental",
    "ReplayError",
    "RouteCall",
    "RouteError",
    "RunningEmulator",
    "Scenario",
    "ServerStartError",
    "StopEntry",
    "SyntheticStopList",
    "TargetArea",
    "Targeting",
    "UnknownScenario",
    "create_app",
    "default_fixtures",
    "load_fixtures",
    "read_regular",
    "serving",
    "started_emulator",
    "synthetic_stop_list",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
