"""Checking one recorded exchange: schemathesis's checks and ours, on a rebuilt case.

A run and its replay check exactly the same thing: every exchange is first recorded
(`Interaction`: the request as sent, the answer, the case's generation metadata), then a
schemathesis `Case` and `Response` are rebuilt from the record and the checks run on them with
schemathesis's own `run_checks`. The engine itself runs with its checks off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from schemathesis import Case
from schemathesis.checks import CHECKS, CheckContext, load_all_checks, run_checks
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.generation.meta import CaseMetadata
from schemathesis.schemas import BaseSchema
from smspartner_emulator.recording import Interaction, RecordedRequest, RecordedResponse

from smspartner_contract import checks as ours

BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
)
"""schemathesis's checks that fit two read-only operations (the others need writes, several
identities or 401/403 authentication: `ignored_auth` is replaced by `documented_error_codes`)."""
CHECK_NAMES = (*BUILTIN_CHECKS, *ours.CHECK_NAMES)


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one exchange."""

    check: str
    failure: Failure


@dataclass
class Validated:
    """An exchange and what its checks said."""

    interaction: Interaction
    case: Case[Any] | None = None
    response: Response | None = None
    failures: list[CheckFailure] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Checks that could not run on this answer (an exception other than a failure)."""


def _checks_by_name() -> dict[str, Any]:
    load_all_checks()
    ours.register()
    registry = {getattr(check, "__name__", ""): check for check in CHECKS.get_all()}
    return {name: registry[name] for name in CHECK_NAMES}


def request_record(url: str, method: str, base_path: str) -> RecordedRequest:
    """A request as sent (full URL), with its path relative to the base URL's path."""
    parts = urlsplit(url)
    path = parts.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :] or "/"
    return RecordedRequest(
        method=method.upper(),
        path=path,
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
    )


def response_record(response: Response) -> RecordedResponse:
    return RecordedResponse(
        status=response.status_code,
        headers=tuple(
            (name.lower(), value) for name, values in response.headers.items() for value in values
        ),
        body=response.content or b"",
        message=response.message or "",
        elapsed=float(response.elapsed or 0.0),
    )


def case_query(request: RecordedRequest) -> dict[str, Any]:
    """The case's query: what was sent (the key is one of its parameters, as in the spec's
    parameter set: schemathesis counts the security scheme's `apiKey` among them)."""
    query: dict[str, Any] = {}
    for name, value in request.query:
        if name in query:
            previous = query[name]
            query[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            query[name] = value
    return query


def full_url(base_url: str, request: RecordedRequest) -> str:
    query = urlencode(list(request.query))
    return f"{base_url.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


class Validator:
    """Rebuilds cases and responses from records and runs the checks on them."""

    def __init__(self, schema: BaseSchema, base_url: str) -> None:
        self.schema = schema
        self.base_url = base_url
        self.checks = _checks_by_name()

    def case_for(self, interaction: Interaction, schema: BaseSchema | None = None) -> Case[Any]:
        schema = schema or self.schema
        request = interaction.request
        method, _, template = interaction.operation.partition(" ")
        operation = schema[template or request.path][method]
        method_name: Any = request.method
        case: Case[Any] = operation.Case(method=method_name, query=case_query(request))
        if interaction.meta is not None:
            case._meta = CaseMetadata.from_dict(dict(interaction.meta))
        case.freeze_metadata()
        return case

    def response_for(self, interaction: Interaction) -> Response:
        recorded = interaction.response
        assert recorded is not None
        prepared = requests.Request(
            interaction.request.method, full_url(self.base_url, interaction.request)
        ).prepare()
        headers: dict[str, list[str]] = {}
        for name, value in recorded.headers:
            headers.setdefault(name, []).append(value)
        return Response(
            status_code=recorded.status,
            headers=headers,
            content=recorded.body,
            request=prepared,
            elapsed=recorded.elapsed,
            verify=True,
            message=recorded.message,
        )

    def run(
        self,
        case: Case[Any],
        response: Response,
        names: Sequence[str] = CHECK_NAMES,
        schema: BaseSchema | None = None,
    ) -> tuple[list[CheckFailure], list[str], list[str]]:
        """(failures, checks that ran, checks that could not run) of one case and answer."""
        schema = schema or self.schema
        ctx = CheckContext(
            override=None,
            auth=None,
            headers=None,
            config=schema.config.checks_config_for(operation=case.operation),
            transport_kwargs=None,
            recorder=None,
            response_checks=None,
        )
        failures: list[CheckFailure] = []
        errors: list[str] = []
        ran: list[str] = []
        for name in names:

            def keep(check: str, collected: set[Failure], failure: Failure) -> None:
                failures.append(CheckFailure(check, failure))

            try:
                run_checks(
                    case=case,
                    response=response,
                    ctx=ctx,
                    checks=[self.checks[name]],
                    on_failure=keep,
                )
            except RecursionError:
                errors.append(f"{name}: the answer is nested too deeply to check")
            except Exception as exc:  # a check that crashes on an answer is reported, not raised
                errors.append(f"{name}: {type(exc).__name__}")
            else:
                ran.append(name)
        return failures, ran, errors

    def validate(self, interaction: Interaction) -> Validated:
        """Every check on one recorded exchange (nothing to check without an answer)."""
        if interaction.response is None:
            return Validated(interaction)
        case = self.case_for(interaction)
        response = self.response_for(interaction)
        failures, ran, errors = self.run(case, response)
        return Validated(interaction, case, response, failures, ran, errors)

    def failures_under(
        self, interaction: Interaction, names: Sequence[str], schema: BaseSchema
    ) -> list[CheckFailure]:
        """The failures of the checks `names` on this exchange, judged by another view of the
        spec (a check that cannot run counts as failing)."""
        case = self.case_for(interaction, schema)
        failures, _, errors = self.run(case, self.response_for(interaction), names, schema)
        return failures + [
            CheckFailure(error, Failure(operation=None, message=error)) for error in errors
        ]
