"""What the runner knows about the API, read from the spec's `x-` extensions (never from code).

The spec states facts next to what they describe; this module reads them once into plain data,
so that no other module names an operation, a parameter or a code of the API:

- `x-envelope` (the root): the fields of every answer's envelope (`success`, `code`,
  `message`), the code a success may carry, the codes that refuse the account;
- `x-documented-errors` (an operation): each documented error situation and its code:
  `credential-missing`, `credential-wrong`, `parameter-missing`, `parameter-unknown` (these
  two with `parameter`);
- `x-probe` (an operation): its answer tells whether the target is the API and takes the key
  (the run's first request);
- `x-answer-format` (a parameter): it chooses the answer's encoding: value -> media type;
- `x-secret` (a parameter): its value grants access: masked like the key everywhere;
- `x-credential` (a parameter): a value only the user can give (`env`: the variable);
- `x-personal-data` (a schema): its values are personal data (`phone`, `email`, `name`),
  masked wherever they go;
- `x-counts` (a schema): an integer that counts the entries of a sibling array field;
- `x-max-answer-bytes` (an operation): its answer grows without bound (the body cap).

The API key is the spec's `apiKey` security scheme (in: query); its parameter name is read from
there. `make lint` checks these extensions (`check_facts`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from smspartner_contract import refs

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SITUATIONS = ("credential-missing", "credential-wrong", "parameter-missing", "parameter-unknown")
PERSONAL_KINDS = ("phone", "email", "name")


class FactError(ValueError):
    """An extension the runner cannot read; the message is one line naming the place."""


@dataclass(frozen=True)
class Situation:
    """One documented error situation of an operation and the code the docs give it."""

    code: int
    when: str
    parameter: str | None = None

    def describe(self, key_name: str) -> str:
        """`without apiKey`, `with an unknown token`... (for people)."""
        what = self.parameter or key_name
        return {
            "credential-missing": f"without {what}",
            "credential-wrong": f"with a wrong {what}",
            "parameter-missing": f"without {what}",
            "parameter-unknown": f"with an unknown {what}",
        }[self.when]


@dataclass(frozen=True)
class Parameter:
    """A query parameter of an operation and what the spec says about it."""

    name: str
    required: bool
    secret: bool = False
    credential: str | None = None
    """The environment variable that gives its value (`x-credential.env`)."""
    formats: Mapping[str, str] = field(default_factory=dict)
    """For the answer-format parameter: value -> media type."""
    enum: tuple[Any, ...] | None = None
    guess: str | None = None
    """The ledger id when what an unsupported value gets is a guess."""


@dataclass(frozen=True)
class Operation:
    """One operation: label, path, parameters and documented errors."""

    method: str
    path: str
    id: str
    parameters: tuple[Parameter, ...]
    errors: tuple[Situation, ...]
    probe: bool = False
    max_answer_bytes: int | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def format_parameter(self) -> Parameter | None:
        return next((p for p in self.parameters if p.formats), None)

    @property
    def credentials(self) -> tuple[Parameter, ...]:
        """Required parameters whose value only the user can give."""
        return tuple(p for p in self.parameters if p.credential)

    def situation(self, when: str, parameter: str | None = None) -> Situation | None:
        return next((s for s in self.errors if s.when == when and s.parameter == parameter), None)


@dataclass(frozen=True)
class Envelope:
    """The fields every answer of the API shares."""

    success: str
    code: str
    message: str
    success_code: int | None = None
    refused_account_codes: frozenset[int] = frozenset()

    def of(self, value: Any, positional: bool = False) -> tuple[bool, Any] | None:
        """(success flag, code) of a decoded answer shaped like the API's, else None.

        Positional (XML) answers hold the flag first and the code second.
        """
        if positional:
            if isinstance(value, list) and value and isinstance(value[0], bool):
                return value[0], value[1] if len(value) > 1 else None
            return None
        if isinstance(value, dict) and isinstance(value.get(self.success), bool):
            return value[self.success], value.get(self.code)
        return None

    def is_error(self, found: tuple[bool, Any] | None) -> bool:
        """An error envelope: the flag false and an integer code other than the success code
        (a success answer flipped to `success: false` is not an error)."""
        if found is None or found[0] is not False:
            return False
        code = found[1]
        return isinstance(code, int) and not isinstance(code, bool) and code != self.success_code


@dataclass(frozen=True)
class Facts:
    """Everything the runner reads from the spec's extensions."""

    key_name: str
    envelope: Envelope
    operations: tuple[Operation, ...]
    personal: Mapping[str, str]
    """Schema pointer (`#/components/schemas/X`) -> personal-data kind."""

    @property
    def probe(self) -> Operation:
        return next((op for op in self.operations if op.probe), self.operations[0])

    def operation(self, label: str) -> Operation | None:
        return next((op for op in self.operations if op.label == label), None)

    @property
    def secret_parameters(self) -> frozenset[str]:
        return frozenset(p.name for op in self.operations for p in op.parameters if p.secret)


def iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(METHOD, path, operation) of every operation of the spec."""
    for path, item in spec.get("paths", {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                yield method.upper(), str(path), item[method]


def _fail(where: str, problem: str) -> FactError:
    return FactError(f"spec {where}: {problem}")


OPENAPI_API_KEY_TYPE = "apiKey"
"""OpenAPI's security scheme type for a key in the query, header or cookie (a keyword of
OpenAPI, not a name of this API)."""


def api_key_schemes(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The spec's security schemes of OpenAPI type `apiKey`, by scheme name."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    return {
        str(name): scheme
        for name, scheme in schemes.items()
        if isinstance(scheme, Mapping) and scheme.get("type") == OPENAPI_API_KEY_TYPE
    }


def _key_name(spec: Mapping[str, Any]) -> str:
    for scheme in api_key_schemes(spec).values():
        if scheme.get("in") != "query":
            raise _fail("securitySchemes", "the API key must be sent in the query")
        return str(scheme["name"])
    raise _fail("securitySchemes", "no security scheme of type apiKey")


def _envelope(spec: Mapping[str, Any]) -> Envelope:
    data = spec.get("x-envelope")
    if not isinstance(data, Mapping):
        raise _fail("x-envelope", "missing (the fields every answer shares)")
    try:
        return Envelope(
            success=str(data["success"]),
            code=str(data["code"]),
            message=str(data.get("message", "message")),
            success_code=data.get("success-code"),
            refused_account_codes=frozenset(int(c) for c in data.get("refused-account-codes", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(
            "x-envelope", f"expected success, code (and message, success-code): {exc}"
        ) from None


def _parameter(spec: Mapping[str, Any], raw: Any, where: str) -> Parameter:
    node = refs.resolve(spec, raw)
    schema = refs.resolve(spec, node.get("schema", {}))
    formats = node.get("x-answer-format", {})
    credential = node.get("x-credential")
    if credential is not None and not (
        isinstance(credential, Mapping) and isinstance(credential.get("env"), str)
    ):
        raise _fail(f"{where} x-credential", "expected {env: VARIABLE, description: ...}")
    mark = node.get("x-unconfirmed")
    enum = schema.get("enum") if isinstance(schema, Mapping) else None
    return Parameter(
        name=str(node.get("name")),
        required=bool(node.get("required")),
        secret=node.get("x-secret") is True,
        credential=None if credential is None else str(credential["env"]),
        formats={str(k): str(v) for k, v in formats.items()}
        if isinstance(formats, Mapping)
        else {},
        enum=tuple(enum) if isinstance(enum, list) else None,
        guess=str(mark["id"]) if isinstance(mark, Mapping) and "id" in mark else None,
    )


def _situations(raw: Any, where: str, names: set[str]) -> tuple[Situation, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(f"{where} x-documented-errors", "expected a list")
    found = []
    for index, item in enumerate(raw):
        place = f"{where} x-documented-errors[{index}]"
        if not isinstance(item, Mapping) or item.get("when") not in SITUATIONS:
            raise _fail(place, f"expected {{code, when: {' | '.join(SITUATIONS)}}}")
        code = item.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            raise _fail(place, "code: expected an integer")
        parameter = item.get("parameter")
        if item["when"].startswith("parameter-") and parameter not in names:
            raise _fail(place, f"parameter: expected one of the operation's ({sorted(names)})")
        found.append(Situation(code, str(item["when"]), parameter))
    return tuple(found)


def _personal(spec: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        kind = schema.get("x-personal-data") if isinstance(schema, Mapping) else None
        if kind is None:
            continue
        if kind not in PERSONAL_KINDS:
            raise _fail(f"schemas/{name} x-personal-data", f"expected {' | '.join(PERSONAL_KINDS)}")
        found[f"#/components/schemas/{refs.escape(str(name))}"] = str(kind)
    return found


def read_facts(spec: Mapping[str, Any]) -> Facts:
    """The facts of a spec; FactError (one line) when an extension is malformed."""
    operations = []
    for method, path, operation in iter_operations(spec):
        where = f"{method} {path}"
        parameters = tuple(_parameter(spec, raw, where) for raw in operation.get("parameters", []))
        names = {p.name for p in parameters}
        size = operation.get("x-max-answer-bytes")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise _fail(f"{where} x-max-answer-bytes", "expected a positive integer")
        operations.append(
            Operation(
                method=method,
                path=path,
                id=str(operation.get("operationId", where)),
                parameters=parameters,
                errors=_situations(operation.get("x-documented-errors"), where, names),
                probe=operation.get("x-probe") is True,
                max_answer_bytes=size,
            )
        )
    if not operations:
        raise _fail("paths", "no operation")
    return Facts(
        key_name=_key_name(spec),
        envelope=_envelope(spec),
        operations=tuple(operations),
        personal=_personal(spec),
    )


_CACHE: dict[int, tuple[Mapping[str, Any], Facts]] = {}


def facts_of(spec: Mapping[str, Any]) -> Facts:
    """`read_facts`, once per spec object (the spec is kept, so its id is not reused)."""
    found = _CACHE.get(id(spec))
    if found is None or found[0] is not spec:
        if len(_CACHE) > 16:
            _CACHE.clear()
        found = (spec, read_facts(spec))
        _CACHE[id(spec)] = found
    return found[1]
