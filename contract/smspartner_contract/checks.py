"""Our checks, for what schemathesis's built-in ones cannot say about this API.

Each is a pure function of the request that was sent and the answer (no request of its own),
so a recorded run can be re-checked offline with the same result.

- `documented_error_codes`: the situations the pages document get their documented code: no
  `apiKey` gives 1, the run's wrong key gives 10, no `token` gives 31, the run's unknown
  rental token gives 32 (`ignored_auth` cannot say this: it insists on 401/403). The status is
  not judged here (it is a guess: `status_code_conformance` and the ledger grade it).
- `additive_drift`: JSON fields the spec does not describe, and trailing XML `<entry>` elements
  past the documented positions. The spec leaves objects open, so schema checks cannot see
  them; a positional reader ignores trailing entries. Both are additive (exit 3).
- `nb_data_consistency`: the stop list's `nbData` is the number of entries in `data`. What
  `nbData` means is a guess of the ledger: the failure names the guess while it is marked.

The `filter_failure` hook registered here drops the `response_schema_conformance` failure of an
XML answer whose only fault is trailing entries (the spec's `*Xml` schemas say `items: false`):
`additive_drift` reports it once, as additive; any other fault in that answer stays.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import schemathesis
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure

from smspartner_contract.ledger import error_response, mark_at, resolve
from smspartner_contract.positional_xml import PositionalXmlError, decode

API_KEY = "apiKey"
TOKEN = "token"  # noqa: S105 (a parameter name)
FORMAT = "_format"
WRONG_KEY = "contract-run-wrong-key"
"""The deliberately wrong key the probe plan sends (public: never masked)."""
UNKNOWN_TOKEN = "contract-run-unknown-rental"  # noqa: S105 (a token no account has)
"""The rental token the probe plan sends to get code 32 (public: never masked)."""
JSON, XML = "application/json", "application/xml"
XML_TYPES = frozenset({XML, "text/xml"})
ADDITIVE_CODE, CODES_CODE, COUNT_CODE = "ST990", "ST991", "ST992"
CHECK_NAMES = ("documented_error_codes", "additive_drift", "nb_data_consistency")
_SPEC_URI = "urn:smspartner-spec"
_registered = False


class AdditiveDrift(Failure):
    """An answer carries a field the spec does not describe (not breaking for the client)."""

    code = ADDITIVE_CODE
    checks = ("additive_drift",)
    kind_title = "Additive drift: undocumented field"

    def __init__(self, *, operation: str, pointers: list[str], xml: bool) -> None:
        what = "XML entries" if xml else "Fields"
        super().__init__(
            operation=operation, message=f"{what} not in the spec: {', '.join(pointers)}"
        )
        self.field = ", ".join(pointers)

    @property
    def _unique_key(self) -> str:
        return self.field


class WrongErrorCode(Failure):
    """A documented situation did not get its documented error code."""

    code = CODES_CODE
    checks = ("documented_error_codes",)
    kind_title = "Documented error code not answered"

    def __init__(self, *, operation: str, message: str, expected: int, seen: str) -> None:
        super().__init__(operation=operation, message=message)
        self.expected = f"error code {expected}"
        self.observed = seen
        self.field = "/code"

    @property
    def _unique_key(self) -> str:
        return f"{self.expected}|{self.observed}"


class NbDataMismatch(Failure):
    """The stop list's `nbData` is not the number of entries in `data`."""

    code = COUNT_CODE
    checks = ("nb_data_consistency",)
    kind_title = "nbData disagrees with data"

    def __init__(self, *, operation: str, field: str, count: int, entries: int) -> None:
        super().__init__(
            operation=operation, message=f"nbData is {count} but data holds {entries} entries"
        )
        self.field = field
        self.expected = f"nbData = {entries} (the number of entries in data)"
        self.observed = f"nbData = {count}"

    @property
    def _unique_key(self) -> str:
        return self.field


# ---- what was sent and what came back -----------------------------------------------------------


def sent_query(response: Response) -> dict[str, str]:
    """The query string actually sent (the engine adds `apiKey` outside `case.query`)."""
    url = getattr(response.request, "url", "") or ""
    return dict(parse_qsl(urlsplit(str(url)).query, keep_blank_values=True))


def media_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return str(values[0]).split(";")[0].strip().lower()


def decode_body(media: str, body: bytes) -> tuple[str, Any] | None:
    """("json"|"xml", value) of a body that decodes as its media type says, else None."""
    try:
        if media == JSON or media.endswith("+json"):
            return "json", json.loads(body)
        if media in XML_TYPES:
            return "xml", decode(body)
    except (ValueError, PositionalXmlError, RecursionError):
        return None
    return None


def lenient_decode(body: bytes) -> tuple[str, Any] | None:
    """The body as JSON, else as positional XML, whatever its label says (None: neither)."""
    try:
        return "json", json.loads(body)
    except (ValueError, RecursionError):
        pass
    try:
        return "xml", decode(body)
    except PositionalXmlError:
        return None


def decoded_body(response: Response) -> tuple[str, Any] | None:
    """A schemathesis answer's body decoded as its media type says."""
    return decode_body(media_type(response), response.content)


def envelope_of(decoded: tuple[str, Any] | None) -> tuple[bool, Any] | None:
    """(success flag, code) of a decoded body shaped like the API's answers, else None."""
    if decoded is None:
        return None
    kind, body = decoded
    if kind == "json" and isinstance(body, dict) and isinstance(body.get("success"), bool):
        return body["success"], body.get("code")
    if kind == "xml" and isinstance(body, list) and body and isinstance(body[0], bool):
        return body[0], body[1] if len(body) > 1 else None
    return None


def is_error(found: tuple[bool, Any] | None) -> bool:
    """Whether an envelope is an error: `success: false` and an integer code other than 200
    ("Tout s'est bien passé": a success answer flipped to `success: false` is not an error)."""
    if found is None or found[0] is not False:
        return False
    code = found[1]
    return isinstance(code, int) and not isinstance(code, bool) and code != 200


# ---- the spec as the checks read it --------------------------------------------------------------


def _spec(case: Case[Any]) -> Mapping[str, Any]:
    raw: Mapping[str, Any] = case.operation.schema.raw_schema
    return raw


def media_schema(
    spec: Mapping[str, Any], path: str, method: str, status: int, media: str
) -> Mapping[str, Any] | None:
    """The spec's schema of one answer (operation, status, media type), or None."""
    operation = spec.get("paths", {}).get(path, {}).get(method.lower())
    if operation is None:
        return None
    response = operation.get("responses", {}).get(str(status))
    if response is None:
        return None
    found = resolve(spec, response).get("content", {}).get(media)
    return None if found is None else found.get("schema")


def error_status(spec: Mapping[str, Any], path: str, method: str) -> int | None:
    """The documented status of the operation's error answer (an error envelope at a success
    status is compared with the error schema, not the success one)."""
    found = error_response(spec.get("paths", {}).get(path, {}).get(method.lower(), {}))
    return int(found[0]) if found else None


def _known(spec: Mapping[str, Any], schema: Any) -> tuple[set[str], list[Mapping[str, Any]]]:
    """Property names of an object schema and its alternatives (anyOf/oneOf/allOf)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return set(), []
    names = set(schema.get("properties", {}))
    parts = [schema]
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key, []):
            more, members = _known(spec, member)
            names |= more
            parts += members
    return names, parts


def undocumented_fields(
    spec: Mapping[str, Any], value: Any, schema: Any, pointer: str = ""
) -> Iterator[str]:
    """JSON pointers of the object keys in `value` that `schema` does not describe."""
    names, parts = _known(spec, schema)
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
                    yield from undocumented_fields(spec, item, part["properties"][key], here)
                    break
    elif isinstance(value, list):
        for part in parts:
            if isinstance(part.get("items"), Mapping):
                for index, item in enumerate(value):
                    yield from undocumented_fields(spec, item, part["items"], f"{pointer}/{index}")
                return


def extra_entries(
    spec: Mapping[str, Any], value: Any, schema: Any, pointer: str = ""
) -> Iterator[str]:
    """JSON pointers of the positional XML entries past the fields `schema` describes."""
    schema = resolve(spec, schema)
    if not isinstance(value, list) or not isinstance(schema, Mapping):
        return
    prefix = schema.get("prefixItems", [])
    rest = schema.get("items")
    for index, item in enumerate(value):
        here = f"{pointer}/{index}"
        if index < len(prefix):
            yield from extra_entries(spec, item, prefix[index], here)
        elif rest is False and "prefixItems" in schema:
            yield here
        elif isinstance(rest, Mapping):
            yield from extra_entries(spec, item, rest, here)


def without_extra_entries(spec: Mapping[str, Any], value: Any, schema: Any) -> Any:
    """`value` cut back to the positional entries `schema` describes."""
    schema = resolve(spec, schema)
    if not isinstance(value, list) or not isinstance(schema, Mapping):
        return value
    prefix = schema.get("prefixItems", [])
    rest = schema.get("items")
    kept = []
    for index, item in enumerate(value):
        if index < len(prefix):
            kept.append(without_extra_entries(spec, item, prefix[index]))
        elif rest is False and "prefixItems" in schema:
            break
        elif isinstance(rest, Mapping):
            kept.append(without_extra_entries(spec, item, rest))
        else:
            kept.append(item)
    return kept


def explained_by_additive(case: Case[Any], response: Response) -> bool:
    """True when an XML answer only breaks its schema by trailing entries (additive drift)."""
    spec = _spec(case)
    operation = case.operation
    schema = media_schema(spec, operation.path, operation.method, response.status_code, XML)
    decoded = decoded_body(response)
    if schema is None or "$ref" not in schema or decoded is None or decoded[0] != "xml":
        return False
    body = decoded[1]
    if not list(extra_entries(spec, body, schema)):
        return False
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(dict(spec), default_specification=DRAFT202012)
    )
    validator = Draft202012Validator({"$ref": _SPEC_URI + schema["$ref"]}, registry=registry)
    return bool(validator.is_valid(without_extra_entries(spec, body, schema)))


# ---- the checks -------------------------------------------------------------------------------


def additive_drift(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Undocumented JSON fields and trailing XML entries, reported as additive drift."""
    decoded = decoded_body(response)
    if decoded is None:
        return None
    kind, body = decoded
    media = JSON if kind == "json" else XML
    spec = _spec(case)
    operation = case.operation
    status = response.status_code
    if is_error(envelope_of(decoded)) and 200 <= status < 300:
        status = error_status(spec, operation.path, operation.method) or status
    schema = media_schema(spec, operation.path, operation.method, status, media)
    if schema is None:
        return None
    if kind == "json":
        extra = sorted(set(undocumented_fields(spec, body, schema)))
    else:
        extra = list(extra_entries(spec, body, schema))
    if extra:
        raise AdditiveDrift(operation=operation.label, pointers=extra, xml=kind == "xml")
    return None


def nb_data_consistency(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """`nbData` counts the entries of `data` (the stop list's success answer, JSON or XML)."""
    if case.operation.path != "/stop-sms/list":
        return None
    decoded = decoded_body(response)
    if decoded is None:
        return None
    kind, body = decoded
    try:
        if kind == "json":
            if body.get("success") is not True:
                return None
            count, data, field = body.get("nbData"), body.get("data"), "/nbData"
        else:
            if body[0] is not True:
                return None
            count, data, field = body[2], body[3], "/2"
    except (AttributeError, IndexError, TypeError, KeyError):
        return None  # the shape is response_schema_conformance's to report
    countable = isinstance(count, int) and not isinstance(count, bool) and isinstance(data, list)
    if countable and count != len(data):
        raise NbDataMismatch(
            operation=case.operation.label, field=field, count=count, entries=len(data)
        )
    return None


def expected_code(operation_path: str, query: Mapping[str, str], formats: list[Any]) -> int | None:
    """The documented error code of a request, when the pages document its situation."""
    fmt = query.get(FORMAT)
    if fmt is not None and fmt not in formats:
        return None  # what an unsupported _format gets is a guess, not a documented code
    key = query.get(API_KEY)
    if not key:
        return 1
    if key == WRONG_KEY:
        return 10
    if operation_path == "/location/status":
        if TOKEN not in query:
            return 31
        if query[TOKEN] == UNKNOWN_TOKEN:
            return 32
    return None


def documented_error_codes(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No key gives 1, a wrong key 10, no token 31, an unknown rental 32 (any HTTP status)."""
    spec = _spec(case)
    formats = resolve(spec, {"$ref": "#/components/parameters/format"}).get("schema", {})
    query = sent_query(response)
    wanted = expected_code(case.operation.path, query, list(formats.get("enum", ["json", "xml"])))
    if wanted is None:
        return None
    found = envelope_of(decoded_body(response))
    if found is None:
        return None  # not decodable: the content-type and schema checks report it
    success, code = found
    if success is True:
        seen = f"HTTP {response.status_code} with success: true"
    elif code != wanted:
        seen = f"code {code!r}"
    else:
        return None
    situations = {1: "without `apiKey`", 10: "with a wrong `apiKey`", 31: "without `token`"}
    situation = situations.get(wanted, "with an unknown rental `token`")
    raise WrongErrorCode(
        operation=case.operation.label,
        message=f"A request {situation} got {seen}; the docs give error code {wanted}",
        expected=wanted,
        seen=seen,
    )


def nb_data_assumption(spec: Mapping[str, Any]) -> str | None:
    """The ledger id of the guess that `nbData` counts `data` (None once confirmed)."""
    stop_list = spec.get("components", {}).get("schemas", {}).get("StopList", {})
    return mark_at(spec, stop_list.get("properties", {}).get("nbData"))


def _keep_unless_trailing_entries(
    ctx: Any, failure: Failure, case: Case[Any], response: Any
) -> bool:
    """`filter_failure` hook: drop a schema failure that only trailing XML entries cause."""
    if "response_schema_conformance" not in type(failure).checks:
        return True
    return not explained_by_additive(case, response)


def register() -> None:
    """Register our checks and the failure filter once per process (schemathesis is global)."""
    global _registered
    if _registered:
        return
    schemathesis.check(additive_drift)
    schemathesis.check(documented_error_codes)
    schemathesis.check(nb_data_consistency)
    schemathesis.hook("filter_failure")(_keep_unless_trailing_entries)
    _registered = True
