"""Building the models of an answer fast: a million STOP entries in a fraction of a second.

The generated `from_dict` copies each entry's dict and pops its fields one by one; on a
million entries that, the per-entry type walk and the garbage collector's full passes over the
growing heap made the typed list cost 14x what `httpx.get(...).json()` costs. Here, once the
answer's JSON types are known to be right (`_shape.conforms`):

- a model whose `from_dict` passes every field through unchanged (scalars, no enum, const,
  date or nested model: found out once per class by a round trip of sentinel values through
  its own `to_dict` and `from_dict`, so no assumption about the generator is made) is built by
  calling the class with the fields taken out of each entry in C (`operator.itemgetter`), its
  `additional_properties` set only for the entries that have more fields;
- any other model goes through its own `from_dict`;
- the garbage collector is paused while an answer is decoded and built (the objects made are
  all kept: a collection could free nothing, but would walk every object made so far, again
  and again). The pause nests and is process-wide, so it is counted under a lock;
- when the pause made many objects (`PROMOTE_AFTER`), they are moved to the oldest generation
  as it ends (`gc.freeze()` then `gc.unfreeze()`: two list splices, no walk), instead of
  being walked by the first collection after it: unlike the raw answer's dicts of strings and
  numbers, which the collector does not track, a model is tracked, and that first walk of a
  million of them took as long as building them. Other young objects of the process are moved
  along with them (a cycle among them is then collected by a full collection rather than a
  young one). Never done when something is frozen already (a pre-fork server's `gc.freeze()`
  is left alone).

No dependency was added for this. orjson decodes the million entries only ~25% faster than
`json.loads` (the time goes into making the objects, which it makes too), and msgspec would
decode into its own structs, not the attrs models users build and compare; with the passes
above the typed list costs under twice the raw `httpx` + `json.loads`
(scripts/bench_client.py).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, TypeVar

import attrs

from ._shape import Columns

T = TypeVar("T")

PROMOTE_AFTER = 100_000
"""Objects made during a pause (the young generation's count) from which they are moved to the
oldest generation at its end."""

_PLAIN: dict[type, tuple[str, ...] | None] = {}
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector off inside the block (and back as it was at the outermost end)."""
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                if gc.get_count()[0] >= PROMOTE_AFTER and gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


class _Sentinel:
    """A value no JSON holds: what a field of a probe model is set to."""


def plain_fields(cls: type) -> tuple[str, ...] | None:
    """The JSON names of `cls`'s constructor arguments, in order, when its `from_dict` passes
    every field through unchanged and all are required; None otherwise (cached per class)."""
    if cls in _PLAIN:
        return _PLAIN[cls]
    names: tuple[str, ...] | None = None
    try:
        init = [field for field in attrs.fields(cls) if field.init]
        if all(field.default is attrs.NOTHING and not field.kw_only for field in init):
            sentinels = [_Sentinel() for _ in init]
            wire = cls(*sentinels).to_dict()
            by_identity = {id(value): key for key, value in wire.items()}
            found = [by_identity.get(id(sentinel)) for sentinel in sentinels]
            back = cls.from_dict(wire)  # type: ignore[attr-defined]
            round_trip = all(
                getattr(back, field.name) is sentinel for field, sentinel in zip(init, sentinels, strict=True)
            )
            extra = getattr(back, "additional_properties", {})
            if len(wire) == len(init) and None not in found and round_trip and not extra:
                names = tuple(name for name in found if name is not None)
    except Exception:
        names = None
    _PLAIN[cls] = names
    return names


STEP = 8192
"""Entries built at once when a list is built in place (its dicts freed as models replace
them: the list's memory is reused instead of doubled)."""


def build_list(
    cls: type[T],
    entries: list[Any],
    checked: tuple[dict[str, list[Any]], bool] | None = None,
    *,
    in_place: bool = False,
) -> list[T]:
    """`[cls.from_dict(entry) for entry in entries]`, fast for a plain model (the entries'
    JSON types already checked); `checked`: the columns `_shape.conforms` took out of the
    entries, and whether no entry has more fields, to build from without taking them again.
    `in_place`: the models replace the entries in `entries` itself, which is returned."""
    names = plain_fields(cls)
    if names is None:
        models = [cls.from_dict(entry) for entry in entries]  # type: ignore[attr-defined]
        if not in_place:
            return models
        entries[:] = models
        return entries
    if checked is not None and all(name in checked[0] for name in names):
        columns = [checked[0][name] for name in names]
        uniform = checked[1]
    else:
        columns = [list(map(itemgetter(name), entries)) for name in names]
        uniform = not entries or set(map(len, entries)) == {len(names)}
    extras: dict[int, dict[str, Any]] = {}
    if not uniform:  # the unknown fields of the entries that have some
        known = frozenset(names)
        extras = {
            index: {key: value for key, value in entries[index].items() if key not in known}
            for index, width in enumerate(map(len, entries))
            if width != len(names)
        }
    if not columns:
        built: list[Any] = [cls() for _ in entries]
    elif not in_place:
        built = list(map(cls, *columns))
    else:
        for start in range(0, len(entries), STEP):
            end = start + STEP
            entries[start:end] = map(cls, *(column[start:end] for column in columns))
        built = entries
    for index, extra in extras.items():
        built[index].additional_properties = extra
    return built


def build(
    cls: type[T],
    data: Any,
    lists: Sequence[tuple[str, str, type]] = (),
    columns: Columns | None = None,
) -> T:
    """`cls.from_dict(data)`, its lists of models (`(json name, attribute, model class)`) built
    by `build_list` (from the `columns` the shape check left, when it left some)."""
    if not lists or not isinstance(data, dict):
        return cls.from_dict(data)  # type: ignore[attr-defined, no-any-return]
    shallow = dict(data)
    built: dict[str, list[Any]] = {}
    for name, attribute, item_cls in lists:
        entries = shallow.get(name)
        if isinstance(entries, list):
            checked = columns.get(id(entries)) if columns else None
            built[attribute] = build_list(item_cls, entries, checked, in_place=True)
            shallow[name] = []
    model = cls.from_dict(shallow)  # type: ignore[attr-defined]
    for attribute, models in built.items():
        setattr(model, attribute, models)
    return model  # type: ignore[no-any-return]


__all__ = ["Columns", "build", "build_list", "gc_paused", "plain_fields"]
