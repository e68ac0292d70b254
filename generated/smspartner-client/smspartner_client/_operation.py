"""What the client knows of one operation, read from the spec (instances are in the generated
`_spec.py`, by `METHOD /path`; the endpoint functions hand them to the client)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_KWARGS = {"query": "params", "header": "headers", "cookie": "cookies"}


@dataclass(frozen=True)
class Operation:
    """`secret_parameters`: (`in`, name) of the parameters whose values grant access
    (`x-secret: true` in the spec), masked like the key in every error and log line of a call;
    `max_answer_bytes`: the cap of the operation's success answers (`x-max-answer-bytes`), for
    an answer that grows without bound; None: the client's default cap."""

    secret_parameters: tuple[tuple[str, str], ...] = ()
    max_answer_bytes: int | None = None

    def secrets_in(self, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
        """The values of the secret parameters in a request's `kwargs` (an endpoint's
        `_get_kwargs()`)."""
        found: list[str] = []
        for location, name in self.secret_parameters:
            values = kwargs.get(_KWARGS.get(location, ""))
            value = values.get(name) if isinstance(values, Mapping) else None
            if value is not None and str(value):
                found.append(str(value))
        return tuple(found)


__all__ = ["Operation"]
