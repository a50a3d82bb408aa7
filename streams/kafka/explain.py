"""Why a record does not fit an Avro schema: the first 'full.path: reason' found, which is what
an EncodeError says (fastavro's own validation only answers yes or no)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from streams.kafka.schema_catalogue import NAMED, PRIMITIVES, Json, full_name

_INT_RANGE: dict[str, tuple[int | None, int | None]] = {
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def explain(record: Any, schema: Json) -> str | None:
    """First reason `record` does not fit the expanded `schema` ('full.path: reason'), or None."""
    named = {}

    def collect(node: Json, ns: str | None) -> None:
        if isinstance(node, list):
            for branch in node:
                collect(branch, ns)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind in NAMED:
                name = full_name(node, ns)
                named[name] = node
                for field in node.get("fields", []):
                    collect(field["type"], name.rpartition(".")[0] or None)
            elif kind == "array":
                collect(node["items"], ns)
            elif kind == "map":
                collect(node["values"], ns)

    collect(schema, None)
    top = (
        full_name(schema) if isinstance(schema, dict) and schema.get("type") in NAMED else "record"
    )
    return _explain(record, schema, top, named)


def _type_label(node: Json) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union [" + ", ".join(_type_label(b) for b in node) + "]"
    if node.get("type") in NAMED:
        return f"{node['type']} {full_name(node)}"
    logical = node.get("logicalType")
    return f"{node['type']} ({logical})" if logical else _type_label(node["type"])


def _got(value: Any) -> str:
    return "None" if value is None else f"{type(value).__name__} {value!r}"[:80]


def _explain(value: Any, node: Json, path: str, named: Mapping[str, Json]) -> str | None:
    if isinstance(node, str) and node in named:
        node = named[node]
    if isinstance(node, list):
        return _explain_union(value, node, path, named)
    kind = node if isinstance(node, str) else node["type"]
    if isinstance(kind, (dict, list)) or (
        kind not in PRIMITIVES and kind not in NAMED | {"array", "map"}
    ):
        return _explain(value, kind, path, named)
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if logical == "date":
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        return None if ok else f"{path}: expected datetime.date, got {_got(value)}"
    if logical in {"timestamp-millis", "timestamp-micros"}:
        if isinstance(value, dt.datetime):
            return (
                None
                if value.tzinfo
                else f"{path}: expected a timezone-aware datetime, got a naive one"
            )
        return f"{path}: expected a timezone-aware datetime, got {_got(value)}"
    return _explain_kind(value, node, str(kind), path, named)


def _explain_kind(
    value: Any, node: Json, kind: str, path: str, named: Mapping[str, Json]
) -> str | None:
    wanted: dict[str, tuple[type, ...]] = {
        "null": (type(None),),
        "boolean": (bool,),
        "string": (str,),
        "bytes": (bytes, bytearray),
        "float": (int, float),
        "double": (int, float),
        "int": (int,),
        "long": (int,),
    }
    if kind in wanted:
        if not isinstance(value, wanted[kind]) or (kind in _INT_RANGE and isinstance(value, bool)):
            return f"{path}: expected {kind}, got {_got(value)}"
        low, high = _INT_RANGE.get(kind, (None, None))
        if (
            isinstance(value, int)
            and low is not None
            and high is not None
            and not low <= value <= high
        ):
            return f"{path}: {value} is out of range for {kind}"
        return None
    if kind == "enum":
        symbols = node["symbols"]
        return None if value in symbols else f"{path}: expected one of {symbols}, got {_got(value)}"
    if kind == "fixed":
        ok = isinstance(value, bytes) and len(value) == node["size"]
        return None if ok else f"{path}: expected {node['size']} bytes, got {_got(value)}"
    if kind == "array":
        if not isinstance(value, (list, tuple)):
            return f"{path}: expected array, got {_got(value)}"
        return _first(
            _explain(v, node["items"], f"{path}[{i}]", named) for i, v in enumerate(value)
        )
    if kind == "map":
        if not isinstance(value, Mapping):
            return f"{path}: expected map, got {_got(value)}"
        bad_key = next((k for k in value if not isinstance(k, str)), None)
        if bad_key is not None:
            return f"{path}: map keys must be strings, got {_got(bad_key)}"
        return _first(
            _explain(v, node["values"], f"{path}[{k!r}]", named) for k, v in value.items()
        )
    return _explain_record(value, node, path, named)


def _explain_record(value: Any, node: Json, path: str, named: Mapping[str, Json]) -> str | None:
    if not isinstance(value, Mapping):
        return f"{path}: expected record {full_name(node)}, got {_got(value)}"
    fields = {f["name"]: f for f in node["fields"]}
    unknown = sorted(str(k) for k in value if k not in fields)
    if unknown:
        return f"{path}: unknown field(s) {', '.join(unknown)} for record {full_name(node)}"
    for name, field in fields.items():
        if name not in value:
            if "default" not in field:
                return f"{path}.{name}: missing (no default), expected {_type_label(field['type'])}"
            continue
        problem = _explain(value[name], field["type"], f"{path}.{name}", named)
        if problem:
            return problem
    return None


def _explain_union(
    value: Any, branches: list[Json], path: str, named: Mapping[str, Json]
) -> str | None:
    resolved = [named.get(b, b) if isinstance(b, str) else b for b in branches]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        chosen = [
            b
            for b in resolved
            if isinstance(b, dict) and b.get("type") in NAMED and full_name(b) == value[0]
        ]
        if not chosen:
            return f"{path}: union has no branch named {value[0]!r}"
        return _explain(value[1], chosen[0], f"{path}[{value[0]}]", named)
    problems = [_explain(value, b, path, named) for b in resolved]
    if any(p is None for p in problems):
        return None
    if value is None:
        return f"{path}: expected {_type_label(branches)}, got None"
    records = [(b, p) for b, p in zip(resolved, problems, strict=True) if is_record(b)]
    if isinstance(value, Mapping) and records:
        # Report against the branch sharing most keys with the value: the one the caller meant.
        best, problem = max(
            records, key=lambda bp: len(set(value) & {f["name"] for f in bp[0]["fields"]})
        )
        return problem.replace(path, f"{path}[{full_name(best)}]", 1) if problem else None
    return f"{path}: expected {_type_label(branches)}, got {_got(value)}"


def is_record(node: Json) -> bool:
    """Whether a schema node defines a record (or an error, Avro's other record type)."""
    return isinstance(node, dict) and node.get("type") in {"record", "error"}


def _first(problems: Iterable[str | None]) -> str | None:
    return next((p for p in problems if p is not None), None)
