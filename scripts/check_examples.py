"""`make lint` step: validate every example of the spec against its schema (XML included).

Every `$ref` of the spec is followed first, by the kit's one resolver (`smspartner_contract.refs`):
a loop or a dead end is one line and exit 1, before any example is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smspartner_contract.refs import RefError
from smspartner_contract.spec import SPEC_PATH, SpecError, load_spec

from contract_tests.spec_examples import find_example_problems
from scripts.json_only_view import check_refs


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SPEC_PATH
    try:
        spec = load_spec(path)
        check_refs(spec.data)
    except SpecError as error:
        print(error, file=sys.stderr)
        return 1
    except RefError as error:
        print(f"{path.name}: {error}", file=sys.stderr)
        return 1
    problems = find_example_problems(spec)
    for problem in problems:
        print(f"example error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{path.name}: every example matches its schema")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
