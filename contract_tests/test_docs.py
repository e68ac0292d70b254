"""The user documentation (README.md, docs/*.md) is true: its snippets run, its links resolve.

Every fenced block is one of:

- `python`: executed in this process, in a temporary directory, with `SMSPARTNER_BASE_URL`
  and `SMSPARTNER_API_KEY` naming the emulator the plugin serves on 127.0.0.1 (and the
  default emulator address `http://127.0.0.1:8000/v1` replaced by its address); a socket
  guard refuses any address but loopback. A block whose first line is `# path/name.py` is a
  file of a small project: the files of a page are written out, and each `test_*.py` among
  them runs under pytest, in-process, with the emulator's plugin;
- `sh`/`bash`: run by `bash -euo pipefail` in a temporary directory, with the venv's commands
  first on PATH, `127.0.0.1:8000` replaced by the emulator's address, and
  `SMSPARTNER_CONTRACT_EXAMPLES=5` (contract runs stay short: the docs show no counts);
- `text prints`: the output of the block just before it. Its lines must appear in that
  output in order (the first one first, unless it is `...`); a line ending in `...` matches
  any line starting with what comes before; ports on 127.0.0.1 may differ;
- `json`, `yaml`: parsed; `text`, `console`, `toml`: shown, not run (console blocks are
  commands of a checkout of the kit, e.g. `make test`, or installs from a package index:
  each make target runs in contract_tests/test_offline.py);
- any block preceded by `<!-- snippet: no-run (reason) -->` is not run; there are at most
  MAX_NO_RUN of those, each with its reason.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from smspartner_client.redact import FORMS
from smspartner_contract import cli as contract_cli
from smspartner_contract import ledger
from smspartner_contract.spec import SPEC_PATH, spec_data
from smspartner_emulator import CATALOGUE, SCENARIOS, default_fixtures
from smspartner_emulator import cli as emulator_cli
from smspartner_emulator.middleware import LINE_FORMAT

from contract_tests import markdown
from contract_tests.markdown import ROOT, Block, Document
from scripts import cli_reference

pytest_plugins = ["pytester"]

PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
DOCUMENTS = {path: markdown.read(path) for path in PAGES}
BLOCKS = [block for document in DOCUMENTS.values() for block in document.blocks]
README_MAX_LINES = 250
MAX_NO_RUN = 5
SHOWN_ONLY = {"text", "console", "toml"}
PARSED: dict[str, Callable[[str], object]] = {"json": json.loads, "yaml": yaml.safe_load}
RUN = {"python", "sh", "bash"}
EMULATOR_DEFAULT = "127.0.0.1:8000"
SHELL_TIMEOUT = 120
PUBLIC_HOSTS = {"www.smspartner.fr", "api.smspartner.fr"}
"""Where a link may leave the repository (https only): the provider's sites. Add a public
reference here when a page needs one; never a repository or a contact that does not exist."""
_PORT = re.compile(r"(127\.0\.0\.1|localhost):[0-9]+")


def _runnable(block: Block) -> bool:
    return block.language in RUN and block.marker is None


def _id(block: Block) -> str:
    return block.where


PYTHON = [b for b in BLOCKS if _runnable(b) and b.language == "python" and not b.file_name]
PROJECT_TESTS = [
    b for b in BLOCKS if _runnable(b) and b.file_name and Path(b.file_name).name.startswith("test_")
]
SHELL = [b for b in BLOCKS if _runnable(b) and b.language in ("sh", "bash")]
DATA = [b for b in BLOCKS if b.language in PARSED and b.marker is None]


def expected_output(block: Block) -> Block | None:
    """The `text prints` block right after `block`, if any."""
    blocks = DOCUMENTS[block.path].blocks
    following = blocks.index(block) + 1
    if following < len(blocks) and blocks[following].tags[:1] == ("prints",):
        return blocks[following]
    return None


def assert_prints(expected: Block, actual: str) -> None:
    """Each shown line appears in `actual`, in order; the first one first."""
    seen = [_PORT.sub(r"\1:PORT", line.rstrip()) for line in actual.splitlines()]
    seen = [line for line in seen if line.strip()]
    position = 0
    for number, raw in enumerate(expected.text.splitlines()):
        wanted = _PORT.sub(r"\1:PORT", raw.rstrip())
        if not wanted.strip() or wanted.strip() == "...":
            continue
        prefix = wanted.endswith("...")

        def matches(line: str, wanted: str = wanted, prefix: bool = prefix) -> bool:
            return line.startswith(wanted[:-3].rstrip()) if prefix else line == wanted

        if number == 0:
            first = seen[0] if seen else ""
            assert matches(first), f"{expected.where}: the output starts {first!r}, not {wanted!r}"
        while position < len(seen) and not matches(seen[position]):
            position += 1
        assert position < len(seen), (
            f"{expected.where}: line {number + 1} {wanted!r} not in the output (in order):\n"
            + "\n".join(seen[:80])
        )
        position += 1


# ---- the shape of the pages ----------------------------------------------------------------


def test_the_readme_is_short() -> None:
    lines = DOCUMENTS[ROOT / "README.md"].lines
    assert len(lines) < README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_every_block_has_a_known_language() -> None:
    known = RUN | SHOWN_ONLY | set(PARSED)
    unknown = [f"{b.where}: {b.language or '(none)'}" for b in BLOCKS if b.language not in known]
    assert not unknown, unknown


def test_outputs_follow_a_block_that_runs() -> None:
    for document in DOCUMENTS.values():
        for before, block in zip(document.blocks, document.blocks[1:], strict=False):
            if block.tags[:1] == ("prints",):
                assert block.language == "text", f"{block.where}: write ```text prints"
                runs = _runnable(before) and not before.file_name
                assert runs, f"{block.where}: the block before it does not run"


def test_few_blocks_are_left_unrun_and_each_says_why() -> None:
    unrun = [b for b in BLOCKS if b.marker is not None]
    assert all(b.marker == "no-run" and (b.reason or "").strip() for b in unrun), [
        b.where for b in unrun
    ]
    assert len(unrun) <= MAX_NO_RUN, [b.where for b in unrun]


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=lambda d: d.path.name)
def test_links_resolve_inside_the_repository_or_reach_a_public_site(document: Document) -> None:
    for line, target in markdown.links(document):
        where = f"{document.path.relative_to(ROOT)}:{line}: {target}"
        parts = urlsplit(target)
        if parts.scheme:
            assert parts.scheme == "https", where
            assert parts.hostname in PUBLIC_HOSTS, where
            continue
        path, _, anchor = target.partition("#")
        assert not path.startswith("/"), where
        file = (document.path.parent / path).resolve() if path else document.path
        assert file.is_relative_to(ROOT), where
        assert file.exists(), where
        if anchor and file.suffix == ".md":
            assert anchor in markdown.anchors(markdown.read(file)), where


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=lambda d: d.path.name)
def test_nothing_points_outside_the_repository(document: Document) -> None:
    text = "\n".join(document.lines)
    assert "../shared" not in text
    assert "/work/" not in text
    for number, line in enumerate(document.prose, start=1):
        bare = markdown.without_code_spans(line)
        assert "http://" not in bare, f"{document.path.name}:{number}: http:// outside code"


def test_no_secret_or_real_phone_number() -> None:
    fixtures = default_fixtures()
    numbers = {entry.phone_number for entry in fixtures.stop_list}
    tokens = {rental.token for rental in fixtures.rentals}
    keys = {*fixtures.api_keys, "***", "REDACTED-API-KEY", contract_cli.PROG}
    for document in DOCUMENTS.values():
        text = "\n".join(document.lines)
        for number in re.findall(r"(?<![\w.])(?:\+|00)[0-9]{8,15}\b", text):
            # the ITU's spare code, or France's range for fiction (06 39 98) as +33 6 39 98
            assert number in numbers or number.lstrip("+0").startswith(("999", "3363998")), number
        for number in re.findall(r"(?<![\w.+])0[1-9][0-9]{8}\b", text):
            assert number.startswith("063998"), number
        for token in re.findall(r"\b[0-9a-f]{40}\b", text):
            assert token in tokens or len(token.lstrip("0")) < 8, token  # or a placeholder
        for key in re.findall(r"apiKey=([^&'\"\s)`]+)", text):
            assert key in keys or key.startswith(("$", "*")), key


# ---- tables that must agree with the code ----------------------------------------------------


def make_help() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_make_help_prints_values_not_variables() -> None:
    shown = make_help()
    assert "$(" not in shown
    assert "http://127.0.0.1:8000/v1" in shown


def test_the_readme_lists_every_make_target_in_order() -> None:
    targets = [line.split()[0] for line in make_help().splitlines() if line.strip()]
    rows = markdown.table_rows(DOCUMENTS[ROOT / "README.md"], "| target |")
    listed = [re.sub(r"`make ([a-z-]+).*`", r"\1", row[0]) for row in rows]
    assert listed == targets


def test_the_scenarios_table_is_the_catalogue() -> None:
    rows = markdown.table_rows(DOCUMENTS[ROOT / "docs" / "emulator.md"], "| scenario |")
    assert [row[0].strip("`") for row in rows] == list(SCENARIOS)
    for name, _, check, category in rows:
        drift = CATALOGUE.get(name.strip("`"))
        if drift is None:
            assert (check, category) == ("", ""), name
        else:
            assert (check.strip("`"), category) == (drift.expected_check, drift.category), name


def test_the_privacy_table_is_the_table_of_forms() -> None:
    """docs/limits.md lists every form `redact` recognises, with its kinds and how it is found."""
    word = {"key": "key", "token": "token", "phone": "phone", "email": "e-mail", "name": "name"}
    rows = markdown.table_rows(DOCUMENTS[ROOT / "docs" / "limits.md"], "| form |")
    expected = [
        (
            form.name.replace("|", "\\|"),
            ", ".join(word[k] for k in form.kinds),
            " and ".join(form.by),
        )
        for form in FORMS
    ]
    assert [tuple(row[:3]) for row in rows] == expected


def test_the_spec_page_names_every_guess_and_every_extension() -> None:
    text = "\n".join(DOCUMENTS[ROOT / "docs" / "spec.md"].lines)
    spec = spec_data()
    for mark in ledger.marks(spec):
        assert f"`{mark.id}`" in text, mark.id
    used = set(re.findall(r"^\s*-?\s*(x-[a-z-]+):", SPEC_PATH.read_text("utf-8"), re.MULTILINE))
    assert used, "no extension found in the spec"
    for extension in used:
        assert f"`{extension}" in text, extension


def test_outputs_shown_but_not_run_have_the_commands_format() -> None:
    """The emulator's start line and access-log line, as emulator.md shows them."""
    text = "\n".join(DOCUMENTS[ROOT / "docs" / "emulator.md"].lines)
    announced = re.findall(r"^smspartner-emulator serving .*$", text, re.MULTILINE)
    assert announced
    assert all(line.startswith(emulator_cli.ANNOUNCE + "http://127.0.0.1:") for line in announced)
    access = re.findall(r"smspartner_emulator\.access: (.*)$", text, re.MULTILINE)
    assert access
    pattern = re.escape(LINE_FORMAT).replace("%s", ".+").replace("%d", "[0-9]{3}")
    pattern = pattern.replace("%\\.2f", "[0-9]+\\.[0-9]{2}")
    assert all(re.fullmatch(pattern, line) for line in access), (pattern, access)


def test_the_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == cli_reference.render()


def test_every_option_of_every_command_is_in_the_cli_reference() -> None:
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    for top in (contract_cli.build_parser(), emulator_cli.build_parser()):
        for parser in cli_reference.walk(top):
            assert f"`{parser.prog}`" in text
            for action in cli_reference.options(parser):
                for name in action.option_strings or [str(action.metavar or action.dest)]:
                    assert f"`{name}" in text, f"{parser.prog}: {name}"
    for option in ("--smspartner-fixtures", "--smspartner-replay", "--smspartner-stop-list-size"):
        assert f"`{option} " in text


def test_the_cli_reference_is_what_the_commands_print(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands parse with the parsers the reference is made from: same `--help`."""
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    monkeypatch.setenv("COLUMNS", str(cli_reference.WIDTH + 2))
    for call in (
        lambda: contract_cli.main(["run", "--help"]),
        lambda: emulator_cli.parse_args(["--help"]),
    ):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            call()
        assert out.getvalue().strip() in text


# ---- the snippets ----------------------------------------------------------------------------


@pytest.mark.parametrize("block", DATA, ids=_id)
def test_data_blocks_parse(block: Block) -> None:
    try:
        PARSED[block.language](block.text)
    except (ValueError, yaml.YAMLError) as exc:
        pytest.fail(f"{block.where}: {exc}")


@contextlib.contextmanager
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse to resolve or connect to anything but loopback (a snippet must not reach out)."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def is_loopback(host: object) -> bool:
        if host in (None, "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return False

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            raise socket.gaierror(f"docs test: {host} is not loopback")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not is_loopback(address[0]):
            raise ConnectionRefusedError(f"docs test: {address[0]} is not loopback")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield


@pytest.fixture
def snippet_env(
    smspartner_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[str], str]:
    """Run in a temporary directory against the plugin's emulator; returns the rewriter."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMSPARTNER_BASE_URL", smspartner_emulator.url)
    monkeypatch.setenv("SMSPARTNER_API_KEY", smspartner_emulator.api_key)
    address = urlsplit(smspartner_emulator.url).netloc
    return lambda text: text.replace(EMULATOR_DEFAULT, address)


@pytest.mark.parametrize("block", PYTHON, ids=_id)
def test_python_snippet(
    block: Block, snippet_env: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = compile(snippet_env(block.text), block.where, "exec")
    out = io.StringIO()
    with loopback_only(monkeypatch), contextlib.redirect_stdout(out):
        exec(code, {"__name__": "__main__"})  # noqa: S102 (the docs' own snippets)
    expected = expected_output(block)
    if expected is not None:
        assert_prints(expected, out.getvalue())


@pytest.mark.parametrize("block", PROJECT_TESTS, ids=_id)
def test_python_project(
    block: Block, pytester: pytest.Pytester, snippet_env: Callable[[str], str]
) -> None:
    """The page's project files up to this test file, written out; its tests pass."""
    blocks = DOCUMENTS[block.path].blocks
    for one in blocks[: blocks.index(block) + 1]:
        if one.language == "python" and one.file_name:
            target = pytester.path / one.file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(snippet_env(one.text), "utf-8")
    pytester.syspathinsert()
    pytester.chdir()
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-q", str(block.file_name)
    )
    outcomes = result.parseoutcomes()
    assert result.ret == 0, "\n".join(result.outlines[-40:])
    assert outcomes.get("passed", 0) >= 1, outcomes
    assert not outcomes.get("failed"), outcomes


@pytest.mark.parametrize("block", SHELL, ids=_id)
def test_shell_snippet(block: Block, snippet_env: Callable[[str], str], tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMSPARTNER_", "MAKE", "MFLAGS", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["SMSPARTNER_CONTRACT_EXAMPLES"] = "5"
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", snippet_env(block.text)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SHELL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.where}: still running after {SHELL_TIMEOUT} s")
    assert done.returncode == 0, f"{block.where}: exit {done.returncode}\n{done.stdout[-3000:]}"
    expected = expected_output(block)
    if expected is not None:
        assert_prints(expected, done.stdout)
