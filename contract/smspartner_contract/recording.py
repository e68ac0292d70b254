"""A run's record to a recording and back (the format: `smspartner_emulator.recording`).

The record is masked already (`Privacy.admit`): writing is dumping, verified like every output
(`Outputs.write`), and marked incomplete when the run was cut short, unusable or interrupted,
so that tomorrow's `compare` does not take it for what the API answered.
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from pathlib import Path

from smspartner_emulator.recording import Cassette, dump_cassette, load_cassette

from smspartner_contract import engine
from smspartner_contract.model import Record
from smspartner_contract.privacy import Outputs

CASSETTE = "cassette.yaml"


def _versions() -> dict[str, str]:
    try:
        kit = metadata.version("smspartner-contract")
    except metadata.PackageNotFoundError:
        kit = "unknown"
    return {"smspartner-contract": kit, "schemathesis": engine.version()}


def to_cassette(record: Record, spec_version: str) -> Cassette:
    """The recording of a run (its exchanges are masked already)."""
    return Cassette(
        target=record.target,
        mode=record.mode,
        spec_version=spec_version,
        recorded_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        recorded_with=_versions(),
        interactions=list(record.interactions),
        run={
            "rental_token": record.rental_token,
            "requests": record.requests,
            "seconds": round(record.seconds, 3),
            "gaps": list(record.gaps),
            "errors": list(record.errors),
            "stopped": record.stopped,
            "interrupted": record.interrupted,
            "unusable": record.unusable,
        },
        complete=record.complete,
    )


def write_cassette(record: Record, spec_version: str, outputs: Outputs) -> Path:
    """Write the recording (verified first: OutputRefused if it would hold a real value)."""
    return outputs.write(CASSETTE, dump_cassette(to_cassette(record, spec_version)))


def to_record(cassette: Cassette) -> Record:
    """The record a replay grades: the recording's exchanges and how its run ended."""
    run = cassette.run
    interrupted = run.get("interrupted")
    return Record(
        target=cassette.target,
        mode=cassette.mode,
        rental_token=bool(run.get("rental_token", False)),
        interactions=list(cassette.interactions),
        requests=int(run.get("requests", len(cassette.interactions))),
        gaps=[str(gap) for gap in run.get("gaps", [])],
        errors=[str(error) for error in run.get("errors", [])],
        stopped=None if run.get("stopped") is None else str(run["stopped"]),
        interrupted=int(interrupted) if isinstance(interrupted, int) else None,
        unusable=bool(run.get("unusable", False)),
        seconds=0.0,
        replay_of=cassette,
    )


def read_record(path: Path) -> Record:
    return to_record(load_cassette(path))
