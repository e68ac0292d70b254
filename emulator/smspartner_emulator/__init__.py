"""SMS Partner emulator: GET /v1/stop-sms/list and GET /v1/location/status, from the docs."""

from smspartner_emulator.app import create_app
from smspartner_emulator.fixtures import (
    Cost,
    Fixtures,
    FixturesError,
    Rental,
    StopEntry,
    TargetArea,
    Targeting,
    default_fixtures,
    load_fixtures,
)

__all__ = [
    "Cost",
    "Fixtures",
    "FixturesError",
    "Rental",
    "StopEntry",
    "TargetArea",
    "Targeting",
    "create_app",
    "default_fixtures",
    "load_fixtures",
]
