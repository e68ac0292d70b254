"""`smspartner_client.redact`, the one masking implementation of the kit (generator/static).

Its public surface (`Redactor(secrets, tokens, phones, keep)` with `.mask`, `.substitute`,
`.add`, `.finds`; `mask_phone`, `mask_token`) is used by the client's errors, the emulator's log
and the contract run's reports and recordings.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest
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
