"""The assumption ledger: every guess of the spec, where it applies, and the spec without it.

A guess is marked where the spec makes it: `x-unconfirmed: {id, reason}` on a schema, a
response, a response media type or a parameter. Once a live run has confirmed it, the mark
becomes `x-confirmed: {id, date, reason}` and the statement is contract.

`relaxed(spec, ids)` is the spec with the guesses `ids` dropped, the view that tells a refuted
guess from breaking drift (an answer that fails the spec but passes this view only breaks
guesses):

- on a schema: its value constraints go (pattern, bounds, enum, const...), its type stays;
- on a response (the HTTP status of errors): its content is accepted at any status, as a
  `default` response and as an alternative (`anyOf`) of the operation's other responses;
- on a media type: the media type's aliases are accepted too (`text/xml` for
  `application/xml`), with the same schema;
- on a parameter (what an unsupported `_format` gets): requests with a value outside the
  parameter's enum are not judged; grading applies it (see grading.py), not this view.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from smspartner_contract import refs
from smspartner_contract.facts import iter_operations as operations

UNCONFIRMED = "x-unconfirmed"
CONFIRMED = "x-confirmed"
MarkKind = Literal["schema", "response", "media", "parameter", "other"]
CONSTRAINTS = frozenset(
    {
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "enum",
        "const",
        "format",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)
"""What a schema mark drops in the relaxed view; the type and the structure stay."""
MEDIA_ALIASES: Mapping[str, tuple[str, ...]] = {
    "application/xml": ("text/xml",),
    "application/json": ("text/json", "text/javascript"),
}


@dataclass(frozen=True)
class Mark:
    """One entry of the ledger."""

    id: str
    reason: str
    pointer: str
    """JSON pointer of the marked node, e.g. `/components/schemas/LocalDateTime`."""
    kind: MarkKind
    confirmed: str | None = None
    """The date of the run that confirmed it (`x-confirmed`), None while it is a guess."""

    @property
    def name(self) -> str:
        """The marked component's name (`LocalDateTime`), or the pointer's last part."""
        parts = self.pointer.strip("/").split("/")
        return _unescape(parts[2] if len(parts) > 2 else parts[-1])


escape = refs.escape
_unescape = refs.unescape
at = refs.at
resolve = refs.resolve


def _kind(pointer: str) -> MarkKind:
    parts = pointer.strip("/").split("/")
    if parts[:2] == ["components", "schemas"]:
        return "schema"
    if parts[:2] == ["components", "responses"]:
        return "media" if len(parts) == 5 and parts[3] == "content" else "response"
    if parts[:2] == ["components", "parameters"]:
        return "parameter"
    return "other"


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        yield pointer, node
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def marks(spec: Mapping[str, Any], *, confirmed: bool = False) -> list[Mark]:
    """The guesses of `spec` (and, with `confirmed`, the confirmed ones too), in file order."""
    found = []
    for pointer, node in _walk(spec):
        for key in (UNCONFIRMED, CONFIRMED) if confirmed else (UNCONFIRMED,):
            mark = node.get(key)
            if isinstance(mark, Mapping):
                found.append(
                    Mark(
                        id=str(mark.get("id", "")),
                        reason=" ".join(str(mark.get("reason", "")).split()),
                        pointer=pointer,
                        kind=_kind(pointer),
                        confirmed=str(mark["date"])
                        if key == CONFIRMED and "date" in mark
                        else None,
                    )
                )
    return found


def problems(spec: Mapping[str, Any]) -> list[str]:
    """What is wrong with the ledger: a mark without `id` or `reason`, two marks with one id."""
    found: list[str] = []
    seen: dict[str, str] = {}
    for pointer, node in _walk(spec):
        for key in (UNCONFIRMED, CONFIRMED):
            if key not in node:
                continue
            mark = node[key]
            where = f"{pointer}/{key}"
            if not isinstance(mark, Mapping):
                found.append(f"{where}: expected a mapping with `id` and `reason`, got {mark!r}")
                continue
            ident, reason = mark.get("id"), mark.get("reason")
            if not isinstance(ident, str) or not ident.strip():
                found.append(f"{where}: no `id`")
            elif ident in seen:
                found.append(f"{where}: id {ident!r} is already used at {seen[ident]}")
            else:
                seen[ident] = where
            if not isinstance(reason, str) or not reason.strip():
                found.append(f"{where}: no `reason`")
            if key == CONFIRMED and not str(mark.get("date", "")).strip():
                found.append(f"{where}: no `date` (the day of the run that confirmed it)")
        if UNCONFIRMED in node and CONFIRMED in node:
            found.append(f"{pointer}: both {UNCONFIRMED} and {CONFIRMED}")
    return found


def error_response(operation: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(status, response) of the operation's error answer: its first status that is not 2xx."""
    for status, response in operation.get("responses", {}).items():
        if str(status).isdigit() and not str(status).startswith("2"):
            return str(status), response
    return None


def mark_at(spec: Mapping[str, Any], node: Any) -> str | None:
    """The id of the guess on `node` or on what it references (first found), or None."""
    seen = 0
    while isinstance(node, Mapping) and seen < 32:
        mark = node.get(UNCONFIRMED)
        if isinstance(mark, Mapping) and isinstance(mark.get("id"), str):
            return str(mark["id"])
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return None
        node = at(spec, ref.removeprefix("#"))
        seen += 1
    return None


# ---- where a mark applies ----------------------------------------------------------------------


def _references(spec: Mapping[str, Any], schema: Any, target: str, here: str) -> Iterator[str]:
    """Field pointers (`/data/*/phoneNumber`, XML `/3/*/1`) where `schema` reaches `target`."""
    stack: list[tuple[Any, str, int]] = [(schema, here, 0)]
    while stack:
        node, where, depth = stack.pop()
        if not isinstance(node, Mapping) or depth > 24:
            continue
        ref = node.get("$ref")
        if ref == target:
            yield where or "/"
            continue
        if isinstance(ref, str):
            stack.append((resolve(spec, node), where, depth + 1))
            continue
        for name, sub in node.get("properties", {}).items():
            stack.append((sub, f"{where}/{name}", depth + 1))
        for index, sub in enumerate(node.get("prefixItems", [])):
            stack.append((sub, f"{where}/{index}", depth + 1))
        if isinstance(node.get("items"), Mapping):
            stack.append((node["items"], f"{where}/*", depth + 1))
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key, []):
                stack.append((sub, where, depth + 1))


def where(spec: Mapping[str, Any], mark: Mark) -> list[str]:
    """Where a mark applies, in words a maintainer can look up (operation, status, field)."""
    places: list[str] = []
    target = "#" + mark.pointer
    for method, path, operation in operations(spec):
        label = f"{method} {path}"
        for parameter in operation.get("parameters", []):
            if parameter.get("$ref") == target:
                places.append(f"{label}: query `{resolve(spec, parameter).get('name')}`")
        for status, response in operation.get("responses", {}).items():
            if mark.kind == "response" and response.get("$ref") == target:
                places.append(f"{label}: every error answer (documented as HTTP {status})")
            resolved = resolve(spec, response)
            if not isinstance(resolved, Mapping):
                continue
            for media, content in resolved.get("content", {}).items():
                if mark.kind == "media" and "#" + _media_pointer(response, media) == target:
                    places.append(f"{label} {status}: media type {media}")
                if mark.kind == "schema":
                    for field in sorted(set(_references(spec, content.get("schema"), target, ""))):
                        places.append(f"{label} {status} {media}: {field}")
    return places or [mark.pointer]


def _media_pointer(response: Mapping[str, Any], media: str) -> str:
    ref = response.get("$ref")
    base = ref.removeprefix("#") if isinstance(ref, str) else ""
    return f"{base}/content/{escape(media)}"


# ---- the relaxed view ----------------------------------------------------------------------------


def _relax_schema(node: dict[str, Any]) -> None:
    for keyword in CONSTRAINTS:
        node.pop(keyword, None)


def _relax_media(response: dict[str, Any], media: str) -> None:
    content = response.get("content", {})
    for alias in MEDIA_ALIASES.get(media, ()):
        if alias not in content:
            twin = copy.deepcopy(content[media])
            twin.pop(UNCONFIRMED, None)
            content[alias] = twin


def _relax_status(spec: dict[str, Any], pointer: str) -> None:
    """The response at `pointer` is accepted at any status of the operations that use it."""
    target = "#" + pointer
    marked = at(spec, pointer)
    for _, _, operation in operations(spec):
        responses = operation.get("responses", {})
        if not any(response.get("$ref") == target for response in responses.values()):
            continue
        for status, response in list(responses.items()):
            if response.get("$ref") == target:
                continue
            inline = copy.deepcopy(resolve(spec, response))
            for media, content in inline.get("content", {}).items():
                other = marked.get("content", {}).get(media)
                if other is not None and "schema" in content:
                    content["schema"] = {"anyOf": [content["schema"], other["schema"]]}
            responses[status] = inline
        responses.setdefault("default", {"$ref": target})


def relaxed(spec: Mapping[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """A copy of `spec` without the guesses `ids` (see the module docstring)."""
    wanted = set(ids)
    view = copy.deepcopy(dict(spec))
    chosen = [mark for mark in marks(view) if mark.id in wanted]
    for mark in chosen:
        node = at(view, mark.pointer)
        if mark.kind == "schema":
            _relax_schema(node)
        elif mark.kind == "media":
            parent = mark.pointer.rsplit("/content/", 1)
            _relax_media(at(view, parent[0]), _unescape(parent[1]))
    for mark in chosen:
        if mark.kind == "response":
            _relax_status(view, mark.pointer)
    refs.forget(view)  # nodes were replaced in place
    return view


def relaxable(spec: Mapping[str, Any]) -> list[str]:
    """Ids of the guesses the relaxed view can drop (schema, response and media type marks)."""
    return [mark.id for mark in marks(spec) if mark.kind in ("schema", "response", "media")]


def parameter_enums(spec: Mapping[str, Any]) -> dict[str, tuple[str, list[Any]]]:
    """Query parameters whose accepted values are a guess: name -> (mark id, enum values)."""
    found: dict[str, tuple[str, list[Any]]] = {}
    for mark in marks(spec):
        if mark.kind != "parameter":
            continue
        parameter = at(spec, mark.pointer)
        enum = resolve(spec, parameter.get("schema", {})).get("enum")
        if parameter.get("in") == "query" and isinstance(enum, list):
            found[str(parameter["name"])] = (mark.id, enum)
    return found


def listing(spec: Mapping[str, Any], *, as_json: bool = False) -> str:
    """The ledger for people (Markdown: id, status, where it applies, reason) or as JSON."""
    entries = [
        {
            "id": mark.id,
            "status": f"confirmed {mark.confirmed}" if mark.confirmed else "unconfirmed",
            "where": where(spec, mark),
            "reason": mark.reason,
            "pointer": mark.pointer,
        }
        for mark in marks(spec, confirmed=True)
    ]
    if as_json:
        return json.dumps(entries, ensure_ascii=False, indent=2)
    lines = [
        f"# Assumption ledger of spec/smspartner.yaml ({len(entries)} entries)",
        "",
        "| id | status | where it applies | reason |",
        "| --- | --- | --- | --- |",
    ]
    for entry in entries:
        places = "<br>".join(str(place) for place in entry["where"])
        lines.append(f"| `{entry['id']}` | {entry['status']} | {places} | {entry['reason']} |")
    return "\n".join(lines)
