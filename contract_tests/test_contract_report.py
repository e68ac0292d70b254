"""The run's small decisions, without a run: masking, loopback, base URLs, exit codes, reports."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as ET  # type: ignore[import-untyped]

from contract_tests.contract.report import junit, summary, verdict
from contract_tests.contract.run import (
    ADDITIVE,
    BREAKING,
    POLITE_RATE,
    Finding,
    Outcome,
    is_loopback,
    mask,
)
from contract_tests.contract.runner import (
    EXIT_ADDITIVE,
    EXIT_BREAKING,
    EXIT_OK,
    EXIT_UNUSABLE,
    Unusable,
    checked_base_url,
    exit_status,
    main,
    target_from,
)

KEY = "Kx7 team/key+value"


def finding(category: str = BREAKING, field: str = "/data/0/id", check: str = "schema") -> Finding:
    return Finding(
        operation="GET /stop-sms/list",
        check=check,
        code="ST001",
        title="Response violates schema",
        message="1 is not of type 'string'",
        field=field,
        category=category,
        curl="curl -X GET 'http://127.0.0.1:1/v1/stop-sms/list?apiKey=***'",
    )


@pytest.mark.parametrize(
    "text",
    [
        f"key {KEY} in prose",
        "GET /v1/stop-sms/list?apiKey=Kx7+team%2Fkey%2Bvalue&x=1",
        "GET /v1/stop-sms/list?apiKey=Kx7%20team%2Fkey%2Bvalue",
        "quoted 'Kx7%20team/key%2Bvalue'",
    ],
)
def test_mask_hides_every_form_of_the_key(text: str) -> None:
    masked = mask(text, KEY)
    assert "Kx7" not in masked
    assert "***" in masked


def test_mask_keeps_what_follows_a_key() -> None:
    assert mask("?apiKey=abc&token=t'", None) == "?apiKey=***&token=t'"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:9000/v1", True),
        ("http://127.5.6.7/v1", True),
        ("http://localhost:9000/v1", True),
        ("http://[::1]:9000/v1", True),
        ("http://127.attacker.example/v1", False),
        ("http://localhost.attacker.example/v1", False),
        ("https://api.smspartner.fr/v1", False),
        ("http://10.0.0.1/v1", False),
    ],
)
def test_only_loopback_hosts_escape_the_polite_mode(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


@pytest.mark.parametrize(
    ("url", "polite"),
    [
        ("https://api.smspartner.fr/v1", True),
        ("http://127.attacker.example/v1", True),
        ("http://127.0.0.1:9000/v1", False),
    ],
)
def test_a_target_that_is_not_ours_gets_a_polite_rate_limited_run(url: str, polite: bool) -> None:
    env = {"SMSPARTNER_BASE_URL": url, "SMSPARTNER_API_KEY": KEY}
    with target_from(env) as target:  # builds the target only: nothing is sent
        assert target.polite is polite
        assert target.rate_limit == (POLITE_RATE if polite else None)


def test_a_base_url_is_normalised() -> None:
    assert checked_base_url("HTTP://127.0.0.1:9000/v1/") == "http://127.0.0.1:9000/v1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:abc/v1", "not a valid URL"),
        ("http://xn--/v1", "not a valid URL"),
        ("http://[::1", "not a valid URL"),
        ("http://", "names no host"),
        ("http:///v1", "names no host"),
        ("ftp://127.0.0.1/v1", "not an http(s) URL"),
        ("http://127.0.0.1:99999/v1", "invalid port"),
    ],
)
def test_a_bad_base_url_is_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(Unusable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        checked_base_url(url)


def test_credentials_in_the_base_url_are_refused_and_not_repeated() -> None:
    with pytest.raises(Unusable) as refused:
        checked_base_url("http://me:s3cret-pass@127.0.0.1:1/v1")
    assert "s3cret" not in str(refused.value)
    with pytest.raises(Unusable) as invalid:
        checked_base_url("http://me:s3cret-pass@127.0.0.1:abc/v1")
    assert "s3cret" not in str(invalid.value)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:abc/v1", "http://a..b/v1", "http://xn--/v1", "http://[::1", "http://"],
)
def test_the_runner_explains_a_bad_base_url_in_one_line(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SMSPARTNER_BASE_URL": url, "SMSPARTNER_API_KEY": KEY}
    assert main(env) == EXIT_UNUSABLE
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("contract: ")
    assert "Kx7" not in err


def test_exit_status_says_what_a_run_found() -> None:
    assert exit_status(Outcome()) == EXIT_OK
    assert exit_status(Outcome(findings=[finding(ADDITIVE)])) == EXIT_ADDITIVE
    assert exit_status(Outcome(findings=[finding(ADDITIVE), finding()])) == EXIT_BREAKING
    assert exit_status(Outcome(errors=["boom"], findings=[finding()])) == EXIT_BREAKING
    cut_short = Outcome(errors=["boom"], findings=[finding(ADDITIVE)])
    assert exit_status(cut_short) == EXIT_UNUSABLE
    assert verdict(cut_short).startswith("ERROR")


def test_junit_has_one_failure_per_finding() -> None:
    outcome = Outcome(
        findings=[finding(field="/data/0/id"), finding(field="/nbData")],
        checked={("GET /stop-sms/list", "schema"), ("GET /stop-sms/list", "status")},
    )
    suite = ET.fromstring(junit(outcome))
    failures = suite.findall("testcase/failure")
    assert len(failures) == 2
    assert suite.get("failures") == "2"
    assert suite.get("tests") == "3"  # `status` passed, `schema` failed twice
    assert {case.get("name") for case in suite.findall("testcase")} == {
        "status",
        "schema /data/0/id",
        "schema /nbData",
    }


def test_the_summary_names_operation_check_field_and_curl() -> None:
    text = summary(Outcome(findings=[finding()]), "http://127.0.0.1:1/v1")
    assert "## GET /stop-sms/list" in text
    assert "`schema`" in text
    assert "field: `/data/0/id`" in text
    assert "reproduce: `curl -X GET" in text
