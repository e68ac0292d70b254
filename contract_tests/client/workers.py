"""Functions run in other processes by the client tests (ProcessPoolExecutor, multiprocessing):
each makes a call that fails, so that its typed error crosses back to the test's process."""

from __future__ import annotations

import httpx
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms

from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY, mock_client

ENVELOPE = {"success": False, "code": 10, "message": f"Clé API incorrecte: {SECRET_KEY}"}


def _answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/location/status"):
        return httpx.Response(500, text=f"<p>failed for {request.url}</p>")
    return httpx.Response(400, json=ENVELOPE)


def failing_call(kind: str) -> None:
    """Raise the typed error of one call: `api` (an `ApiError` echoing the key) or `status`
    (an `UnexpectedStatus` whose page echoes the URL, key and rental token)."""
    with mock_client(_answer, max_retries=0) as client:
        if kind == "api":
            list_stop_sms.sync(client=client)
        else:
            get_rental_status.sync(client=client, token=DOCS_TOKEN)
