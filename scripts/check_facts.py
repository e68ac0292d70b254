"""Check the spec's `x-` extensions that state the API's facts (smspartner_contract.facts).

    python -m scripts.check_facts spec/smspartner.yaml

Every extension is read as the runner reads it: a malformed one (an unknown situation, a
parameter that is not the operation's, a personal-data kind the kit does not know, no
`x-envelope`) is one line and exit 1, in `make lint`, before any run meets it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smspartner_contract.facts import FactError, read_facts
from smspartner_contract.refs import RefError
from smspartner_contract.spec import SpecError, spec_data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path("spec/smspartner.yaml")
    try:
        facts = read_facts(spec_data(path))
    except (FactError, RefError, SpecError) as exc:
        print(f"{path.name}: {exc}", file=sys.stderr)
        return 1
    situations = sum(len(op.errors) for op in facts.operations)
    print(
        f"{path.name}: facts read: {len(facts.operations)} operation(s), {situations} documented "
        f"error situation(s), probe {facts.probe.label}, "
        f"{len(facts.personal)} personal-data schema(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
