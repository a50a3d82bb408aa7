"""The logical-type guard encode runs on every record: dates and timestamps fastavro would accept
but not round-trip (an ISO string, an int, a naive datetime)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from streams.kafka.explain import is_record
from streams.kafka.schema_catalogue import NAMED, Json, full_name

# fastavro accepts an ISO string or an int for a date and writes a naive datetime as *local* time.
# Both would round-trip to something else, so encode refuses them. The guard runs on every encode:
# it is compiled once per schema and only descends into the parts of a record that hold dates.
_Guard = Callable[[Any], bool]  # True: the value breaks the rule somewhere


def logical_guard(schema: Json) -> _Guard:
    """The guard for records of `schema`: True when a date or timestamp would not round-trip."""
    return _compile(schema, {}, frozenset()) or (lambda _record: False)


def _bad_date(v: Any) -> bool:
    return v.__class__ is not dt.date


def _bad_timestamp(v: Any) -> bool:
    return not isinstance(v, dt.datetime) or v.tzinfo is None


def _compile(node: Json, named: dict[str, Json], seen: frozenset[str]) -> _Guard | None:
    if isinstance(node, str):
        return _compile(named[node], named, seen) if node in named and node not in seen else None
    if isinstance(node, list):
        return _compile_union(node, named, seen)
    kind = node["type"]
    if isinstance(kind, (dict, list)):
        return _compile(kind, named, seen)
    logical = node.get("logicalType")
    if logical == "date":
        return _bad_date
    if logical in {"timestamp-millis", "timestamp-micros"}:
        return _bad_timestamp
    if kind in NAMED:
        named[full_name(node)] = node
        seen = seen | {full_name(node)}
    if kind in {"record", "error"}:
        fields = [(f["name"], g) for f in node["fields"] if (g := _compile(f["type"], named, seen))]
        return _record_guard(fields) if fields else None
    if kind == "array":
        item = _compile(node["items"], named, seen)
        return (lambda v: isinstance(v, list) and any(map(item, v))) if item else None
    if kind == "map":
        value = _compile(node["values"], named, seen)
        return (lambda v: isinstance(v, Mapping) and any(map(value, v.values()))) if value else None
    return None


def _record_guard(fields: list[tuple[str, _Guard]]) -> _Guard:
    def guard(v: Any) -> bool:
        return isinstance(v, Mapping) and any(g(v[n]) for n, g in fields if n in v)

    return guard


def _compile_union(
    branches: list[Json], named: dict[str, Json], seen: frozenset[str]
) -> _Guard | None:
    resolved = [named.get(b, b) if isinstance(b, str) else b for b in branches]
    guards = [_compile(b, named, seen) for b in branches]
    if not any(guards):
        return None
    records = [
        (full_name(b), frozenset(f["name"] for f in b["fields"]), g)
        for b, g in zip(resolved, guards, strict=True)
        if is_record(b)
    ]
    scalar = [g for b, g in zip(resolved, guards, strict=True) if g and not is_record(b)]

    def guard(v: Any) -> bool:
        if v is None:
            return False
        if isinstance(v, tuple) and len(v) == 2:  # fastavro's (record name, record) notation
            return any(g(v[1]) for name, _f, g in records if g and name == v[0])
        if isinstance(v, Mapping) and records:
            # fastavro writes a dict with the record branch that shares most keys with it.
            _n, _f, g = max(records, key=lambda r: len(r[1] & v.keys()))
            return g is not None and g(v)
        return all(g(v) for g in scalar) if scalar else False

    return guard
