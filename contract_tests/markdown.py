"""Reading the kit's Markdown as the docs' tests need it: fenced blocks, links, headings.

Small on purpose (no Markdown library): the docs keep to a plain subset that this reads
exactly. Fences start at column 0 with three or more backticks; the fence's first word is
the language, the next ones are tags (`text prints`: the output of the block before). A
block may be preceded by one marker comment, `<!-- snippet: no-run (reason) -->`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^`]*)$")
MARKER = re.compile(r"^<!-- snippet: (?P<kind>[a-z-]+)(?: \((?P<reason>[^)]*)\))? -->$")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|file|mailto):[^>\s]+)>")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it opens, its language and tags, its text, its marker."""

    path: Path
    line: int
    """1-based line of the opening fence."""
    language: str
    tags: tuple[str, ...]
    text: str
    marker: str | None = None
    reason: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def file_name(self) -> str | None:
        """`myapp/stops.py` when the block's first line is `# myapp/stops.py`: a file of a
        small project, written to disk rather than run."""
        first = self.text.split("\n", 1)[0]
        found = re.fullmatch(r"# ([\w/]+\.py)(?:: .*)?", first)
        return found.group(1) if found else None


@dataclass(frozen=True)
class Document:
    """A Markdown file split into its prose lines (fenced blocks blanked) and its blocks."""

    path: Path
    lines: tuple[str, ...]
    prose: tuple[str, ...]
    blocks: tuple[Block, ...]


def read(path: Path) -> Document:
    """Parse `path`; ValueError naming the line for a fence left open or indented."""
    lines = path.read_text("utf-8").splitlines()
    prose: list[str] = []
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = FENCE.match(line)
        if line.lstrip().startswith(("```", "~~~")) and not opening:
            raise ValueError(f"{path}:{index + 1}: a fence must start at column 0")
        if not opening:
            prose.append(line)
            index += 1
            continue
        fence, info = opening.group(1), opening.group(2).split()
        end = index + 1
        while end < len(lines) and not (
            lines[end].startswith(fence[0] * len(fence)) and not lines[end].strip(fence[0])
        ):
            end += 1
        if end == len(lines):
            raise ValueError(f"{path}:{index + 1}: fence never closed")
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = MARKER.match(before.strip())
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                language=info[0] if info else "",
                tags=tuple(info[1:]),
                text="\n".join(lines[index + 1 : end]) + "\n",
                marker=marker.group("kind") if marker else None,
                reason=marker.group("reason") if marker else None,
            )
        )
        prose.extend([""] * (end - index + 1))
        index = end + 1
    return Document(path, tuple(lines), tuple(prose), tuple(blocks))


def without_code_spans(line: str) -> str:
    return _CODE_SPAN.sub("", line)


def links(document: Document) -> list[tuple[int, str]]:
    """(line, target) of every link of the prose: inline, autolinks, reference definitions."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(document.prose, start=1):
        text = without_code_spans(line)
        for pattern in (_INLINE_LINK, _AUTOLINK, _REFERENCE):
            found.extend((number, match.group(1)) for match in pattern.finditer(text))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(document: Document) -> set[str]:
    """Every heading's anchor, duplicates numbered as GitHub does (`-1`, `-2`...)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in document.prose:
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def table_rows(document: Document, header_start: str) -> list[list[str]]:
    """The body rows of the first table whose header row starts with `header_start`, as
    stripped cells (backticks kept)."""
    rows: list[list[str]] = []
    inside = False
    for line in document.prose:
        if not inside and line.startswith(header_start):
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                if rows:
                    break
                continue
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if all(set(cell) <= set("-: ") for cell in cells):
                continue
            rows.append(cells)
    return rows
