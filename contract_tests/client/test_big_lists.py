"""A big STOP list (issue 21, the client's part): read with the default settings, typed at the
cost of a pass in C per field, and streamed entry by entry in memory that does not grow.

The operation's own cap comes from the spec (`x-max-answer-bytes`); the other operation and
error bodies keep the small default cap, and a `max_body_bytes` given to the client wins.
Speed is never asserted: work is counted instead (no `from_dict` per entry, no field-by-field
walk of a valid answer, a bounded number of decoding attempts per value) and memory is measured
with tracemalloc.
"""

from __future__ import annotations

import asyncio
import gc
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import smspartner_client._stream as stream_module
from smspartner_client import (
    DEFAULT_MAX_BODY_BYTES,
    ApiError,
    AuthenticatedClient,
    DeadlineExceeded,
    InvalidResponse,
    ResponseTooLarge,
)
from smspartner_client._models import plain_fields
from smspartner_client._spec import OPERATIONS
from smspartner_client._stream import ListParser, NotJsonStream
from smspartner_client.api.rentals import get_rental_status
from smspartner_client.api.stops import list_stop_sms
from smspartner_client.models import StopEntry, StopList

from contract_tests.client.fault_server import answer, fault_server
from contract_tests.client.helpers import DOCS_TOKEN, SECRET_KEY, SPEC, mock_client

# ---- lists ------------------------------------------------------------------------------------


def entries(count: int, start: int = 0) -> list[dict[str, Any]]:
    """`count` entries of ~80 bytes (numbers in the unassigned country code +999)."""
    return [
        {"id": index + 1, "phoneNumber": f"+999{index:09d}", "createdAt": "2015-07-20 10:19:45"}
        for index in range(start, start + count)
    ]


def stop_list(count: int, **extra: Any) -> dict[str, Any]:
    return {"success": True, "code": 200, "nbData": count, "data": entries(count), **extra}


def body_of(answer_: dict[str, Any]) -> bytes:
    return json.dumps(answer_).encode()


# More than the 8 MiB default cap: 110,000 entries of ~85 bytes (json.dumps adds spaces).
OVER_DEFAULT = 110_000


@pytest.fixture(scope="module")
def big_body() -> bytes:
    body = body_of(stop_list(OVER_DEFAULT))
    assert len(body) > DEFAULT_MAX_BODY_BYTES
    return body


def serve(body: bytes, status: str = "200 OK") -> Any:
    return fault_server(answer(status, body))


def client_for(url: str, **options: Any) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=url, api_key=SECRET_KEY, **{"max_retries": 0, **options})


def read(client: AuthenticatedClient, form: str, into: list[StopEntry] | None = None) -> None:
    """The stop list by `sync` or `iterate`; the entries (as they come) go to `into`."""
    got = into if into is not None else []
    if form == "sync":
        got.extend(list_stop_sms.sync(client=client).data)
        return
    for entry in list_stop_sms.iterate(client=client):
        got.append(entry)


# ---- the caps -----------------------------------------------------------------------------------


def test_the_caps_come_from_the_spec() -> None:
    yaml = pytest.importorskip("yaml")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            facts = OPERATIONS[f"{method.upper()} {path}"]
            assert facts.max_answer_bytes == operation.get("x-max-answer-bytes")
    assert any(facts.max_answer_bytes for facts in OPERATIONS.values())


def test_a_list_over_the_default_cap_is_read_with_the_default_settings(big_body: bytes) -> None:
    with serve(big_body) as url, client_for(url) as client:
        stops = list_stop_sms.sync(client=client)
        streamed = list(list_stop_sms.iterate(client=client))
    assert len(stops.data) == len(streamed) == OVER_DEFAULT
    assert stops.data[-1] == streamed[-1] == StopEntry.from_dict(entries(1, OVER_DEFAULT - 1)[0])


async def test_a_list_over_the_default_cap_is_read_async(big_body: bytes) -> None:
    with serve(big_body) as url:
        async with client_for(url) as client:
            stops = await list_stop_sms.asyncio(client=client)
            count = 0
            async for _ in list_stop_sms.asyncio_iterate(client=client):
                count += 1
    assert len(stops.data) == count == OVER_DEFAULT


def test_the_other_operation_keeps_the_default_cap(big_body: bytes) -> None:
    with (
        mock_client(lambda request: httpx.Response(200, content=big_body)) as client,
        pytest.raises(ResponseTooLarge) as info,
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)
    assert info.value.limit == DEFAULT_MAX_BODY_BYTES


@pytest.mark.parametrize("form", ["sync", "iterate"])
def test_an_error_body_keeps_the_default_cap(big_body: bytes, form: str) -> None:
    with (
        mock_client(lambda request: httpx.Response(400, content=big_body)) as client,
        pytest.raises(ResponseTooLarge) as info,
    ):
        read(client, form)
    assert info.value.limit == DEFAULT_MAX_BODY_BYTES
    assert info.value.status_code == 400


@pytest.mark.parametrize("form", ["sync", "iterate"])
def test_max_body_bytes_overrides_the_operation_cap(form: str) -> None:
    body = body_of(stop_list(2000))
    cap = len(body) // 2
    with (
        mock_client(
            lambda request: httpx.Response(200, content=body), max_body_bytes=cap
        ) as client,
        pytest.raises(ResponseTooLarge) as info,
    ):
        read(client, form)
    assert info.value.limit == cap


def test_max_body_bytes_also_raises_the_cap_of_the_other_bodies(big_body: bytes) -> None:
    """A body over 8 MiB on the other operation is read when the client's cap allows it (it is
    then checked as an answer: here not a rental status)."""
    with (
        mock_client(
            lambda request: httpx.Response(200, content=big_body), max_body_bytes=16 * 1024**2
        ) as client,
        pytest.raises(InvalidResponse),
    ):
        get_rental_status.sync(client=client, token=DOCS_TOKEN)


def test_the_iterator_cap_applies_to_a_stream() -> None:
    with (
        fault_server("endless_chunked") as url,
        client_for(url, max_body_bytes=256 * 1024, deadline=10.0) as client,
        pytest.raises(ResponseTooLarge),
    ):
        list(list_stop_sms.iterate(client=client))


def test_the_deadline_applies_to_every_read_of_a_stream() -> None:
    with (
        fault_server("drip_body") as url,
        client_for(url, timeout=httpx.Timeout(2.0), deadline=0.6) as client,
        pytest.raises(DeadlineExceeded),
    ):
        list(list_stop_sms.iterate(client=client))


# ---- typed, without a Python walk per entry --------------------------------------------------


def test_the_stop_entry_is_built_without_from_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The list's models are made by calling the class with the columns the shape check took
    out: `StopEntry.from_dict` is not called once, and the answer is not walked field by
    field (`first_problem` is only for answers that are wrong)."""
    assert plain_fields(StopEntry) == ("id", "phoneNumber", "createdAt")
    calls: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append("called")
        raise AssertionError("walked field by field")

    monkeypatch.setattr("smspartner_client.errors.first_problem", refuse)
    original = StopEntry.from_dict.__func__  # type: ignore[attr-defined]

    def counted(cls: type[StopEntry], data: Any) -> StopEntry:
        calls.append("from_dict")
        return original(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(StopEntry, "from_dict", classmethod(counted))
    answer_ = stop_list(5000)
    with mock_client(lambda request: httpx.Response(200, json=answer_)) as client:
        stops = list_stop_sms.sync(client=client)
        streamed = list(list_stop_sms.iterate(client=client))
    assert calls == []
    assert stops.to_dict() == answer_
    assert [entry.to_dict() for entry in streamed] == answer_["data"]


def test_unknown_fields_are_kept_as_from_dict_keeps_them() -> None:
    answer_ = stop_list(4, extra={"nested": [1, {"a": None}]})
    answer_["data"][1]["optIn"] = False
    answer_["data"][2]["source"] = {"campaign": "spring", "tags": ["a", "b"]}
    with mock_client(lambda request: httpx.Response(200, json=answer_)) as client:
        stops = list_stop_sms.sync(client=client)
        streamed = list(list_stop_sms.iterate(client=client))
    assert stops == StopList.from_dict(answer_)
    assert stops.to_dict() == answer_
    assert stops.data[0].additional_properties == {}
    assert stops.data[1].additional_properties == {"optIn": False}
    assert streamed == stops.data


@pytest.mark.parametrize(
    ("entry", "field", "expected"),
    [
        ({"id": "19", "phoneNumber": "+33600000019", "createdAt": "x"}, "data[2].id", "integer"),
        ({"id": True, "phoneNumber": "+33600000019", "createdAt": "x"}, "data[2].id", "integer"),
        ({"id": 1.0, "phoneNumber": "+33600000019", "createdAt": "x"}, "data[2].id", "integer"),
        ({"id": 19, "phoneNumber": 33600000019, "createdAt": "x"}, "data[2].phoneNumber", "string"),
        ({"id": 19, "phoneNumber": "+33600000019"}, "data[2].createdAt", "string"),
        ({"id": 19, "phoneNumber": "+3360", "createdAt": None}, "data[2].createdAt", "string"),
        ("not an object", "data[2]", "object"),
    ],
)
@pytest.mark.parametrize("form", ["sync", "iterate"])
def test_a_wrong_entry_is_named(entry: Any, field: str, expected: str, form: str) -> None:
    answer_ = stop_list(4)
    answer_["data"][2] = entry
    yielded: list[StopEntry] = []
    with (
        mock_client(lambda request: httpx.Response(200, json=answer_)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        read(client, form, yielded)
    assert (info.value.field, info.value.expected) == (field, expected)
    assert [entry.id for entry in yielded] == ([] if form == "sync" else [1, 2])


def test_the_entries_before_a_wrong_one_are_yielded() -> None:
    answer_ = stop_list(6)
    answer_["data"][4]["id"] = "five"
    got: list[StopEntry] = []
    with (
        mock_client(lambda request: httpx.Response(200, json=answer_)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        read(client, "iterate", got)
    assert [entry.id for entry in got] == [1, 2, 3, 4]
    assert info.value.field == "data[4].id"


def test_nan_is_no_number_and_deep_unknown_fields_are_refused() -> None:
    deep: Any = []
    for _ in range(80):
        deep = [deep]
    answer_ = stop_list(3)
    answer_["data"][1]["trace"] = deep
    body = json.dumps(answer_).encode()
    for form in ("sync", "iterate"):
        with (
            mock_client(lambda request: httpx.Response(200, content=body)) as client,
            pytest.raises(InvalidResponse, match="nested deeper than 64 levels"),
        ):
            read(client, form)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled: bool) -> None:
    answer_ = stop_list(100)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with mock_client(lambda request: httpx.Response(200, json=answer_)) as client:
            list_stop_sms.sync(client=client)
            list(list_stop_sms.iterate(client=client))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_the_models_made_are_not_walked_by_the_next_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The models of a big answer go to the oldest generation as the pause ends (the last
    entry made is found there, where a young collection never looks), and nothing stays
    frozen."""
    monkeypatch.setattr("smspartner_client._models.PROMOTE_AFTER", 1000)
    answer_ = stop_list(5000)
    with mock_client(lambda request: httpx.Response(200, json=answer_)) as client:
        gc.collect()
        stops = list_stop_sms.sync(client=client)
    assert len(stops.data) == 5000
    last = stops.data[-1]
    assert any(item is last for item in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_the_application_stay_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smspartner_client._models.PROMOTE_AFTER", 1000)
    answer_ = stop_list(5000)
    keep = [{"x": [index]} for index in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with mock_client(lambda request: httpx.Response(200, json=answer_)) as client:
            list_stop_sms.sync(client=client)
        assert gc.get_freeze_count() > frozen - 1000  # (a few frozen objects may die meanwhile)
    finally:
        gc.unfreeze()
    assert keep


# ---- the iterator: what it checks, and when ------------------------------------------------


def iterate_answer(content: bytes, status: int = 200) -> list[StopEntry]:
    with mock_client(lambda request: httpx.Response(status, content=content)) as client:
        return list(list_stop_sms.iterate(client=client))


def test_only_list_operations_have_an_iterator() -> None:
    assert callable(list_stop_sms.iterate)
    assert callable(list_stop_sms.asyncio_iterate)
    assert not hasattr(get_rental_status, "iterate")


@pytest.mark.parametrize("status", [200, 400])
def test_the_error_envelope_is_an_api_error(status: int) -> None:
    envelope = {"success": False, "code": 10, "message": "Clef API incorrecte"}
    with pytest.raises(ApiError) as info:
        iterate_answer(body_of(envelope), status)
    assert (info.value.code, info.value.status_code) == (10, status)


def test_a_wrong_field_before_the_list_yields_nothing() -> None:
    answer_ = stop_list(3)
    answer_["success"] = "yes"
    answer_ = {"success": "yes", "code": 200, "nbData": 3, "data": answer_["data"]}
    got: list[StopEntry] = []
    with (
        mock_client(lambda request: httpx.Response(200, json=answer_)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        read(client, "iterate", got)
    assert got == []
    assert info.value.field == "success"


def test_a_field_missing_after_the_list_is_found_at_the_end() -> None:
    answer_ = {"success": True, "code": 200, "data": entries(3)}
    got: list[StopEntry] = []
    with (
        mock_client(lambda request: httpx.Response(200, json=answer_)) as client,
        pytest.raises(InvalidResponse) as info,
    ):
        read(client, "iterate", got)
    assert len(got) == 3
    assert (info.value.field, info.value.expected) == ("nbData", "integer")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"success": true, "code": 200, "nbData": 1, "data": [{"id": 19, "phoneN', "not JSON"),
        (b"<html><body>Bad gateway</body></html>", "not JSON"),
        (b"", "not JSON"),
        (body_of(stop_list(2)) + b" {}", "extra data"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"success": true, "data": [1 2]}', "not JSON"),
        (b'{"data": [], "data": []}', "comes twice"),
    ],
)
def test_a_body_that_is_not_the_json_object_is_invalid(content: bytes, reason: str) -> None:
    with pytest.raises(InvalidResponse, match=reason):
        iterate_answer(content)


def test_retries_happen_before_the_first_entry() -> None:
    with fault_server(("unavailable_503", "close", "stop_list")) as url:
        client = AuthenticatedClient(base_url=url, api_key=SECRET_KEY)
        with client:
            got = list(list_stop_sms.iterate(client=client))
    assert [entry.id for entry in got] == [19]


async def test_breaking_out_of_the_async_iterator_closes_the_answer(big_body: bytes) -> None:
    with serve(big_body) as url:
        async with client_for(url) as client:
            first = []
            iterator = list_stop_sms.asyncio_iterate(client=client)
            async for entry in iterator:
                first.append(entry)
                if len(first) == 10:
                    break
            await iterator.aclose()  # type: ignore[attr-defined]
            again = await list_stop_sms.asyncio(client=client)  # the connection is usable
    assert [entry.id for entry in first] == list(range(1, 11))
    assert len(again.data) == OVER_DEFAULT


# ---- memory ---------------------------------------------------------------------------------


def peak_while_iterating(body: bytes) -> tuple[int, int]:
    """(entries, peak bytes Python allocated) while iterating over `body` served on loopback."""
    with serve(body) as url, client_for(url) as client:
        list(list_stop_sms.iterate(client=client, **{}))  # warm: imports, compiled checks
        gc.collect()
        tracemalloc.start()
        try:
            count = sum(1 for _ in list_stop_sms.iterate(client=client))
            return count, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_the_iterator_memory_does_not_grow_with_the_list() -> None:
    small_body = body_of(stop_list(10_000))
    large_body = body_of(stop_list(100_000))  # ~8.5 MB: held whole, it would be in the peak
    small, small_peak = peak_while_iterating(small_body)
    large, large_peak = peak_while_iterating(large_body)
    assert (small, large) == (10_000, 100_000)
    assert large_peak < 3 * 1024 * 1024, large_peak
    assert large_peak < small_peak + 1024 * 1024, (small_peak, large_peak)


# ---- the push parser ------------------------------------------------------------------------

SAMPLE = (
    '\ufeff { "success" : true ,"code":200, "nbData": 3,\n "data" : [ '
    '{"id": 1, "phoneNumber": "+33\\u00e9 \\"q\\" \\ud83d\\ude00", "createdAt": "x"},'
    '{"id": 12345678901234567890, "phoneNumber": "é😀", "createdAt": "y"} ,\t'
    '{"id": -1.5e3, "phoneNumber": "", "createdAt": "z", "more": [1, {"a": null}]}'
    ' ] , "tail": 1e-5, "done": false, "none": null }  '
)


def parse(chunks: list[str]) -> tuple[list[Any], dict[str, Any]]:
    parser = ListParser("data")
    found: list[Any] = []
    for chunk in chunks:
        found += parser.feed(chunk)
    found += parser.finish()
    return found, parser.fields


def test_the_parser_gives_what_json_loads_gives_at_every_split() -> None:
    expected = json.loads(SAMPLE.removeprefix("\ufeff"))
    data = expected.pop("data")
    for split in range(len(SAMPLE) + 1):
        found, fields = parse([SAMPLE[:split], SAMPLE[split:]])
        assert (found, fields) == (data, expected), split
    found, fields = parse(list(SAMPLE))  # one character at a time
    assert (found, fields) == (data, expected)


def test_a_utf8_character_cut_between_chunks_is_decoded() -> None:
    """Multibyte characters (é, 😀) cut at every byte between two chunks of the body."""
    answer_ = stop_list(3)
    answer_["data"][1]["phoneNumber"] = "é😀+33600000019"
    content = json.dumps(answer_, ensure_ascii=False).encode()
    start = content.index("é".encode())
    for split in range(start, start + 7):
        with fault_server(chunked(content, split)) as url, client_for(url) as client:
            got = list(list_stop_sms.iterate(client=client))
        assert [entry.to_dict() for entry in got] == answer_["data"], split


def chunked(content: bytes, split: int) -> Any:
    """A behaviour sending `content` in two HTTP chunks, cut at byte `split`."""

    def behave(conn: Any, request_line: str, stop: Any) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        parts = [content[:split], content[split:]]
        body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts if part)
        conn.sendall(head + body + b"0\r\n\r\n")

    return behave


@pytest.mark.parametrize(
    "text",
    [
        '{"data": [1,]}',
        '{"data": [,1]}',
        '{"a" 1}',
        '{"a": 1,}',
        '{"a": tru}',
        '{"data": [1] "b": 2}',
        '{"a": 1} x',
        '{"data": [1, 2',
        '{"a": "unterminated',
    ],
)
def test_the_parser_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(NotJsonStream):
        parse([text])


def test_a_value_arriving_in_pieces_is_decoded_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 1 MiB string field in 4 KiB pieces: each failed attempt waits for twice the text, so
    the attempts grow with the logarithm of the value's size, and the work stays linear."""
    calls: list[int] = []
    scan = stream_module._scan_once

    def counting(text: str, pos: int) -> Any:
        calls.append(pos)
        return scan(text, pos)

    monkeypatch.setattr(stream_module, "_scan_once", counting)
    text = '{"note": "' + "x" * (1024 * 1024) + '", "data": []}'
    pieces = [text[start : start + 4096] for start in range(0, len(text), 4096)]
    found, fields = parse(pieces)
    assert found == []
    assert len(fields["note"]) == 1024 * 1024
    assert len(calls) <= 2 + 2 * 9  # the key, and log2(256 pieces) + 1 attempts, twice over


def test_the_entries_are_decoded_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    scan = stream_module._scan_once

    def counting(text: str, pos: int) -> Any:
        calls.append(pos)
        return scan(text, pos)

    monkeypatch.setattr(stream_module, "_scan_once", counting)
    text = json.dumps(stop_list(2000))
    pieces = [text[start : start + 65536] for start in range(0, len(text), 65536)]
    found, _ = parse(pieces)
    assert len(found) == 2000
    assert len(calls) <= 2000 + 8 + 2 * len(pieces)  # entries, keys and values, cut entries


def test_a_value_longer_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module, "MAX_VALUE_CHARS", 10_000)
    text = '{"data": [{"id": "' + "x" * 50_000 + '"}]}'
    with pytest.raises(NotJsonStream, match="longer than"):
        parse([text[start : start + 1000] for start in range(0, len(text), 1000)])


def test_asyncio_iterate_in_a_fresh_loop(big_body: bytes) -> None:
    async def count(url: str) -> int:
        async with client_for(url) as client:
            return sum([1 async for _ in list_stop_sms.asyncio_iterate(client=client)])

    with serve(big_body) as url:
        assert asyncio.run(count(url)) == OVER_DEFAULT


_: Callable[..., Iterator[Any]] = list_stop_sms.iterate
