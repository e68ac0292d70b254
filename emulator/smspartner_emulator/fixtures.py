"""The emulator's data: API keys, the stop list and the rentals, loaded and validated once.

A fixtures file mirrors the wire format (same field names as the answers) so that an author
can paste a real answer into it. The checks keep what encoding an answer needs (types, text
that XML can carry, unique keys, ids and tokens) and nothing more: values are not held to the
formats the docs show (a phone number, a date, a decimal string may be anything a recording
holds). Everything is checked at load time, so a request never meets a value it cannot encode;
every problem is reported as one line naming the file and the place.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

MAX_FIXTURES_BYTES = 16 * 1024 * 1024
"""A fixtures file larger than this is refused (the built-in one is 4 KB)."""
STATUS_CODES = frozenset({0, 1, 2, 3, 5})
"""Rental status codes the docs list (4 is not documented)."""

# Characters XML 1.0 forbids even inside CDATA, plus CR, which every XML parser turns into LF:
# a fixture string with one could not be sent identically in XML and JSON.
_XML_INVALID = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

T = TypeVar("T")


class FixturesError(Exception):
    """A fixtures file that cannot be used; the message is one line: `source: place: problem`."""


@dataclass(frozen=True, slots=True)
class StopEntry:
    """One number on the STOP list."""

    id: int
    phone_number: str
    created_at: str


@dataclass(frozen=True, slots=True)
class TargetArea:
    """One item of `details_localisation`: where contacts were wanted and how many exist."""

    type: str
    location: str
    volume_desired: str
    volume: str


@dataclass(frozen=True, slots=True)
class Cost:
    """Price of a rental; amounts are decimal strings as the API sends them."""

    quantity: int
    total: str
    cost_unity: str


@dataclass(frozen=True, slots=True)
class Targeting:
    """The `location` object of a rental: the targeting criteria and the cost."""

    sexe: str
    min_age: int
    max_age: int
    zipcode: str
    interest: str
    category: int
    details_localisation: tuple[TargetArea, ...]
    cost: Cost


@dataclass(frozen=True, slots=True)
class Rental:
    """A contact rental; `status_code` is metadata (0, 1, 2, 3 or 5), not part of the answer."""

    token: str
    status_code: int
    status: str
    location: Targeting
    phone_numbers: str


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Everything the emulator answers from. Build it in code or load it from YAML."""

    api_keys: tuple[str, ...]
    stop_list: tuple[StopEntry, ...] = ()
    rentals: tuple[Rental, ...] = ()

    def rental(self, status_code: int) -> Rental:
        """The first rental with this status code (handy in tests)."""
        for rental in self.rentals:
            if rental.status_code == status_code:
                return rental
        raise KeyError(status_code)


# --- reading plain data -----------------------------------------------------------------------


class _Reader:
    """Walks parsed YAML, checking types; errors name the dotted place of the bad value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, place: str, problem: str) -> FixturesError:
        where = f"{place}: " if place else ""
        return FixturesError(f"{self.source}: {where}{problem}")

    def mapping(self, value: object, place: str, keys: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(place, f"expected a mapping, got {_describe(value)}")
        for key in value:
            if key not in keys:
                raise self.fail(place, f"unknown key {_short(key)} (expected {', '.join(keys)})")
        for key in keys:
            if key not in value:
                raise self.fail(place, f"missing key {key!r}")
        return value

    def items(self, value: object, place: str, *, non_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(place, f"expected a list, got {_describe(value)}")
        if non_empty and not value:
            raise self.fail(place, "expected at least one item")
        return value

    def integer(self, value: object, place: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(place, f"expected an integer, got {_describe(value)}")
        return value

    def string(self, value: object, place: str, *, non_empty: bool = False) -> str:
        """A string that XML 1.0 can carry (no pattern: any text a recording holds)."""
        if not isinstance(value, str):
            # Unquoted digits or dates are read by YAML as numbers or dates: say how to fix it.
            quotable = isinstance(value, int | float | dt.date) and not isinstance(value, bool)
            hint = " (quote it)" if quotable else ""
            raise self.fail(place, f"expected a string, got {_describe(value)}{hint}")
        if non_empty and not value:
            raise self.fail(place, "expected a non-empty string, got an empty string")
        bad = _XML_INVALID.search(value)
        if bad is not None:
            code = f"U+{ord(bad.group()):04X}"
            raise self.fail(place, f"character {code} cannot be sent in XML 1.0")
        return value

    def unique(self, values: Sequence[T], place: str, show: Callable[[T], str]) -> None:
        """`place` is a format string taking the index, e.g. `rentals[{}].token`."""
        seen: set[T] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise self.fail(place.format(index), f"duplicate value {show(value)}")
            seen.add(value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {_short(value)}"
    return _short(value) if isinstance(value, int | float) else f"{type(value).__name__} {value}"


def _stop_entry(reader: _Reader, raw: object, place: str) -> StopEntry:
    data = reader.mapping(raw, place, ("id", "phoneNumber", "createdAt"))
    return StopEntry(
        id=reader.integer(data["id"], f"{place}.id"),
        phone_number=reader.string(data["phoneNumber"], f"{place}.phoneNumber"),
        created_at=reader.string(data["createdAt"], f"{place}.createdAt"),
    )


def _target_area(reader: _Reader, raw: object, place: str) -> TargetArea:
    data = reader.mapping(raw, place, ("Type", "Location", "VolumeDesired", "Volume"))
    return TargetArea(
        type=reader.string(data["Type"], f"{place}.Type"),
        location=reader.string(data["Location"], f"{place}.Location"),
        volume_desired=reader.string(data["VolumeDesired"], f"{place}.VolumeDesired"),
        volume=reader.string(data["Volume"], f"{place}.Volume"),
    )


def _cost(reader: _Reader, raw: object, place: str) -> Cost:
    data = reader.mapping(raw, place, ("quantity", "total", "cost_unity"))
    return Cost(
        quantity=reader.integer(data["quantity"], f"{place}.quantity"),
        total=reader.string(data["total"], f"{place}.total"),
        cost_unity=reader.string(data["cost_unity"], f"{place}.cost_unity"),
    )


_LOCATION_KEYS = (
    "sexe",
    "minAge",
    "maxAge",
    "zipcode",
    "interest",
    "category",
    "details_localisation",
    "cost",
)


def _targeting(reader: _Reader, raw: object, place: str) -> Targeting:
    data = reader.mapping(raw, place, _LOCATION_KEYS)
    areas = reader.items(data["details_localisation"], f"{place}.details_localisation")
    return Targeting(
        sexe=reader.string(data["sexe"], f"{place}.sexe"),
        min_age=reader.integer(data["minAge"], f"{place}.minAge"),
        max_age=reader.integer(data["maxAge"], f"{place}.maxAge"),
        zipcode=reader.string(data["zipcode"], f"{place}.zipcode"),
        interest=reader.string(data["interest"], f"{place}.interest"),
        category=reader.integer(data["category"], f"{place}.category"),
        details_localisation=tuple(
            _target_area(reader, area, f"{place}.details_localisation[{index}]")
            for index, area in enumerate(areas)
        ),
        cost=_cost(reader, data["cost"], f"{place}.cost"),
    )


def _rental(reader: _Reader, raw: object, place: str) -> Rental:
    data = reader.mapping(raw, place, ("token", "status_code", "status", "location", "file"))
    status_code = reader.integer(data["status_code"], f"{place}.status_code")
    if status_code not in STATUS_CODES:
        raise reader.fail(
            f"{place}.status_code", f"expected one of 0, 1, 2, 3, 5, got {status_code}"
        )
    file = reader.mapping(data["file"], f"{place}.file", ("phoneNumbers",))
    return Rental(
        token=reader.string(data["token"], f"{place}.token", non_empty=True),
        status_code=status_code,
        status=reader.string(data["status"], f"{place}.status"),
        location=_targeting(reader, data["location"], f"{place}.location"),
        phone_numbers=reader.string(file["phoneNumbers"], f"{place}.file.phoneNumbers"),
    )


def fixtures_from_data(data: object, source: str) -> Fixtures:
    """Validate parsed YAML (plain dicts/lists) and build the Fixtures; raise FixturesError."""
    reader = _Reader(source)
    top = reader.mapping(data, "", ("api_keys", "stop_list", "rentals"))
    keys = tuple(
        reader.string(key, f"api_keys[{index}]", non_empty=True)
        for index, key in enumerate(reader.items(top["api_keys"], "api_keys", non_empty=True))
    )
    stops = tuple(
        _stop_entry(reader, entry, f"stop_list[{index}]")
        for index, entry in enumerate(reader.items(top["stop_list"], "stop_list"))
    )
    rentals = tuple(
        _rental(reader, entry, f"rentals[{index}]")
        for index, entry in enumerate(reader.items(top["rentals"], "rentals"))
    )
    reader.unique(keys, "api_keys[{}]", lambda _: "(a key: not shown)")
    reader.unique([stop.id for stop in stops], "stop_list[{}].id", str)
    reader.unique([rental.token for rental in rentals], "rentals[{}].token", _short)
    return Fixtures(api_keys=keys, stop_list=stops, rentals=rentals)


def fixtures_to_data(fixtures: Fixtures) -> dict[str, Any]:
    """The plain-data (YAML) form of fixtures; `fixtures_from_data` reads it back."""
    return {
        "api_keys": list(fixtures.api_keys),
        "stop_list": [
            {"id": s.id, "phoneNumber": s.phone_number, "createdAt": s.created_at}
            for s in fixtures.stop_list
        ],
        "rentals": [_rental_data(rental) for rental in fixtures.rentals],
    }


def _rental_data(rental: Rental) -> dict[str, Any]:
    where = rental.location
    return {
        "token": rental.token,
        "status_code": rental.status_code,
        "status": rental.status,
        "location": {
            "sexe": where.sexe,
            "minAge": where.min_age,
            "maxAge": where.max_age,
            "zipcode": where.zipcode,
            "interest": where.interest,
            "category": where.category,
            "details_localisation": [
                {
                    "Type": area.type,
                    "Location": area.location,
                    "VolumeDesired": area.volume_desired,
                    "Volume": area.volume,
                }
                for area in where.details_localisation
            ],
            "cost": {
                "quantity": where.cost.quantity,
                "total": where.cost.total,
                "cost_unity": where.cost.cost_unity,
            },
        },
        "file": {"phoneNumbers": rental.phone_numbers},
    }


def check_fixtures(fixtures: Fixtures, source: str = "fixtures") -> Fixtures:
    """Run the file checks on fixtures built in code (round trip through the plain form)."""
    return fixtures_from_data(fixtures_to_data(fixtures), source)


def parse_fixtures(text: str, source: str) -> Fixtures:
    """Parse YAML text and validate it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise FixturesError(f"{source}: invalid YAML: {where}{problem}") from None
    return fixtures_from_data(data, source)


def load_fixtures(path: str | Path) -> Fixtures:
    """Load a fixtures YAML file; any problem is a FixturesError with a one-line message."""
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_FIXTURES_BYTES + 1)
    except OSError as exc:
        raise FixturesError(
            f"{source}: cannot read: {exc.strerror or type(exc).__name__}"
        ) from None
    if len(raw) > MAX_FIXTURES_BYTES:
        raise FixturesError(f"{source}: larger than {MAX_FIXTURES_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FixturesError(f"{source}: not UTF-8 (byte {exc.start})") from None
    return parse_fixtures(text, source)


@functools.cache
def default_fixtures() -> Fixtures:
    """The built-in fixtures shipped in the package (fixtures/default.yaml); immutable, cached."""
    text = resources.files(__package__).joinpath("fixtures/default.yaml").read_text("utf-8")
    return parse_fixtures(text, "default.yaml")
