"""Let schemathesis validate `application/xml` answers: it skips unknown media types silently.

The API's XML is positional (`<result>` of keyless `<entry>`), so it decodes to nested lists
that the spec's `*Xml` schemas (`prefixItems`) describe. A body that is not well-formed raises,
and schemathesis reports that as a failed response-schema check, never as a skip.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contract_tests.positional_xml import decode

MEDIA_TYPE = "application/xml"
_registered = False


def register() -> None:
    """Register the deserializer once per process (registration is global in schemathesis)."""
    global _registered
    if _registered:
        return

    @schemathesis.deserializer(MEDIA_TYPE)
    def positional_xml(ctx: Any, response: Any) -> Any:
        return decode(response.content)

    _registered = True
