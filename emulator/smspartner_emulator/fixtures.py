"""The emulator's data: API keys, the stop list, the rentals and extra sections, checked once.

A fixtures file mirrors the wire format (same field names as the answers) so that an author
can paste a real answer into it. The checks keep what encoding an answer needs (types, text
that XML can carry, unique keys, ids and tokens) and nothing more: values are not held to the
formats the docs show (a phone number, a date, a decimal string may be anything a recording
holds). Everything is checked at load time, so a request never meets a value it cannot encode;
every problem is reported as one line naming the file and the place.

The file (YAML, read by `safe_yaml`: no aliases, bounded integers and nesting, at most
MAX_FIXTURES_BYTES, a regular file only):

- `api_keys` (required): the keys accepted in `apiKey`, at least one;
- `stop_list` (optional, empty when absent): the entries of GET /stop-sms/list, in order;
- `rentals` (optional, empty when absent): the answers of GET /location/status;
- any other top-level section is kept as plain data in `Fixtures.extra` (by its name), for
  the routes a test adds (`create_app(routes=...)`, see `smspartner_emulator.app`): a
  fixtures file for a new endpoint carries its data next to the documented ones.

`synthetic_stop_list(n)` is a stop list of `n` entries computed on demand (no memory per
entry), with numbers no real person has: see its docstring. `--stop-list-size N` uses it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, overload

from smspartner_emulator.files import InputFileError, read_text
from smspartner_emulator.limits import MAX_STOP_LIST_SIZE
from smspartner_emulator.safe_yaml import YamlError, load_yaml

MAX_FIXTURES_BYTES = 128 * 1024 * 1024
"""A fixtures file larger than this is refused (a 1,000,000-entry stop list takes ~80 MB)."""
STATUS_CODES = frozenset({0, 1, 2, 3, 5})
"""Rental status codes the docs list (4 is not documented)."""
REQUIRED_SECTIONS = ("api_keys",)
OPTIONAL_SECTIONS = ("stop_list", "rentals")

# Characters XML 1.0 forbids even inside CDATA, plus CR, which every XML parser turns into LF:
# a fixture string with one could not be sent identically in XML and JSON.
_XML_INVALID = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STOP_KEYS = frozenset({"id", "phoneNumber", "createdAt"})

T = TypeVar("T")


class FixturesError(Exception):
    """A fixtures file that cannot be used; the message is one line: `source: place: problem`."""


@dataclass(frozen=True, slots=True)
class StopEntry:
    """One number on the STOP list."""

    id: int
    phone_number: str = field(repr=False)
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

    token: str = field(repr=False)
    status_code: int
    status: str
    location: Targeting
    phone_numbers: str


SYNTHETIC_COUNTRY_CODE = "999"
"""The ITU's spare country code 999 (reserved, assigned to no country or service): numbers
`+999...` are valid E.164 shapes that no real person has."""
SYNTHETIC_START = dt.date(2015, 1, 1)


CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(1440)]


@functools.lru_cache(maxsize=8)
def _day_text(day: int) -> str:
    return (SYNTHETIC_START + dt.timedelta(days=day)).isoformat()


@dataclass(frozen=True)
class SyntheticStopList(Sequence[StopEntry]):
    """A stop list of `size` entries computed on demand: nothing is stored per entry.

    Entry `i` (from 0) has id `i + 1`, the number `+999` followed by `i` on 10 digits
    (`+9990000000000`, `+9990000000001`...: the ITU's spare country code, so no real person's
    number, yet valid for the pattern `^\\+[0-9]{6,15}$`) and a date one minute after the
    previous entry's, from 2015-01-01 00:00:00. The same size always gives the same list.
    """

    size: int

    def __post_init__(self) -> None:
        if not 0 <= self.size <= MAX_STOP_LIST_SIZE:
            raise ValueError(f"stop list size must be 0 to {MAX_STOP_LIST_SIZE:,}, got {self.size}")

    def __len__(self) -> int:
        return self.size

    @staticmethod
    def entry(index: int) -> StopEntry:
        day, minute = divmod(index, 1440)
        return StopEntry(
            id=index + 1,
            phone_number=f"+{SYNTHETIC_COUNTRY_CODE}{index:010d}",
            created_at=f"{_day_text(day)} {CLOCK[minute]}",
        )

    @overload
    def __getitem__(self, index: int) -> StopEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[StopEntry]: ...

    def __getitem__(self, index: int | slice) -> StopEntry | list[StopEntry]:
        if isinstance(index, slice):
            return [self.entry(i) for i in range(*index.indices(self.size))]
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError("stop list index out of range")
        return self.entry(index)

    def __iter__(self) -> Iterator[StopEntry]:
        return map(self.entry, range(self.size))

    def days(self, start: int, stop: int) -> Iterator[tuple[int, int, int, str]]:
        """Entries `start:stop` by day: (first, stop, index of the day's first entry, date)."""
        start, stop, _ = slice(start, stop).indices(self.size)
        index = start
        while index < stop:
            day, minute = divmod(index, 1440)
            last = min(stop, index - minute + 1440)
            yield index, last, index - minute, _day_text(day)
            index = last


def synthetic_stop_list(size: int) -> SyntheticStopList:
    """A deterministic stop list of `size` entries with fictional numbers (see the class)."""
    return SyntheticStopList(size)


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Everything the emulator answers from. Build it in code or load it from YAML.

    `stop_list` is any sequence of `StopEntry` (a tuple, or a `SyntheticStopList`); `extra`
    holds the file's other top-level sections as plain data, by name, for added routes.
    """

    api_keys: tuple[str, ...]
    stop_list: Sequence[StopEntry] = ()
    rentals: tuple[Rental, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    _checked: bool = field(default=False, init=False, repr=False, compare=False, hash=False)
    """Set on what the checks built (`load_fixtures`...): not checked twice. A copy made
    with `dataclasses.replace` is checked again."""

    def __repr__(self) -> str:
        # Counts only: keys, numbers and tokens never show in a failure or a log.
        sections = ", ".join(repr(name) for name in self.extra)
        return (
            f"Fixtures(api_keys={len(self.api_keys)}, stop_list={len(self.stop_list)},"
            f" rentals={len(self.rentals)}, extra=[{sections}])"
        )

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

    def mapping(
        self, value: object, place: str, keys: Sequence[str], *, open_ended: bool = False
    ) -> Mapping[str, Any]:
        """A mapping holding `keys`; no other key unless `open_ended`."""
        if not isinstance(value, dict):
            raise self.fail(place, f"expected a mapping, got {_describe(value)}")
        if not open_ended:
            for key in value:
                if key not in keys:
                    shown = ", ".join(keys)
                    raise self.fail(place, f"unknown key {_short(key)} (expected {shown})")
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
            # Integer places (ids, codes, ages, counts) hold nothing personal: a string there
            # is shown, as docs/emulator.md does (`got string '19'`).
            got = f"string {_short(value)}" if isinstance(value, str) else _describe(value)
            raise self.fail(place, f"expected an integer, got {got}")
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
    """The kind of a misplaced value, never the value: it may be a number, token or key."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    kinds: tuple[tuple[type, str], ...] = (
        (dict, "a mapping"),
        (list, "a list"),
        (str, "a string"),
        (int, "an integer"),
        (float, "a decimal number"),
        (dt.datetime, "a date and time"),
        (dt.date, "a date"),
    )
    for kind, text in kinds:
        if isinstance(value, kind):
            return text
    return f"a value of type {type(value).__name__}"


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


def _stop_list(reader: _Reader, value: object) -> tuple[StopEntry, ...]:
    """The stop list's entries: one quick pass, and the detailed checks only on a problem."""
    raw = reader.items(value, "stop_list")
    entries: list[StopEntry] = []
    append = entries.append
    for item in raw:
        if type(item) is not dict or item.keys() != _STOP_KEYS:
            break
        ident, phone, created = item["id"], item["phoneNumber"], item["createdAt"]
        if type(ident) is not int or type(phone) is not str or type(created) is not str:
            break
        append(StopEntry(ident, phone, created))
    else:
        texts = "\t".join(
            text for entry in entries for text in (entry.phone_number, entry.created_at)
        )
        ids = {entry.id for entry in entries}
        if _XML_INVALID.search(texts) is None and len(ids) == len(entries):
            return tuple(entries)
    # Something is wrong: the entry-by-entry checks name the first problem and its place.
    stops = tuple(
        _stop_entry(reader, item, f"stop_list[{index}]") for index, item in enumerate(raw)
    )
    reader.unique([stop.id for stop in stops], "stop_list[{}].id", str)
    return stops


def _extra(reader: _Reader, top: Mapping[Any, Any]) -> Mapping[str, Any]:
    known = (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS)
    extra: dict[str, Any] = {}
    for name, value in top.items():
        if not isinstance(name, str) or not name:
            raise reader.fail("", f"section name {_short(name)}: expected a non-empty string")
        if name not in known:
            extra[name] = value
    return MappingProxyType(extra)


def fixtures_from_data(data: object, source: str) -> Fixtures:
    """Validate parsed YAML (plain dicts/lists) and build the Fixtures; raise FixturesError."""
    reader = _Reader(source)
    top = reader.mapping(data, "", REQUIRED_SECTIONS, open_ended=True)
    extra = _extra(reader, top)
    keys = tuple(
        reader.string(key, f"api_keys[{index}]", non_empty=True)
        for index, key in enumerate(reader.items(top["api_keys"], "api_keys", non_empty=True))
    )
    stops = _stop_list(reader, top.get("stop_list", []))
    rentals = tuple(
        _rental(reader, entry, f"rentals[{index}]")
        for index, entry in enumerate(reader.items(top.get("rentals", []), "rentals"))
    )
    reader.unique(keys, "api_keys[{}]", lambda _: "(a key: not shown)")
    reader.unique(
        [rental.token for rental in rentals], "rentals[{}].token", lambda _: "(a token: not shown)"
    )
    return _mark_checked(Fixtures(api_keys=keys, stop_list=stops, rentals=rentals, extra=extra))


def _mark_checked(fixtures: Fixtures) -> Fixtures:
    object.__setattr__(fixtures, "_checked", True)
    return fixtures


def fixtures_to_data(fixtures: Fixtures) -> dict[str, Any]:
    """The plain-data (YAML) form of fixtures; `fixtures_from_data` reads it back."""
    return {
        "api_keys": list(fixtures.api_keys),
        "stop_list": [
            {"id": s.id, "phoneNumber": s.phone_number, "createdAt": s.created_at}
            for s in fixtures.stop_list
        ],
        "rentals": [_rental_data(rental) for rental in fixtures.rentals],
        **fixtures.extra,
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
    """Run the file checks on fixtures built in code (round trip through the plain form).

    Fixtures the checks built (a loaded file) are returned as they are; a `SyntheticStopList`
    is kept as it is (it is correct by construction, and a million entries are not worth a
    round trip).
    """
    if fixtures._checked:
        return fixtures
    if isinstance(fixtures.stop_list, SyntheticStopList):
        checked = fixtures_from_data(fixtures_to_data(replace_stop_list(fixtures, ())), source)
        return replace_stop_list(checked, fixtures.stop_list)
    return fixtures_from_data(fixtures_to_data(fixtures), source)


def replace_stop_list(fixtures: Fixtures, stop_list: Sequence[StopEntry]) -> Fixtures:
    """The same fixtures with another stop list (still checked if they were, when the new
    list is a synthetic one, correct by construction)."""
    replaced = Fixtures(fixtures.api_keys, stop_list, fixtures.rentals, fixtures.extra)
    if fixtures._checked and isinstance(stop_list, SyntheticStopList):
        _mark_checked(replaced)
    return replaced


def parse_fixtures(text: str | bytes, source: str) -> Fixtures:
    """Parse YAML text and validate it."""
    try:
        data = load_yaml(text, source)
    except YamlError as exc:
        raise FixturesError(str(exc)) from None
    return fixtures_from_data(data, source)


def load_fixtures(path: str | Path) -> Fixtures:
    """Load a fixtures YAML file; any problem is a FixturesError with a one-line message.

    The file must be a regular file (a FIFO, device or directory is refused without being
    read) of at most MAX_FIXTURES_BYTES, in UTF-8.
    """
    try:
        text = read_text(path, MAX_FIXTURES_BYTES)
    except InputFileError as exc:
        raise FixturesError(str(exc)) from None
    return parse_fixtures(text, str(path))


@functools.cache
def default_fixtures() -> Fixtures:
    """The built-in fixtures shipped in the package (fixtures/default.yaml); immutable, cached."""
    text = resources.files(__package__).joinpath("fixtures/default.yaml").read_text("utf-8")
    return parse_fixtures(text, "default.yaml")
