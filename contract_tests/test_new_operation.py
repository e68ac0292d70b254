"""A new endpoint is a spec edit and an emulator route, nothing else (issue 23).

A copy of the spec gains `GET /me` (the account: its own required parameter, its own
documented codes, a name and an e-mail address marked as personal data); a test-only route
serves it from the emulator. Then, with no code change outside this file: the client is
generated from the copy and calls it; the ledger is listed; a live and a full contract run
pass, record and replay; two recordings compare equal; the probe plan grows by exactly the
requests the new operation's facts ask for; the name and the e-mail address reach no output.
Without the route, the run reports the missing operation as one breaking finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from smspartner_emulator import RouteCall, RouteError, create_app
from smspartner_emulator.encoding import Value
from smspartner_emulator.server import serving

from contract_tests.runs import DEMO_KEY, DOCS_TOKEN, ROOT, outputs, plan_size, run_cli
from contract_tests.test_masking_forms import views

NAME = "Zéphyrine Quentaloup"
EMAIL = "zephyrine.quentaloup@example.fr"
ACCOUNT = "acct-7731"
NEW_OPERATION = """
  /me:
    get:
      operationId: getAccount
      tags: [account]
      summary: Read the account
      description: The account behind the key, and what it has left (a test-only operation).
      x-documented-errors:
        - {code: 1, when: credential-missing}
        - {code: 10, when: credential-wrong}
        - {code: 41, when: parameter-missing, parameter: account}
        - {code: 42, when: parameter-unknown, parameter: account}
      parameters:
        - name: account
          in: query
          required: true
          description: The account's identifier.
          schema: {type: string, minLength: 1, description: Account identifier.}
          example: acct-7731
      responses:
        "200":
          description: The account.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Account"}
        "400":
          $ref: "#/components/responses/StopListError"
"""
NEW_SCHEMAS = """
    Account:
      type: object
      description: The account behind the key.
      required: [success, name, email, balance]
      properties:
        success: {$ref: "#/components/schemas/SuccessFlag"}
        name: {$ref: "#/components/schemas/PersonName"}
        email: {$ref: "#/components/schemas/EmailAddress"}
        balance: {type: integer, description: SMS credits left.}
    PersonName:
      type: string
      description: The account holder's name.
      x-personal-data: name
    EmailAddress:
      type: string
      description: The account holder's e-mail address.
      x-personal-data: email
"""


def spec_with_me(directory: Path) -> Path:
    text = (ROOT / "spec" / "smspartner.yaml").read_text(encoding="utf-8")
    text = text.replace("\ncomponents:\n", NEW_OPERATION + "components:\n", 1)
    text = text.replace("\n  schemas:\n", "\n  schemas:\n" + NEW_SCHEMAS.lstrip("\n"), 1)
    path = directory / "smspartner.yaml"
    path.write_text(text, encoding="utf-8")
    yaml.safe_load(text)  # still one document
    return path


def me(call: RouteCall) -> dict[str, Value] | RouteError:
    account = call.params.get("account")
    if not account:
        return RouteError(41, "Le compte est requis")
    if account != ACCOUNT:
        return RouteError(42, "Compte introuvable")
    return {"success": True, "name": NAME, "email": EMAIL, "balance": 1200}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spec_with_me(tmp_path_factory.mktemp("spec"))


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with serving(create_app(access_log=False, routes={"/me": me})) as url:
        yield url


def against(url: str, mode: str) -> dict[str, str]:
    return {
        "SMSPARTNER_BASE_URL": url,
        "SMSPARTNER_API_KEY": DEMO_KEY,
        "SMSPARTNER_RENTAL_TOKEN": DOCS_TOKEN,
        "SMSPARTNER_CONTRACT_MODE": mode,
        "SMSPARTNER_CONTRACT_EXAMPLES": "5",
    }


def nothing_personal(text: str) -> None:
    seen = views(text)
    for value in (NAME, EMAIL, "zephyrine", "quentaloup"):
        assert not any(value.lower() in view for view in seen), value


def test_the_client_is_generated_and_calls_it(tmp_path: Path, spec: Path, served: str) -> None:
    from scripts.generate_client import generate_into

    project = generate_into(tmp_path, spec)
    module = project / "smspartner_client" / "api" / "account" / "get_account.py"
    assert module.is_file()
    call = (
        "from smspartner_client import AuthenticatedClient;"
        "from smspartner_client.api.account import get_account;"
        f"client = AuthenticatedClient(base_url={served!r}, api_key={DEMO_KEY!r});"
        f"account = get_account.sync(client=client, account={ACCOUNT!r});"
        "print(account.balance, type(account).__name__)"
    )
    env = {**os.environ, "PYTHONPATH": str(project)}
    result = subprocess.run(
        [sys.executable, "-c", call],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["1200", "Account"]


def test_the_ledger_is_listed(tmp_path: Path, spec: Path) -> None:
    listed = run_cli(tmp_path, "assumptions", "--spec", str(spec), "--json")
    assert listed.returncode == 0, listed.stderr
    places = [place for entry in json.loads(listed.stdout) for place in entry["where"]]
    assert any(place.startswith("GET /me") for place in places)  # the shared error status


@pytest.mark.parametrize("mode", ["live", "full"])
def test_runs_replays_and_comparisons_work_on_it(
    tmp_path: Path, spec: Path, served: str, mode: str
) -> None:
    for place in ("1", "2"):
        (tmp_path / place).mkdir()
    first = run_cli(tmp_path / "1", "run", "--spec", str(spec), env=against(served, mode))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    report = json.loads((tmp_path / "1" / "build" / "contract" / "report.json").read_text())
    assert report["coverage"]["GET /me"]["success_answers"] >= 1
    assert set(report["coverage"]["GET /me"]["error_codes"]) >= {"1", "10", "41", "42"}
    if mode == "live":
        original = plan_size(
            yaml.safe_load((ROOT / "spec" / "smspartner.yaml").read_text()), credentials=True
        )
        grown = plan_size(yaml.safe_load(spec.read_text()), credentials=True)
        assert grown == original + 5  # one success, four documented errors
        assert report["requests"] == grown
    cassette = tmp_path / "1" / "build" / "contract" / "cassette.yaml"
    replay = run_cli(tmp_path / "1", "replay", str(cassette), "--spec", str(spec))
    assert replay.returncode == 0, replay.stdout[-3000:] + replay.stderr
    second = run_cli(tmp_path / "2", "run", "--spec", str(spec), env=against(served, mode))
    assert second.returncode == 0, second.stderr
    other = tmp_path / "2" / "build" / "contract" / "cassette.yaml"
    compared = run_cli(tmp_path, "compare", str(cassette), str(other), "--spec", str(spec))
    assert compared.returncode == 0, compared.stdout[-3000:]
    for result, where in (
        (first, tmp_path / "1"),
        (replay, tmp_path / "1"),
        (second, tmp_path / "2"),
    ):
        nothing_personal(outputs(result, where))
    nothing_personal(outputs(compared, tmp_path))


def test_without_the_route_the_missing_operation_is_one_breaking_finding(
    tmp_path: Path, spec: Path
) -> None:
    with serving(create_app(access_log=False)) as url:
        result = run_cli(tmp_path, "run", "--spec", str(spec), env=against(url, "live"))
    assert result.returncode == 1, result.stdout[-3000:]
    report = json.loads((tmp_path / "build" / "contract" / "report.json").read_text())
    about_me = [f for f in report["findings"] if f["operation"] == "GET /me"]
    assert [(f["category"], f["check"]) for f in about_me] == [("breaking", "operation_exists")]
    assert "the operation does not exist there" in about_me[0]["message"]
    others = [f for f in report["findings"] if f["operation"] != "GET /me"]
    assert others == []
    refuted = [a["id"] for a in report["assumptions"] if a["verdict"] == "refuted"]
    assert refuted == []
