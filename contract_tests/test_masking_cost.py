"""Masking costs a fixed number of passes per text, whatever the number of values known.

Measured by counting (`Redactor.work`: pattern passes, characters scanned, candidates checked
in Python, pattern builds), never with a clock: the old finder searched the text once per
learnt number (3 million `str.find` calls for 8,000 numbers), so its scans grew with them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from types import FrameType
from typing import Any

from smspartner_client import redact
from smspartner_client.redact import Redactor, Work

from contract_tests.client.helpers import DOCS_TOKEN

KEY = "Zq9/Clé+kéy-s3cret-Wx"


def number(index: int) -> str:
    """A phone number per index (the 0639 range, reserved for fiction in France)."""
    return f"+33639{index:06d}"


def stop_list(entries: int, *, first: int = 0, xml: bool = False) -> str:
    """A STOP list answer as the API writes it (JSON) or an XML list of `<entry>` items."""
    data = [
        {"id": i + 1, "phoneNumber": number(first + i), "createdAt": "2015-07-20 10:19:45"}
        for i in range(entries)
    ]
    if xml:
        items = "".join(
            f"<entry><entry>{d['id']}</entry><entry>{d['phoneNumber']}</entry>"
            f"<entry>{d['createdAt']}</entry></entry>\n"
            for d in data
        )
        return f"<?xml version='1.0'?><response><entry>{items}</entry></response>"
    body = {"success": True, "code": 200, "nbData": entries, "data": data}
    return json.dumps(body, separators=(",", ":"))


def learnt(count: int) -> Redactor:
    """The contract run's redactor after reading `count` numbers: key, token, numbers."""
    redactor = Redactor(secrets=[KEY], tokens=[DOCS_TOKEN], token_shapes=True)
    for index in range(count):
        redactor.add(number(index), "phone")
    return redactor


def cost(redactor: Redactor, call: str, text: str) -> Work:
    redactor.work = Work()
    getattr(redactor, call)(text)
    return redactor.work


def test_the_number_of_values_known_does_not_change_the_work() -> None:
    """1,000 or 10,000 numbers learnt: the same passes, characters and candidates."""
    for xml in (False, True):
        text = stop_list(300, xml=xml)
        few, many = learnt(1_000), learnt(10_000)
        for call in ("mask", "leaks"):
            assert cost(few, call, text) == cost(many, call, text), (xml, call)


def test_the_work_grows_with_the_text_only() -> None:
    """Ten times the text: ten times the characters and candidates, the same passes."""
    redactor = learnt(5_000)
    for call in ("mask", "leaks"):
        small = cost(redactor, call, stop_list(200))
        large = cost(redactor, call, stop_list(2_000))
        assert small.scans == large.scans <= 6, call
        assert 9.5 < large.chars / small.chars < 10.5, call  # ids grow by a digit
        assert large.candidates <= 10 * small.candidates + 1, call


def test_every_number_is_masked_and_none_leaks() -> None:
    redactor = learnt(2_000)
    text = stop_list(2_000)
    masked = redactor.mask(text)
    assert all(number(i) not in masked for i in range(2_000))
    assert len(redactor.leaks(text)) == 2_000
    assert redactor.leaks(masked) == []
    assert redactor.work.scans <= 6  # that last call: one pass of each pattern


def test_patterns_are_built_once_per_set_of_values() -> None:
    """Numbers learnt never rebuild a pattern; a new key or token rebuilds once, lazily."""
    redactor = learnt(10_000)
    redactor.mask("x")
    builds = redactor.work.builds
    for index in range(10_000, 12_000):
        redactor.add(number(index), "phone")
        redactor.mask(number(index))
    assert redactor.work.builds == builds
    redactor.add("another-rental-token-value", "token")
    redactor.add("another-rental-token-value", "token")
    redactor.mask("x")
    redactor.mask("y")
    assert redactor.work.builds == builds + 1


def test_escapes_and_markup_cost_one_pass_each() -> None:
    """A body full of escapes or of tags: one more pass each, not one per value."""
    entry = '{"url":"https:\\/\\/example.org\\/a%20b","note":"caf\\u00e9 &amp; th\\u00e9"}'
    for count in (1_000, 10_000):
        redactor = learnt(count)
        escaped = cost(redactor, "mask", "[" + ",".join([entry] * 200) + "]")
        markup = cost(redactor, "mask", stop_list(200, xml=True))
        assert escaped.scans <= 8
        assert markup.scans <= 8
        if count == 1_000:
            first = (escaped, markup)
        else:
            assert (escaped, markup) == first


def python_steps(call: Callable[[], object]) -> int:
    """Lines of the masking module executed by `call` (a loop over the values shows here)."""
    steps = 0
    source = redact.__file__

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps
        if frame.f_code.co_filename != source:
            return None
        if event == "line":
            steps += 1
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return steps


def test_the_python_steps_do_not_grow_with_the_values_known() -> None:
    """No loop over the values in Python either: the same lines run for 1,000 or 10,000."""
    text = stop_list(50) + f" {KEY} {DOCS_TOKEN.upper()} x0639000007 +33 6 39 00 00 08"
    few, many = learnt(1_000), learnt(10_000)
    for redactor in (few, many):  # warm up: the patterns are built (and cached) once
        redactor.mask(text)
        redactor.leaks(text)
    for call in ("mask", "leaks"):
        steps = [python_steps(partial(getattr(r, call), text)) for r in (few, many)]
        assert steps[0] == steps[1], call


def test_a_huge_value_costs_a_bounded_pattern() -> None:
    """A 70,000-character token (a misuse the client must survive): at most MAX_GRAMS runs of
    each form are indexed, so adding it costs what a long key costs; its start, its end and
    any run of MIN_RUN + stride - 1 characters are still found."""
    huge = "".join(f"{index:08x}" for index in range(70_000 // 8))
    redactor = Redactor(tokens=[huge])
    values, _ = redactor._compiled()
    per_form = redact.MAX_GRAMS + 1
    assert len(values.kinds) <= 20 * per_form  # about 15 forms, whatever the length
    stride = -(-(len(huge) - redact.MIN_RUN + 1) // redact.MAX_GRAMS)
    for piece in (huge[:100], huge[-100:], huge[30_000 : 30_000 + redact.MIN_RUN + stride - 1]):
        assert redactor.leaks(f"... {piece} ...") == ["token"]
    assert redactor.mask(f"[{huge}]") == f"[{huge[:4]}••••]"
