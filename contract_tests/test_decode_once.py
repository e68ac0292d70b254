"""A big XML answer is parsed once per grading, however many checks read it: counted parses,
not seconds (a million-entry STOP list in XML is about 100 MB to parse)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from smspartner_contract import checks, engine, exchange, refs
from smspartner_contract.cli import grade
from smspartner_contract.model import LIVE
from smspartner_contract.positional_xml import decode
from smspartner_contract.spec import spec_data
from smspartner_emulator import create_app

from contract_tests.runs import run_in_process


@pytest.mark.parametrize("scenario", ["none", "xml_entry_order_changed+xml_entry_added"])
def test_each_xml_answer_is_parsed_once(monkeypatch: pytest.MonkeyPatch, scenario: str) -> None:
    record, first = run_in_process(create_app(access_log=False, scenario=scenario), mode=LIVE)
    xml_bodies = [
        i.response.body
        for i in record.interactions
        if i.response is not None and exchange.kind_of(i.response.media_type) == exchange.XML
    ]
    assert xml_bodies, "the live plan asks for XML answers"
    parsed: Counter[int] = Counter()

    def counting(body: bytes | str) -> Any:
        parsed[id(body)] += 1
        return decode(body)

    monkeypatch.setattr(exchange, "decode_xml", counting)
    monkeypatch.setattr(engine, "decode_xml", counting)
    again = grade(record, record.target, None)

    assert again.exit_code == first.exit_code
    if scenario != "none":  # the drift is found, check by check, on the same parsed value
        assert again.exit_code != 0
        checks = {f.identity.check for f in again.findings if f.identity.media.endswith("xml")}
        assert {"response_schema_conformance", "additive_drift"} <= checks
    assert sum(parsed.values()) == len(xml_bodies)
    assert max(parsed.values()) == 1


@pytest.mark.parametrize("helper", ["as_named", "extra_entries"])
def test_schemas_are_resolved_once_per_answer_not_per_entry(
    monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    """Naming an XML STOP list's entries resolves each schema once: the count of `$ref`
    resolutions is the same for 10 entries as for 1,000."""
    spec = spec_data()
    answer = refs.resolve(spec, spec["paths"]["/stop-sms/list"]["get"]["responses"]["200"])
    media = "application/json" if helper == "as_named" else "application/xml"
    schema = answer["content"][media]["schema"]  # as_named reads the XML by its JSON twin
    resolved = Counter[str]()
    real = refs.resolve

    def counting(document: Any, node: Any) -> Any:
        resolved[helper] += 1
        return real(document, node)

    monkeypatch.setattr(refs, "resolve", counting)

    def work(entries: int) -> int:
        resolved.clear()
        entry = [1, "+999000000001", "2024-01-01 00:00:00", "extra"]
        body = [True, 200, entries, [list(entry) for _ in range(entries)], "extra"]
        if helper == "as_named":
            named = checks.as_named(spec, body, schema)
            assert len(named["data"]) == entries
        else:
            assert len(list(checks.extra_entries(spec, body, schema))) == entries + 1
        return resolved[helper]

    assert work(10) == work(1_000) > 0
