"""The kit's mark: a sibling distribution that is not the kit's is refused, in one line.

The kit's three distributions (smspartner-client, smspartner-emulator, smspartner-contract)
depend on each other by name and version range. Until the names are registered on the package
index, anyone may publish a project under one of them; an installer would then bring it in
silently. Each distribution of the kit therefore carries a mark in its metadata, an entry point
`<its name> = "<its package>"` in the group `smspartner_kit`, and the emulator and the runner
check their siblings' marks when they are imported: an installed sibling without the mark
stops the program with one line on stderr and exit status 2. A sibling that is not installed
as a distribution (a checkout on sys.path) is not checked. Only the standard library is used:
nothing of the sibling is imported before it is vouched for.

The runner imports this module from the emulator it depends on (an emulator that is not the
kit's has no `_kit`: the runner refuses that too), so the guard exists once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from importlib import metadata

GROUP = "smspartner_kit"
"""The entry-point group of the mark."""
EXIT_FOREIGN = 2


def has_mark(distribution: metadata.Distribution, name: str) -> bool:
    """Whether `distribution` carries the kit's mark for `name`."""
    return any(point.name == name for point in distribution.entry_points.select(group=GROUP))


def foreign(names: Iterable[str], path: Sequence[str] | None = None) -> str | None:
    """Why one of the installed distributions `names` is not the kit's; None when all are."""
    for name in names:
        context = {"name": name} if path is None else {"name": name, "path": list(path)}
        distribution = next(iter(metadata.distributions(**context)), None)
        if distribution is not None and not has_mark(distribution, name):
            return (
                f"the installed {name} {distribution.version} is not the smspartner-contract "
                f"kit's (no '{GROUP}' mark in its metadata): install the kit's {name}"
            )
    return None


def require(program: str, names: Iterable[str]) -> None:
    """Stop with one line on stderr, exit status 2, when a sibling is not the kit's."""
    problem = foreign(names)
    if problem is not None:
        print(f"{program}: refusing to run: {problem}", file=sys.stderr)
        raise SystemExit(EXIT_FOREIGN)
