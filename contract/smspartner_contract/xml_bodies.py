"""Let schemathesis validate XML answers: it skips media types it cannot decode, silently.

The API's XML is positional (`<result>` of keyless `<entry>`), so it decodes to nested lists
that the spec's `*Xml` schemas (`prefixItems`) describe. `text/xml` is decoded the same way: the
relaxed view of the spec accepts it where the XML media type is a guess. A body that is not
well-formed raises, and schemathesis reports that as a failed schema check, never as a skip.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from smspartner_contract.positional_xml import decode

MEDIA_TYPES = ("application/xml", "text/xml")
_registered = False


def register() -> None:
    """Register the deserializer once per process (registration is global in schemathesis)."""
    global _registered
    if _registered:
        return

    @schemathesis.deserializer(*MEDIA_TYPES)
    def positional_xml(ctx: Any, response: Any) -> Any:
        return decode(response.content)

    _registered = True
