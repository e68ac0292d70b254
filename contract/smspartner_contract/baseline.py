"""Accepted drift: findings a team has looked at and decided to live with, for a while.

The file (`spec/accepted-drift.json` by default, `--baseline FILE` otherwise) lists findings
by what changed, not where it was seen, so an entry keeps matching as the STOP list grows:

```json
{
  "format": "smspartner-accepted-drift/2",
  "entries": [
    {
      "operation": "GET /stop-sms/list",
      "check": "additive_drift",
      "field": "/data/*/source",
      "reason": "SMS Partner added the origin of each STOP; our client ignores it",
      "expires": "2027-03-31"
    }
  ]
}
```

`operation`, `check`, `reason` and `expires` (a date) are required; `field` (as the reports
print it), `status` (`2xx`, `4xx`...), `media` and `rule` narrow an entry when given. The
report of every finding prints the entry that would accept it. An expired entry no longer
accepts anything and is reported. The file of the previous kit (schemathesis's baseline
format, `format_version: 1`) is still read: its entries match by operation and check, and by
field when their signature names the fields.

A file that is named but missing, unreadable or malformed stops the run before any request,
in one line (exit 2).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smspartner_emulator.recording import read_regular_file

FORMAT = "smspartner-accepted-drift/2"
MAX_BASELINE_BYTES = 4 * 1024 * 1024
_INDEX = re.compile(r"/[0-9]+(?=/|$)")


class BaselineError(Exception):
    """An accepted-drift file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class Acceptance:
    """One entry of the file."""

    operation: str
    check: str
    reason: str
    expires: dt.date
    field: str | None = None
    status: str | None = None
    media: str | None = None
    rule: str | None = None
    legacy: bool = False

    def matches(self, identity: Mapping[str, str]) -> bool:
        if identity.get("operation") != self.operation or identity.get("check") != self.check:
            return False
        for name in ("field", "status", "media", "rule"):
            wanted = getattr(self, name)
            if wanted is not None and identity.get(name) != wanted:
                return False
        return True

    def describe(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.operation} {self.check}{where} (expires {self.expires}): {self.reason}"


@dataclass(frozen=True)
class Baseline:
    """The entries of one file."""

    path: Path
    entries: tuple[Acceptance, ...]

    def accepting(self, identity: Mapping[str, str], today: dt.date) -> Acceptance | None:
        return next((e for e in self.entries if e.expires >= today and e.matches(identity)), None)

    def expired(self, today: dt.date) -> list[Acceptance]:
        return [entry for entry in self.entries if entry.expires < today]


def _text(entry: Mapping[str, Any], name: str, where: str, *, required: bool) -> str | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BaselineError(f"{where}: `{name}` must be a non-empty string")
    return value.strip()


def _date(entry: Mapping[str, Any], where: str) -> dt.date:
    value = entry.get("expires")
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise BaselineError(
            f"{where}: `expires` must be a date (YYYY-MM-DD), got {str(value)[:40]!r}"
        ) from None


def _legacy_field(signature: Any) -> str | None:
    """The field of a format-1 signature that lists JSON pointers (`/data/0/x, /data/1/x`)."""
    if not isinstance(signature, str):
        return None
    pointers = [part.strip() for part in signature.split(",")]
    if not pointers or not all(p.startswith("/") and " " not in p for p in pointers):
        return None
    fields = {_INDEX.sub("/*", pointer) for pointer in pointers}
    return fields.pop() if len(fields) == 1 else None


def _entry(raw: Any, where: str, legacy: bool) -> Acceptance:
    if not isinstance(raw, Mapping):
        raise BaselineError(f"{where}: expected an object")
    operation = _text(raw, "operation", where, required=True)
    check = _text(raw, "check", where, required=True)
    reason = _text(raw, "reason", where, required=True)
    assert operation is not None
    assert check is not None
    assert reason is not None
    if legacy:
        return Acceptance(
            operation,
            check,
            reason,
            _date(raw, where),
            _legacy_field(raw.get("signature")),
            legacy=True,
        )
    return Acceptance(
        operation,
        check,
        reason,
        _date(raw, where),
        field=_text(raw, "field", where, required=False),
        status=_text(raw, "status", where, required=False),
        media=_text(raw, "media", where, required=False),
        rule=_text(raw, "rule", where, required=False),
    )


def parse_baseline(data: Any, path: Path) -> Baseline:
    """Validate a parsed file; BaselineError (one line, naming the file) otherwise."""
    if not isinstance(data, Mapping):
        raise BaselineError(f"{path}: expected a JSON object with `entries`")
    legacy = data.get("format_version") == 1 and "format" not in data
    if not legacy and data.get("format") != FORMAT:
        raise BaselineError(
            f"{path}: expected `format: {FORMAT}` (or the previous `format_version: 1`)"
        )
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: `entries` must be a list")
    return Baseline(
        path, tuple(_entry(e, f"{path}: entries[{i}]", legacy) for i, e in enumerate(entries))
    )


def load_baseline(path: Path) -> Baseline:
    """Read an accepted-drift file (a regular file, at most 4 MiB)."""
    raw = read_regular_file(path, MAX_BASELINE_BYTES, BaselineError)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BaselineError(f"{path}: not valid JSON ({type(exc).__name__})") from None
    return parse_baseline(data, path)


def entry_for(identity: Mapping[str, str], reason: str = "", expires: str = "") -> dict[str, str]:
    """What to paste into the file to accept a finding (fill in `reason` and `expires`)."""
    wanted: Sequence[str] = ("operation", "check", "field", "status", "media", "rule")
    entry = {name: identity[name] for name in wanted if identity.get(name)}
    entry["reason"] = reason or "why this drift is acceptable"
    entry["expires"] = expires or "YYYY-MM-DD"
    return entry
