"""One recorded exchange and its body, decoded once (JSON, or the API's positional XML).

Every check, the coverage, the verdicts and the comparisons read the decoded body from here,
so a body is parsed once per exchange however many steps look at it. A body that does not
decode is `None`, never an exception: what is wrong with it is the checks' to report.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from smspartner_emulator.recording import Interaction, RecordedResponse

from smspartner_contract.facts import Envelope
from smspartner_contract.positional_xml import PositionalXmlError
from smspartner_contract.positional_xml import decode as decode_xml

JSON, XML = "json", "xml"
XML_TYPES = frozenset({"application/xml", "text/xml"})

Decoded = tuple[str, Any]
"""("json" | "xml", the value): XML as the positional lists of `positional_xml`."""


def kind_of(media_type: str) -> str | None:
    """`json` or `xml` for a media type the API could answer with, else None."""
    media = media_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return JSON
    if media in XML_TYPES or media.endswith("+xml"):
        return XML
    return None


def _json(body: bytes) -> Decoded | None:
    try:
        return JSON, json.loads(body)
    except (ValueError, RecursionError):  # also a 5,000-digit integer (int's digit limit)
        return None


def _xml(body: bytes) -> Decoded | None:
    try:
        return XML, decode_xml(body)
    except (PositionalXmlError, ValueError, RecursionError):
        return None


def decode(media_type: str, body: bytes) -> Decoded | None:
    """The body decoded as its media type says, else None."""
    kind = kind_of(media_type)
    if kind == JSON:
        return _json(body)
    if kind == XML:
        return _xml(body)
    return None


def decode_leniently(body: bytes) -> Decoded | None:
    """The body as JSON, else as positional XML, whatever its label says (None: neither)."""
    return _json(body) or _xml(body)


class Exchange:
    """An interaction with its body decoded on first use, then kept."""

    __slots__ = ("__dict__", "interaction")

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction

    @property
    def response(self) -> RecordedResponse | None:
        return self.interaction.response

    @property
    def operation(self) -> str:
        return self.interaction.operation

    @cached_property
    def decoded(self) -> Decoded | None:
        """By the answer's media type (what the spec judges)."""
        response = self.interaction.response
        return None if response is None else decode(response.media_type, response.body)

    @cached_property
    def lenient(self) -> Decoded | None:
        """As JSON, else XML, whatever the label (what a person would read)."""
        response = self.interaction.response
        if response is None:
            return None
        return self.decoded or decode_leniently(response.body)

    def envelope(self, envelope: Envelope, *, lenient: bool = True) -> tuple[bool, Any] | None:
        """(success, code) of the answer if it is shaped like the API's."""
        found = self.lenient if lenient else self.decoded
        if found is None:
            return None
        return envelope.of(found[1], positional=found[0] == XML)

    def is_error(self, envelope: Envelope) -> bool:
        return envelope.is_error(self.envelope(envelope))
