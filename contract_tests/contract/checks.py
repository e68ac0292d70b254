"""Our own schemathesis checks, for what the built-in ones cannot say about this API.

- `auth_enforced` replaces `ignored_auth`, which wants 401/403: the spec says this API refuses a
  missing key with HTTP 400 code 1 and a wrong key with HTTP 400 code 10. Once per operation,
  an accepted request is replayed without the key and with a wrong key.
- `additive_drift` flags JSON fields the spec does not describe. The spec leaves objects open
  (the client must tolerate a new field), so `response_schema_conformance` cannot see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import schemathesis
import yaml
from schemathesis.core.failures import Failure

# Private helpers of the pinned schemathesis (4.32.5), the ones its own `ignored_auth` uses to
# replay a request without its credentials; re-check them when upgrading.
from schemathesis.specs.openapi._auth_retry import (
    get_security_parameters,
    remove_auth,
    send_probe,
)

from contract_tests.spec_loader import SPEC_PATH

API_KEY = "apiKey"
WRONG_KEY = "contract-run-wrong-key"
ADDITIVE_CODE = "ST990"
AUTH_CODE = "ST991"
_registered = False
_auth_confirmed: set[str] = set()


class AdditiveDrift(Failure):
    """An answer carries a field the spec does not describe (non-breaking for the client)."""

    code = ADDITIVE_CODE
    kind_title = "Additive drift: undocumented field"


class AuthNotEnforced(Failure):
    """A request without the key, or with a wrong one, did not get the documented error."""

    code = AUTH_CODE
    kind_title = "Authentication not enforced as documented"


def _load_spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


_SPEC: dict[str, Any] = _load_spec()


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        node: Any = _SPEC
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _known(schema: Mapping[str, Any]) -> tuple[set[str], list[Mapping[str, Any]]]:
    """Property names of an object schema and its alternatives (anyOf/oneOf/allOf)."""
    schema = _resolve(schema)
    names = set(schema.get("properties", {}))
    parts = [schema]
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key, []):
            more, members = _known(member)
            names |= more
            parts += members
    return names, parts


def undocumented_fields(value: Any, schema: Mapping[str, Any], pointer: str = "") -> Iterator[str]:
    """JSON pointers of the object keys in `value` that `schema` does not describe."""
    names, parts = _known(schema)
    if isinstance(value, dict):
        if not names:
            return
        for key, item in value.items():
            here = f"{pointer}/{key}"
            if key not in names:
                yield here
                continue
            for part in parts:
                if key in part.get("properties", {}):
                    yield from undocumented_fields(item, part["properties"][key], here)
                    break
    elif isinstance(value, list):
        for part in parts:
            if "items" in part and isinstance(part["items"], Mapping):
                for index, item in enumerate(value):
                    yield from undocumented_fields(item, part["items"], f"{pointer}/{index}")
                return


def _response_schema(case: Any, status: int) -> Mapping[str, Any] | None:
    operation = _SPEC["paths"][case.operation.path][case.operation.method.lower()]
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    content = _resolve(response).get("content", {})
    media = content.get("application/json")
    return None if media is None else media.get("schema")


def additive_drift(ctx: Any, response: Any, case: Any) -> bool | None:
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        return None
    schema = _response_schema(case, response.status_code)
    if schema is None:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # not JSON: content-type and schema checks report it
    extra = sorted(set(undocumented_fields(body, schema)))
    if extra:
        raise AdditiveDrift(
            operation=case.operation.label,
            message=f"Fields not in the spec: {', '.join(extra)}",
        )
    return None


def _error_code(response: Any) -> Any:
    try:
        return json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None


def auth_enforced(ctx: Any, response: Any, case: Any) -> bool | None:
    label = case.operation.label
    accepted = 200 <= response.status_code < 300
    if not accepted:
        return None
    query = case.query or {}
    if not query.get(API_KEY):
        raise AuthNotEnforced(operation=label, message="Accepted a request without `apiKey`")
    if label in _auth_confirmed:
        return None
    security = get_security_parameters(case.operation)
    for wrong, expected in ((None, 1), (WRONG_KEY, 10)):
        probe = remove_auth(case, security)
        probe.query = {**(probe.query or {}), "_format": "json"}
        if wrong is not None:
            probe.query[API_KEY] = wrong
        answer = send_probe(ctx, case, probe)
        code = _error_code(answer)
        if 200 <= answer.status_code < 300 or code != expected:
            what = "without `apiKey`" if wrong is None else "with a wrong `apiKey`"
            raise AuthNotEnforced(
                operation=label,
                message=(
                    f"A request {what} got HTTP {answer.status_code} with code {code!r}; "
                    f"the spec says HTTP 400 with code {expected}"
                ),
            )
    _auth_confirmed.add(label)
    return None


def reset() -> None:
    """Forget the operations whose auth was confirmed (one confirmation per run)."""
    _auth_confirmed.clear()


def register() -> None:
    """Register both checks once per process (registration is global in schemathesis)."""
    global _registered
    if _registered:
        return
    schemathesis.check(additive_drift)
    schemathesis.check(auth_enforced)
    _registered = True
