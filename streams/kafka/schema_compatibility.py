"""Static Avro compatibility check: can a reader schema read data written with a writer schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streams.kafka.schema_catalogue import NAMED, Json, full_name, qualify

# Promotions allowed by Avro schema resolution (spec 1.11, "Schema Resolution"): writer -> reader.
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}


def _named_types(schema: Json, namespace: str | None = None) -> Iterator[tuple[str, Json]]:
    if isinstance(schema, list):
        for branch in schema:
            yield from _named_types(branch, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in NAMED:
            name = full_name(schema, namespace)
            yield name, schema
            for field in schema.get("fields", []):
                yield from _named_types(field["type"], name.rpartition(".")[0] or None)
        elif kind == "array":
            yield from _named_types(schema["items"], namespace)
        elif kind == "map":
            yield from _named_types(schema["values"], namespace)
        elif isinstance(kind, (dict, list)):
            yield from _named_types(kind, namespace)


class _Side:
    """One schema's named types, to resolve references by full name."""

    def __init__(self, schema: Json) -> None:
        self.named = dict(_named_types(schema))

    def resolve(self, node: Json) -> Json:
        while True:
            if isinstance(node, str) and node in self.named:
                node = self.named[node]
            elif isinstance(node, dict) and isinstance(node.get("type"), (dict, list)):
                node = node["type"]
            elif isinstance(node, dict) and node.get("type") in self.named:
                node = self.named[node["type"]]
            else:
                return node


def _kind(node: Json) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    return str(node["type"])


def _logical(node: Json) -> str | None:
    return node.get("logicalType") if isinstance(node, dict) else None


def _label(node: Json) -> str:
    kind = _kind(node)
    return full_name(node) if kind in NAMED else kind


def _matches(writer: Json, reader: Json) -> bool:
    """Whether a reader union branch is the one Avro picks for a writer branch."""
    wk, rk = _kind(writer), _kind(reader)
    if wk in NAMED or rk in NAMED:
        return wk == rk and _same_name(writer, reader)
    return wk == rk or rk in PROMOTIONS.get(wk, set())


def _same_name(writer: Json, reader: Json) -> bool:
    wname = full_name(writer)
    aliases = {qualify(a, full_name(reader).rpartition(".")[0]) for a in reader.get("aliases", [])}
    return wname == full_name(reader) or wname in aliases


def check_backward_compatible(writer: Json, reader: Json) -> list[str]:
    """Problems that stop `reader` from reading data written with `writer`; empty when compatible.

    Implements the Avro schema-resolution rules statically, and also flags a changed logical type
    (the bytes would still decode, but a date read as a plain int changes the meaning).
    """
    ws, rs = _Side(writer), _Side(reader)
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()

    def check(w: Json, r: Json, path: str) -> None:
        w, r = ws.resolve(w), rs.resolve(r)
        wk, rk = _kind(w), _kind(r)
        if wk == "union":
            for branch in w:
                branch = ws.resolve(branch)
                where = f"{path}[{_label(branch)}]" if rk == "union" else path
                check(branch, r, where)
            return
        if rk == "union":
            branches = [rs.resolve(b) for b in r]
            match = next((b for b in branches if _matches(w, b)), None)
            if match is None:
                labels = ", ".join(_label(b) for b in branches)
                problems.append(f"{path}: writer type {_label(w)} matches no branch of [{labels}]")
                return
            check(w, match, path)
            return
        if not _matches(w, r):
            problems.append(f"{path}: type changed from {_label(w)} to {_label(r)}")
            return
        if _logical(w) != _logical(r):
            problems.append(
                f"{path}: logical type changed from {_logical(w) or 'none'} "
                f"to {_logical(r) or 'none'}"
            )
        if wk in {"record", "error"}:
            key = (full_name(w), full_name(r))
            if key not in seen:
                seen.add(key)
                _check_record(w, r, path, check, problems)
        elif wk == "enum":
            removed = [s for s in w["symbols"] if s not in r["symbols"]]
            if removed and "default" not in r:
                problems.append(
                    f"{path}: enum {full_name(r)} lost symbol(s) {', '.join(removed)} "
                    "and has no enum default"
                )
        elif wk == "fixed" and w["size"] != r["size"]:
            problems.append(f"{path}: fixed size changed from {w['size']} to {r['size']}")
        elif wk == "array":
            check(w["items"], r["items"], f"{path}[]")
        elif wk == "map":
            check(w["values"], r["values"], f"{path}{{}}")

    start = ws.resolve(writer)
    check(writer, reader, full_name(start) if _kind(start) in NAMED else _kind(start))
    return problems


def _check_record(w: Json, r: Json, path: str, check: Any, problems: list[str]) -> None:
    writer_fields = {f["name"]: f for f in w["fields"]}
    for field in r["fields"]:
        names = [field["name"], *field.get("aliases", [])]
        source = next((writer_fields[n] for n in names if n in writer_fields), None)
        where = f"{path}.{field['name']}"
        if source is not None:
            check(source["type"], field["type"], where)
        elif "default" not in field:
            problems.append(
                f"{where}: field added without a default (old data has no value for it)"
            )
