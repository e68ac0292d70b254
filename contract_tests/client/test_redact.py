"""`smspartner_client.redact`, the one masking implementation of the kit (generator/static).

Its public surface (`Redactor(secrets, tokens, phones, keep, emails, names, token_shapes)` with
`.mask`, `.substitute`, `.add`, `.finds`, `.leaks`; `mask_phone`, `mask_token`, `mask_email`,
`display`) is used by the client's errors, the emulator's log and the contract run's reports and
recordings. Every form of its table is tested in contract_tests/test_masking_forms.py, its cost
in contract_tests/test_masking_cost.py.
"""

from __future__ import annotations

import json
import pickle
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import pytest
from smspartner_client import redact
from smspartner_client.redact import KEY_MASK, MIN_RUN, Redactor, mask, mask_phone, mask_token

from contract_tests.client.helpers import DOCS_TOKEN as TOKEN

KEY = "s3cret/Clé+key-0123456789"


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        quote(KEY, safe=""),
        quote(KEY),
        quote_plus(KEY),
        json.dumps(KEY)[1:-1],
        json.dumps(KEY)[1:-1].replace("/", "\\/"),
        json.dumps(KEY, ensure_ascii=False)[1:-1].replace("/", "\\/"),
    ],
    ids=["as is", "percent", "percent, / kept", "plus", "json", "json \\/", "json unicode \\/"],
)
def test_every_form_of_the_key_is_masked(form: str) -> None:
    redactor = Redactor(secrets=[KEY])
    assert redactor.mask(f"before {form} after") == f"before {KEY_MASK} after"
    assert redactor.finds(f"x{form}y") == [("key", form)]


def test_a_key_cut_short_is_masked_from_min_run_characters() -> None:
    redactor = Redactor(secrets=[KEY])
    assert redactor.mask(f"...{KEY[:MIN_RUN]}") == f"...{KEY_MASK}"
    assert redactor.mask(f"{KEY[-MIN_RUN:]}...") == f"{KEY_MASK}..."
    shorter = KEY[: MIN_RUN - 1]
    assert redactor.mask(f"...{shorter}") == f"...{shorter}"


def test_a_short_secret_is_masked_whole_only() -> None:
    redactor = Redactor(secrets=["abc"])
    assert redactor.mask("abc and ab") == f"{KEY_MASK} and ab"


@pytest.mark.parametrize(
    "name", ["apiKey", "apikey", "api_key", "API-KEY", "apiKey[]", "apiKey%5B%5D"]
)
def test_an_api_key_parameter_is_masked_by_name(name: str) -> None:
    assert Redactor().mask(f"GET /v1/x?{name}=anything&token=t") == f"GET /v1/x?{name}=***&token=t"


def test_tokens_and_phones() -> None:
    redactor = Redactor(tokens=[TOKEN], phones=["0033 6 12"])
    text = f"rental {TOKEN} for +33612345678, 0612345678 and 0033 6 12"
    assert redactor.mask(text) == "rental b22b•••• for +33•••••••78, 061•••••78 and 003••••12"
    assert mask_token(TOKEN) == "b22b••••"
    assert mask_phone("+33612345678") == "+33•••••••78"
    assert mask_phone("+336") == "+33•"


def test_not_phone_numbers() -> None:
    text = "HTTP 400 at 2015-07-20 10:19:45, id 19, port 8000, version 1.0.0, x0612345678"
    assert Redactor().mask(text) == text


def test_keep_add_substitute_and_the_one_off_helper() -> None:
    redactor = Redactor(secrets=["wrong-probe-key"], keep=["wrong-probe-key"])
    assert redactor.mask("key wrong-probe-key") == "key wrong-probe-key"
    redactor.add(KEY, "key")
    redactor.add(TOKEN, "token")
    replaced = redactor.substitute(
        f"{KEY} {TOKEN} +33698765432", lambda kind, value: f"<{kind}:{len(value)}>"
    )
    assert replaced == f"<key:{len(KEY)}> <token:{len(TOKEN)}> <phone:12>"
    assert mask(f"{KEY} {TOKEN}", secrets=[KEY], tokens=[TOKEN]) == f"{KEY_MASK} b22b••••"


def test_a_key_inside_a_phone_like_run_wins() -> None:
    """Overlapping finds merge; a key wins over the phone pattern it overlaps."""
    redactor = Redactor(secrets=["0612345678901"])
    assert redactor.mask("call 0612345678901 now") == f"call {KEY_MASK} now"


# --- additions of the second privacy round (issue 22) and of one pass per text (issue 21) ---


def test_kinds_and_their_displays() -> None:
    assert redact.KINDS == ("key", "token", "email", "phone", "name")
    assert [redact.display(kind, "jean.dupont@example.fr") for kind in redact.KINDS] == [
        KEY_MASK,
        "jean••••",
        "j•••@•••.fr",
        "jea•••••••••••••••••fr",
        redact.NAME_MASK,
    ]
    assert redact.mask_email("not an address") == redact.NAME_MASK
    assert redact.display("token", "b22b841a") == redact.BULLETS  # a piece shows nothing


def test_a_redactor_shows_no_value_in_its_repr_and_survives_pickling() -> None:
    redactor = Redactor(secrets=[KEY], tokens=[TOKEN], phones=["+33612345678"], names=["Ana Lys"])
    shown = repr(redactor)
    assert KEY not in shown
    assert TOKEN not in shown
    assert "612345678" not in shown
    assert "Lys" not in shown
    copy = pickle.loads(pickle.dumps(redactor))  # noqa: S301 (our own object)
    text = f"{KEY} {TOKEN.upper()} 06 12 34 56 78 ana lys"
    assert copy.mask(text) == redactor.mask(text) == f"{KEY_MASK} B22B•••• 06 •••••••••78 •••"


def test_token_shapes_mask_another_rentals_token_unless_kept() -> None:
    other = "312c65deab1295ae39cda15c6977862e9b9486fe"
    text = f'{{"token": "{other}", "sha256": "{"ab" * 32}"}}'
    assert Redactor().mask(text) == text
    assert Redactor(token_shapes=True).mask(text) == text.replace(other, "312c••••")
    assert Redactor(token_shapes=True, keep=[other.upper()]).mask(text) == text
    assert mask(other, token_shapes=True) == "312c••••"


def test_leaks_are_values_added_unless_shapes_are_asked_for() -> None:
    redactor = Redactor(tokens=[TOKEN], phones=["+33612345678"], emails=["a.b@example.org"])
    text = f"{TOKEN.upper()} +33698765432 0612345678 A.B@EXAMPLE.ORG c@example.org ?apiKey=x"
    assert redactor.leaks(text) == ["token", "phone", "email"]
    # by pattern the two numbers, one space apart, are one find
    assert redactor.leaks(text, shapes=True) == ["token", "phone", "email", "email", "key"]


def test_escaped_finds_are_replaced_where_they_are_written() -> None:
    """A find in decoded text maps back to the escapes that wrote it, nothing around."""
    redactor = Redactor(secrets=[KEY])
    escaped = "".join(f"&#{ord(char)};" for char in KEY)
    text = f"<p>a&amp;b {escaped} %2B33698765432 caf\\u00e9</p>"
    replaced = redactor.substitute(text, lambda kind, value: f"[{kind}]")
    assert replaced == "<p>a&amp;b [key] [phone] caf\\u00e9</p>"


def test_a_value_split_by_markup_keeps_the_markup() -> None:
    pieces = "".join(f"<entry>{TOKEN[i : i + 7]}</entry>" for i in range(0, len(TOKEN), 7))
    text = f"<response>{pieces}<entry>19</entry></response>"
    replaced = Redactor(tokens=[TOKEN]).substitute(text, lambda kind, value: "0" * len(value))
    entries = ElementTree.fromstring(replaced)  # noqa: S314 (our own text)
    assert entries.findall("entry")[-1].text == "19"
    assert [e.text for e in entries][:-1] == [
        "0" * len(TOKEN[i : i + 7]) for i in range(0, len(TOKEN), 7)
    ]


def test_keys_and_tokens_are_found_whatever_their_letter_case() -> None:
    redactor = Redactor(secrets=[KEY], tokens=[TOKEN])
    assert redactor.mask(f"{KEY.upper()} {TOKEN.upper()}") == f"{KEY_MASK} B22B••••"
    assert redactor.leaks(quote(KEY).lower()) == ["key"]


def test_a_kept_value_is_never_touched_even_in_part() -> None:
    """`REDACTED-API-KEY` holds `-API-KEY`: eight characters of the key `demo-api-key`."""
    text = "apiKey=REDACTED-API-KEY then DEMO-API-KEY"
    assert Redactor(secrets=["demo-api-key"]).mask(text) == "apiKey=*** then ***"
    kept = Redactor(secrets=["demo-api-key"], keep=["REDACTED-API-KEY"])
    assert kept.mask(text) == "apiKey=REDACTED-API-KEY then ***"
    assert kept.leaks(text) == ["key"]
