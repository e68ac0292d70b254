"""Our own schemathesis checks, for what the built-in ones cannot say about this API.

- `auth_enforced` replaces `ignored_auth`, which wants 401/403: the spec says this API refuses a
  missing key with HTTP 400 code 1 and a wrong key with HTTP 400 code 10. Once per operation,
  an accepted request is replayed without the key and with a wrong key.
- `additive_drift` flags JSON fields the spec does not describe. The spec leaves objects open
  (the client must tolerate a new field), so `response_schema_conformance` cannot see them.
  In XML it flags trailing `<entry>` elements past the spec's positional fields: a positional
  reader ignores them, so they are additive too. The spec's `*Xml` schemas say `items: false`,
  so `response_schema_conformance` also fails on them; the run drops that failure when the
  answer, cut back to its documented entries, validates (`explained_by_additive`), so such an
  answer is reported once, as additive, and any other problem in it stays breaking.
- `nb_data_consistency`: the stop list's `nbData` is the number of entries in `data` (spec
  description); JSON Schema cannot say that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import schemathesis
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure

# Private helpers of the pinned schemathesis (4.32.5), the ones its own `ignored_auth` uses to
# replay a request without its credentials; re-check them when upgrading.
from schemathesis.specs.openapi._auth_retry import (
    get_security_parameters,
    remove_auth,
    send_probe,
)

from contract_tests.positional_xml import PositionalXmlError, decode
from contract_tests.spec_loader import SPEC_PATH

API_KEY = "apiKey"
WRONG_KEY = "contract-run-wrong-key"
ADDITIVE_CODE = "ST990"
AUTH_CODE = "ST991"
COUNT_CODE = "ST992"
JSON, XML = "application/json", "application/xml"
_SPEC_URI = "urn:smspartner-spec"
_registered = False
_auth_confirmed: set[str] = set()


class AdditiveDrift(Failure):
    """An answer carries a field the spec does not describe (non-breaking for the client)."""

    code = ADDITIVE_CODE
    kind_title = "Additive drift: undocumented field"

    def __init__(self, *, operation: str, pointers: list[str], xml: bool) -> None:
        what = "XML entries" if xml else "Fields"
        super().__init__(
            operation=operation, message=f"{what} not in the spec: {', '.join(pointers)}"
        )
        self.field = ", ".join(pointers)


class AuthNotEnforced(Failure):
    """A request without the key, or with a wrong one, did not get the documented error."""

    code = AUTH_CODE
    kind_title = "Authentication not enforced as documented"

    def __init__(self, *, operation: str, message: str, probe_uri: str | None = None) -> None:
        super().__init__(operation=operation, message=message)
        self.probe_uri = probe_uri
        """The probe's URL: the request to reproduce (the accepted one had a good key)."""


class NbDataMismatch(Failure):
    """The stop list's `nbData` is not the number of entries in `data`."""

    code = COUNT_CODE
    kind_title = "nbData disagrees with data"

    def __init__(self, *, operation: str, field: str, message: str) -> None:
        super().__init__(operation=operation, message=message)
        self.field = field


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


def extra_entries(value: Any, schema: Mapping[str, Any], pointer: str = "") -> Iterator[str]:
    """JSON pointers of the positional XML entries past the fields `schema` describes."""
    schema = _resolve(schema)
    if not isinstance(value, list):
        return
    prefix = schema.get("prefixItems", [])
    rest = schema.get("items")
    for index, item in enumerate(value):
        here = f"{pointer}/{index}"
        if index < len(prefix):
            yield from extra_entries(item, prefix[index], here)
        elif rest is False and "prefixItems" in schema:
            yield here
        elif isinstance(rest, Mapping):
            yield from extra_entries(item, rest, here)


def without_extra_entries(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` cut back to the positional entries `schema` describes."""
    schema = _resolve(schema)
    if not isinstance(value, list):
        return value
    prefix = schema.get("prefixItems", [])
    rest = schema.get("items")
    kept = []
    for index, item in enumerate(value):
        if index < len(prefix):
            kept.append(without_extra_entries(item, prefix[index]))
        elif rest is False and "prefixItems" in schema:
            break
        elif isinstance(rest, Mapping):
            kept.append(without_extra_entries(item, rest))
        else:
            kept.append(item)
    return kept


def media_schema(path: str, method: str, status: int, media: str) -> Mapping[str, Any] | None:
    """The spec's schema of one answer (operation, status, media type), or None."""
    operation = _SPEC["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return None
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    found = _resolve(response).get("content", {}).get(media)
    return None if found is None else found.get("schema")


def json_twin(path: str, method: str, status: int, pointer: str) -> str:
    """The field names of a positional XML pointer, read from the JSON twin of its schema.

    `/3/0/1` of the stop list is `/data/0/phoneNumber`; a position past the documented fields
    is shown as `+N`.
    """
    schema = media_schema(path, method, status, JSON)
    names: list[str] = []
    for part in [p for p in pointer.split("/") if p]:
        if schema is None:
            names.append(part)
            continue
        schema = _resolve(schema)
        fields = list(schema.get("properties", {}))
        if fields:
            index = int(part) if part.isdigit() else -1
            if 0 <= index < len(fields):
                names.append(fields[index])
                schema = schema["properties"][fields[index]]
            else:
                names.append(f"+{part}")
                schema = None
        else:
            names.append(part)
            items = schema.get("items")
            schema = items if isinstance(items, Mapping) else None
    return "/" + "/".join(names)


def _media_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return str(values[0]).split(";")[0].strip().lower()


def explained_by_additive(path: str, method: str, response: Response) -> bool:
    """True when an XML answer only breaks its schema by trailing entries (additive drift)."""
    if _media_type(response) != XML:
        return False
    schema = media_schema(path, method, response.status_code, XML)
    if schema is None or "$ref" not in schema:
        return False
    try:
        body = decode(response.content)
    except PositionalXmlError:
        return False
    if not list(extra_entries(body, schema)):
        return False
    resource = Resource.from_contents(_SPEC, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    validator = Draft202012Validator({"$ref": _SPEC_URI + schema["$ref"]}, registry=registry)
    return bool(validator.is_valid(without_extra_entries(body, schema)))


def additive_drift(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    media = _media_type(response)
    if media not in (JSON, XML):
        return None
    operation = case.operation
    schema = media_schema(operation.path, operation.method, response.status_code, media)
    if schema is None:
        return None
    try:
        body: Any = json.loads(response.content) if media == JSON else decode(response.content)
    except (ValueError, PositionalXmlError):
        return None  # not decodable: content-type and schema checks report it
    if media == JSON:
        extra = sorted(set(undocumented_fields(body, schema)))
    else:
        extra = list(extra_entries(body, schema))
    if extra:
        raise AdditiveDrift(operation=operation.label, pointers=extra, xml=media == XML)
    return None


def nb_data_consistency(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """`nbData` must count the entries of `data` (the stop list's 200, JSON or XML)."""
    if case.operation.path != "/stop-sms/list" or response.status_code != 200:
        return None
    media = _media_type(response)
    body: Any
    try:
        if media == JSON:
            body = json.loads(response.content)
            count, data, field = body.get("nbData"), body.get("data"), "/nbData"
        elif media == XML:
            body = decode(response.content)
            count, data, field = body[2], body[3], "/2"
        else:
            return None
    except (ValueError, PositionalXmlError, AttributeError, IndexError, TypeError):
        return None  # shape problems are response_schema_conformance's to report
    countable = isinstance(count, int) and not isinstance(count, bool) and isinstance(data, list)
    if countable and count != len(data):
        raise NbDataMismatch(
            operation=case.operation.label,
            field=field,
            message=f"nbData is {count} but data holds {len(data)} entries",
        )
    return None


def _error_code(response: Response) -> Any:
    try:
        return json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return None


def auth_enforced(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    label = case.operation.label
    accepted = 200 <= response.status_code < 300
    if not accepted:
        return None
    query = case.query or {}
    if not query.get(API_KEY):
        raise AuthNotEnforced(operation=label, message="Accepted a request without `apiKey`")
    if label in _auth_confirmed:
        return None
    _auth_confirmed.add(label)  # probe once per operation and run, whatever the outcome
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
                probe_uri=str(answer.request.url),
            )
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
    schemathesis.check(nb_data_consistency)
    _registered = True
