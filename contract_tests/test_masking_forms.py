"""Every form of the masking table (`smspartner_client.redact.FORMS`), for each kind it lists.

A distinctive key, token, e-mail address, name and phone number are written in each form;
`mask()` must leave none of them readable and `leaks()` must find each one. "Readable" is
judged here by a decoder of this file (not the module's): the text as is, percent-, HTML- and
JSON-decoded, stripped of markup, and every base64 or hex run decoded at every alignment.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus

import pytest
import yaml
from smspartner_client import redact
from smspartner_client.redact import (
    FORMS,
    KEY_MASK,
    MIN_RUN,
    NAME_MASK,
    READABLE,
    Form,
    Kind,
    Redactor,
)

from contract_tests.client.helpers import SPEC, emulator_fixtures

# Distinctive values: no run of MIN_RUN characters in common with each other or with the
# ordinary values of the answers (a key holding `12345678` would be found in a phone number).
KEY = "Zq9/Clé+kéy-s3cret-Wx"
TOKEN = "4c1e9f0a7b3d2e8c6f5a9b0d1e2f3a4b5c6d7e8f"  # noqa: S105 (made up)
EMAIL = "jean.dupont@example.fr"
NAME = "Zéphyrine Quentaloup"
PHONE = "+33612345678"
VALUES: dict[Kind, str] = {"key": KEY, "token": TOKEN, "email": EMAIL, "name": NAME}


def redactor() -> Redactor:
    return Redactor(secrets=[KEY], tokens=[TOKEN], phones=[PHONE], emails=[EMAIL], names=[NAME])


# --- the reference decoder -------------------------------------------------------------------


def _json_unescape(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\/", "/")


def _decoded_runs(text: str) -> list[str]:
    """Every base64 and hex run of `text`, decoded at every alignment."""
    found = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", text):
        for start in range(4):
            piece = run[start:].replace("-", "+").replace("_", "/")
            piece = piece[: len(piece) // 4 * 4]
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.b64decode(piece).decode("utf-8", "ignore"))
    for run in re.findall(r"[0-9a-fA-F]{16,}", text):
        for start in range(2):
            piece = run[start:]
            piece = piece[: len(piece) // 2 * 2]
            found.append(bytes.fromhex(piece).decode("utf-8", "ignore"))
    return found


def views(text: str) -> list[str]:
    """`text` as a reader could decode it, in lower case."""
    stripped = re.sub(r"<[^<>]*>\s*", "", text)
    out = {text, stripped}
    for _ in range(3):
        for view in list(out):
            out |= {unquote(view), unquote_plus(view), html.unescape(view), _json_unescape(view)}
    for view in list(out):
        out |= set(_decoded_runs(view))
    return [view.lower() for view in out]


def readable(kind: Kind, text: str, example: str = "") -> list[str]:
    """What of the distinctive value of `kind` (or of a pattern form's `example`) a reader
    can still get from `text`."""
    seen = views(text)
    if kind == "phone":
        # the middle of the number: mask_phone shows its first three and last two characters
        middle = re.sub(r"[^0-9]", "", example)[2:-2]
        digits = [re.sub(r"[^0-9]", "", view) for view in seen]
        return [middle] if any(middle in found for found in digits) else []
    if kind == "email":
        return [part for part in ("jean.dupont", "example.fr") if any(part in v for v in seen)]
    if example:  # a key or a token found by pattern: its value part
        value = max(re.findall(r"[0-9A-Za-z]+", example), key=len).lower()
        return [value] if any(value in view for view in seen) else []
    value = VALUES[kind].lower()
    size = MIN_RUN if kind in ("key", "token") else len(value)
    runs = {value[i : i + size] for i in range(len(value) - size + 1)}
    return sorted(run for run in runs if any(run in view for view in seen))


# --- the cases -------------------------------------------------------------------------------


def _cases() -> list[Any]:
    cases = []
    for form in FORMS:
        for kind in form.kinds:
            if form.write is not None and kind == "phone":
                continue  # phone numbers have their own written forms below
            cases.append(pytest.param(form, kind, id=f"{form.name} [{kind}]"))
    return cases


def _text(form: Form, kind: Kind) -> str:
    written = form.example if form.write is None else form.write(VALUES[kind])
    return f"before {written} after"


@pytest.mark.parametrize(("form", "kind"), _cases())
def test_each_form_is_masked(form: Form, kind: Kind) -> None:
    text = _text(form, kind)
    example = form.example if form.write is None else ""
    assert readable(kind, text, example), "the test's decoder must see the value unmasked"
    shaped = Redactor(token_shapes=True) if "value" not in form.by else redactor()
    masked = shaped.mask(text)
    assert readable(kind, masked, example) == [], masked
    assert masked.startswith("before ")
    assert masked.endswith(" after")


@pytest.mark.parametrize(("form", "kind"), [c for c in _cases() if "value" in c.values[0].by])
def test_each_form_of_a_value_added_is_a_leak(form: Form, kind: Kind) -> None:
    text = _text(form, kind)
    leaks = redactor().leaks(text)
    assert leaks, text
    assert set(leaks) == {kind}, leaks
    assert redactor().leaks(redactor().mask(text)) == []


@pytest.mark.parametrize(("form", "kind"), [c for c in _cases() if "pattern" in c.values[0].by])
def test_each_pattern_form_is_found_without_being_told(form: Form, kind: Kind) -> None:
    """Found by what it is: no value added (tokens only when `token_shapes` is asked for)."""
    text = _text(form, kind)
    assert kind in {found for found, _ in Redactor(token_shapes=True).finds(text)}
    assert Redactor(token_shapes=True).leaks(text) == []  # not a value the caller added
    if kind == "token":
        assert Redactor().mask(text) == text


def test_the_docstring_table_lists_every_form() -> None:
    doc = redact.__doc__ or ""
    missing = [form.name for form in FORMS if form.name not in doc]
    assert missing == []
    assert all(form.example for form in FORMS)


def test_each_kind_has_its_display() -> None:
    masked = redactor().mask(f"{KEY} {TOKEN} {PHONE} {EMAIL} {NAME}")
    assert masked == f"{KEY_MASK} 4c1e•••• +33•••••••78 j•••@•••.fr {NAME_MASK}"


# --- what stays readable ---------------------------------------------------------------------


def _run_redactor() -> Redactor:
    """What a contract run masks with: the key, tokens by value and by shape, the numbers."""
    fixtures = emulator_fixtures()
    return Redactor(
        secrets=fixtures["api_keys"],
        tokens=[rental["token"] for rental in fixtures["rentals"]],
        phones=[entry["phoneNumber"] for entry in fixtures["stop_list"]],
        keep=["contract-run-wrong-key"],
        token_shapes=True,
    )


@pytest.mark.parametrize("value", READABLE)
def test_ordinary_values_stay_readable(value: str) -> None:
    assert Redactor(token_shapes=True).mask(value) == value
    assert _run_redactor().mask(value) == value


def _scalars(data: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [item for k, v in data.items() for item in _scalars(v, str(k))]
    if isinstance(data, list):
        return [item for v in data for item in _scalars(v, key)]
    return [(key, data)]


PRIVATE = {"phoneNumber", "token", "api_keys"}


def test_the_emulators_values_stay_readable() -> None:
    """Dates, amounts, zip codes, counts, status texts of the fixtures: only numbers masked."""
    masker = _run_redactor()
    shown = [
        (key, value)
        for key, value in _scalars(emulator_fixtures())
        if key not in PRIVATE and masker.mask(str(value)) != str(value)
    ]
    assert shown == []


def test_the_spec_examples_lose_only_their_numbers_and_tokens() -> None:
    spec = yaml.safe_load(Path(SPEC).read_text(encoding="utf-8"))
    masker = _run_redactor()
    known = masker.phones_known | {rental["token"] for rental in emulator_fixtures()["rentals"]}
    for name, example in spec["components"]["examples"].items():
        value = example["value"]
        text = value if isinstance(value, str) else json.dumps(value)
        finds = masker.finds(text)
        assert {kind for kind, _ in finds} <= {"phone", "token"}, (name, finds)
        assert {found for _, found in finds} <= known, (name, finds)


def test_not_phone_numbers() -> None:
    bare = Redactor()
    for text in ("0.900", "60200", "2015-07-20 10:19:45", "+0200", "+12.5", "1437380385000"):
        assert bare.finds(text) == [], text
    # in doubt, masked: a leak is worse than an over-masked identifier
    assert bare.finds("20150720101945") == [("phone", "20150720101945")]


def test_names_are_whole_words() -> None:
    masker = Redactor(names=["Marie"])
    assert masker.mask("Marie, MARIE and marie; Mariette, Annemarie") == (
        "•••, ••• and •••; Mariette, Annemarie"
    )


def test_a_learnt_number_is_found_in_its_other_written_forms() -> None:
    """National and international forms of one number (country code, trunk 0)."""
    masker = Redactor(phones=["0612345678"])
    for text in ("+33612345678", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78", "612345678"):
        assert masker.leaks(f"x {text} y") == ["phone"], text
    assert masker.leaks("+33698765432 and 0698765432") == []


def test_a_hostile_answer_leaves_nothing_readable() -> None:
    """Issue 22, items 1-3 in one answer: drifted field names, other written forms of the
    number, the token upper-cased, another rental's token, the key in other encodings."""
    other_token = "312c65deab1295ae39cda15c6977862e9b9486fe"  # noqa: S105 (emulator fixture)
    escaped_key = "".join(f"\\u{ord(char):04x}" for char in KEY)
    body = (
        '{"msisdn": "33612345678", "numero": 33612345678, "dots": "06.12.34.56.78",'
        ' "hyphens": "06-12-34-56-78", "trunk": "+33 (0)6 12 34 56 78",'
        f' "token": "{TOKEN.upper()}", "other": "{other_token}", "k1": "{escaped_key}",'
        f' "k2": "{"".join(f"&#{ord(char)};" for char in KEY)}", "k3": "{KEY.encode().hex()}",'
        f' "mail": "{EMAIL.upper()}"}}'
    )
    xml = "".join(f"<entry>{KEY[i : i + 7]}</entry>" for i in range(0, len(KEY), 7))
    xml = f"<response>{xml}<entry>33612345678</entry></response>"
    headers = (
        f"Set-Cookie: sid={base64.urlsafe_b64encode(b'k=' + KEY.encode()).decode()}; Path=/\n"
        f"Authorization: Basic {base64.b64encode(b'user:' + KEY.encode()).decode()}\n"
        f"Location: /v1/x?apiKey={KEY.upper()}&token={TOKEN}"
    )
    run = Redactor(secrets=[KEY], tokens=[TOKEN], token_shapes=True)  # no number learnt
    for text in (body, xml, headers):
        masked = run.mask(text)
        for kind in ("key", "token", "email"):
            assert readable(kind, masked) == [], (kind, masked)
        assert readable("phone", masked, "33612345678") == [], masked
        assert other_token[4:] not in masked.lower()
        assert run.leaks(masked) == []
    # mask() is for people; substitute() with stand-ins of the same shape keeps the JSON valid
    stand_ins = run.substitute(body, lambda kind, value: "1" * len(value))
    assert json.loads(stand_ins)["numero"] == 11111111111
