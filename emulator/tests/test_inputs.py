"""Every file input is a regular file read within its cap, parsed without aliases, with integer
and nesting limits, and every failure is one line naming the file: from `load_fixtures`,
`create_app`, the CLI (exit 2) and the pytest plugin (see test_plugin for the plugin).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from smspartner_emulator import FixturesError, ReplayError, create_app, load_fixtures
from smspartner_emulator.files import InputFileError, read_regular, read_text, size_text
from smspartner_emulator.recording import (
    Cassette,
    CassetteError,
    dump_cassette,
    load_cassette,
    parse_cassette,
)
from smspartner_emulator.replay import read_recording
from smspartner_emulator.safe_yaml import (
    LIBYAML,
    MAX_DEPTH,
    YamlError,
    load_yaml,
)

Cli = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]
GOOD_TOP = 'api_keys: ["k"]\n'


def alias_bomb(size: int = 176_000) -> str:
    """A 'billion laughs': each level names the previous one ten times; ~10^levels strings."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    level = 0
    while sum(len(line) + 1 for line in lines) < size:
        level += 1
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


ODD_YAML: list[tuple[str, str, str]] = [
    ("alias-bomb", alias_bomb(), "aliases (*name) are not allowed"),
    ("long-integer", GOOD_TOP + "n: " + "9" * 5000 + "\n", "integer of 5,000 characters"),
    ("int-tag", GOOD_TOP + "n: !!int abc\n", "not an integer: 'abc'"),
    ("no-such-date", GOOD_TOP + "d: 2001-13-45\n", "not a valid date: '2001-13-45'"),
    ("nested", GOOD_TOP + "n: " + "[" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
    ("beyond-64-bits", GOOD_TOP + "n: 9223372036854775808\n", "outside the signed 64-bit"),
    ("python-tag", GOOD_TOP + "n: !!python/name:os.system\n", "is not supported"),
    ("two-documents", GOOD_TOP + "---\nb: 1\n", "more than one document"),
    ("duplicate-key", GOOD_TOP + "api_keys: [x]\n", "appears twice"),
]


def test_the_alias_bomb_is_the_size_of_the_report() -> None:
    assert 170_000 < len(alias_bomb().encode()) < 180_000


@pytest.mark.parametrize(("name", "text", "problem"), ODD_YAML, ids=[c[0] for c in ODD_YAML])
def test_odd_yaml_is_one_line_naming_the_file_and_place(name: str, text: str, problem: str) -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml(text, f"{name}.yaml")
    message = str(caught.value)
    assert message.startswith(f"{name}.yaml: invalid YAML: line ")
    assert problem in message
    assert "\n" not in message


def test_plain_data_reads_as_yaml_safe_load_does() -> None:
    text = (
        "a: 012\nb: 0x1F\nc: 1_000\nd: 190:20:30\ne: ~\nf: yes\ng: 1.5\nh: .inf\n"
        "i: 2015-07-20 10:19:45\nj: '12'\nk: [1, {x: y}, [], {}]\nl: !!str 12\nm: -7\n"
    )
    assert load_yaml(text, "t") == yaml.safe_load(text)
    assert LIBYAML  # this environment has the C parser: the fast path is the one tested


def test_the_alias_bomb_stops_at_its_first_alias() -> None:
    """Refused where the first `*l0` is: nothing after it is read (it is not expanded)."""
    with pytest.raises(YamlError, match=r"line 2, column \d+: aliases"):
        load_yaml(alias_bomb(), "bomb.yaml")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "input.fifo"
    os.mkfifo(path)
    return path


def never_blocks(call: Callable[[], Any]) -> BaseException | None:
    """Run `call` in a thread; what it raised. A call still blocked after 30 s is a failure
    (a FIFO read blocks for ever: this turns a hung suite into a failed test)."""
    raised: list[BaseException | None] = [None]

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            raised[0] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "blocked on the file"
    return raised[0]


def special_files(tmp_path: Path, fifo: Path) -> Iterator[tuple[Path, str]]:
    yield fifo, "not a regular file (a FIFO (named pipe))"
    yield tmp_path, "not a regular file (a directory)"
    yield Path("/dev/null"), "not a regular file (a character device)"


def test_special_files_are_refused_without_blocking(tmp_path: Path, fifo: Path) -> None:
    for path, problem in special_files(tmp_path, fifo):
        for read in (
            functools.partial(read_regular, path, 1024),
            functools.partial(load_fixtures, path),
        ):
            error = never_blocks(read)
            assert isinstance(error, InputFileError | FixturesError), error
            assert str(error) == f"{path}: {problem}"
        # A cassette is read by the recording module's own reader: its words, one line.
        error = never_blocks(functools.partial(create_app, replay=path))
        assert isinstance(error, ReplayError), error
        assert str(error).startswith(f"{path}: ")
        assert "regular file" in str(error) or "directory" in str(error)
        assert "\n" not in str(error)


def test_a_file_is_read_within_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 2048)
    assert read_regular(path, 2048) == b"x" * 2048
    with pytest.raises(InputFileError, match=r"f\.txt: larger than 2,000 bytes$"):
        read_regular(path, 2000)
    path.write_bytes(b"\xef\xbb\xbfok \xff")
    with pytest.raises(InputFileError, match=r"f\.txt: not UTF-8 \(byte 6\)$"):
        read_text(path, 100)
    path.write_bytes("\ufeffok".encode())
    assert read_text(path, 100) == "ok"
    assert (size_text(16 * 2**20), size_text(1000)) == ("16 MiB", "1,000 bytes")


def test_a_cassette_is_read_as_utf8_text(tmp_path: Path) -> None:
    text = dump_cassette(Cassette("https://api", "live", "1.0.0", "now", {}, []))
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_cassette(path) == load_cassette_text(text, path)
    path.write_bytes(text.encode() + b"# \xff\n")
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value) == f"{path}: not UTF-8 (byte {len(text.encode()) + 2})"


def load_cassette_text(text: str, path: Path) -> Cassette:
    return parse_cassette(text, str(path))


@pytest.mark.parametrize(("name", "text", "problem"), ODD_YAML, ids=[c[0] for c in ODD_YAML])
def test_odd_fixtures_are_one_line(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixturesError) as caught:
        load_fixtures(path)
    assert str(caught.value).startswith(f"{path}: invalid YAML: ")
    assert problem in str(caught.value)


ODD_CASSETTES = [case for case in ODD_YAML if case[0] != "nested"]
"""The nested case takes the cassette reader (pure Python) seconds: once, in the next test."""


@pytest.mark.parametrize(
    ("name", "text", "problem"), ODD_CASSETTES, ids=[c[0] for c in ODD_CASSETTES]
)
def test_odd_cassettes_are_one_line(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReplayError) as replayed:
        read_recording(path)
    assert str(replayed.value).startswith(f"{path}: ")
    assert "\n" not in str(replayed.value)


def test_odd_values_inside_a_real_cassette_are_one_line(tmp_path: Path) -> None:
    """What the cassette reader lets through still ends in one line naming the file."""
    good = dump_cassette(Cassette("https://api", "live", "1.0.0", "now", {}, []))
    for odd in ("x: " + "9" * 5000, "x: !!int abc", "x: 2001-13-45", "x: " + "[" * 100_000):
        path = tmp_path / "odd-cassette.yaml"
        path.write_text(good + odd + "\n", encoding="utf-8")
        error = never_blocks(functools.partial(read_recording, path))
        assert isinstance(error, ReplayError), error
        assert str(error).startswith(f"{path}: ")
        assert "\n" not in str(error)


CLI_CASES = [
    ("--fixtures", "fifo", "not a regular file (a FIFO (named pipe))"),
    ("--replay", "fifo", "not a regular file"),
    ("--fixtures", "alias-bomb", "aliases (*name) are not allowed"),
    ("--fixtures", "nested", "nested deeper than"),
    ("--replay", "long-integer", ""),
]


@pytest.mark.parametrize(("option", "name", "problem"), CLI_CASES)
def test_the_command_refuses_each_in_one_line_and_exit_2(
    cli: Cli, tmp_path: Path, fifo: Path, option: str, name: str, problem: str
) -> None:
    if name == "fifo":
        path = fifo
    else:
        path = tmp_path / f"{name}.yaml"
        path.write_text(next(text for case, text, _ in ODD_YAML if case == name), "utf-8")
    result = cli(["--port", "0", option, str(path)])  # a FIFO would block: the timeout says
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"smspartner-emulator: {path}: ")
    assert problem in line


def test_the_file_helper_is_standard_library_only() -> None:
    """The runner reuses it where start-up cost matters: nothing heavy comes with it."""
    probe = (
        "import sys, smspartner_emulator.files\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    # `_distutils_hack` is setuptools' start-up hook of the interpreter, not ours.
    loaded = set(done.stdout.split()) - {"smspartner_emulator", "__main__", "_distutils_hack"}
    assert loaded <= set(sys.stdlib_module_names), sorted(loaded - set(sys.stdlib_module_names))
