"""Avro schema catalogue: load .avsc files and frozen versions, fingerprint, check evolution."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
# Promotions allowed by Avro schema resolution (spec 1.11, "Schema Resolution"): writer -> reader.
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
_VERSION_FILE = re.compile(r"^v(\d+)\.avsc$")

Json = Any  # an Avro schema as parsed JSON: str | list | dict


class SchemaFileError(ValueError):
    """A schema file is malformed, misnamed or references an unknown type."""


@dataclass(frozen=True)
class SchemaVersion:
    """One concrete, self-contained writer schema of a named type."""

    name: str
    version: int | None  # None: the current file, not (yet) a frozen version
    schema: Json  # expanded JSON (named types inlined at first use), with docs and defaults
    fingerprint: bytes  # CRC-64-AVRO of the Parsing Canonical Form, little-endian (8 bytes)


def full_name(schema: Mapping[str, Any], namespace: str | None = None) -> str:
    """Full name of a named type definition (Avro naming rules)."""
    name = str(schema["name"])
    if "." in name:
        return name
    ns = schema.get("namespace", namespace)
    return f"{ns}.{name}" if ns else name


def _qualify(ref: str, namespace: str | None) -> str:
    if ref in PRIMITIVES or "." in ref or not namespace:
        return ref
    return f"{namespace}.{ref}"


def load_definitions(directory: Path) -> dict[str, Json]:
    """Read every `<full.name>.avsc` directly in `directory`, keyed by full name."""
    found: dict[str, Json] = {}
    for path in sorted(directory.glob("*.avsc")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(schema, dict) or schema.get("type") not in NAMED:
            raise SchemaFileError(f"{path.name}: top level must be a named type")
        name = full_name(schema)
        if path.name != f"{name}.avsc":
            raise SchemaFileError(f"{path.name}: defines {name}, expected file {name}.avsc")
        found[name] = schema
    return found


def expand(name: str, definitions: Mapping[str, Json]) -> Json:
    """Self-contained schema for `name`: referenced types inlined at first use, then by name."""
    defined: set[str] = set()

    def walk(node: Json, namespace: str | None) -> Json:
        if isinstance(node, str):
            ref = _qualify(node, namespace)
            if ref in PRIMITIVES or ref in defined:
                return ref
            if ref not in definitions:
                raise SchemaFileError(f"{name}: unknown type {node!r}")
            return walk(definitions[ref], namespace)
        if isinstance(node, list):
            return [walk(branch, namespace) for branch in node]
        kind = node.get("type")
        if kind in NAMED:
            this = full_name(node, namespace)
            defined.add(this)
            inner_ns = this.rpartition(".")[0] or None
            out = dict(node)
            if "namespace" not in node and "." not in node["name"] and inner_ns:
                out["namespace"] = inner_ns  # keep the name right wherever it is inlined
            if kind in {"record", "error"}:
                out["fields"] = [
                    {**field, "type": walk(field["type"], inner_ns)} for field in node["fields"]
                ]
            return out
        if kind == "array":
            return {**node, "items": walk(node["items"], namespace)}
        if kind == "map":
            return {**node, "values": walk(node["values"], namespace)}
        if isinstance(kind, (dict, list)) or (isinstance(kind, str) and kind not in PRIMITIVES):
            return walk(kind, namespace)
        return node

    return walk(definitions[name], None)


def fingerprint_of(schema: Json) -> bytes:
    """CRC-64-AVRO fingerprint of the Parsing Canonical Form, in wire (little-endian) order."""
    parsed = parse_schema(schema, named_schemas={})
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))


def current_versions(directory: Path) -> dict[str, SchemaVersion]:
    """The current schema of every named type defined in `directory`."""
    definitions = load_definitions(directory)
    result = {}
    for name in definitions:
        schema = expand(name, definitions)
        result[name] = SchemaVersion(name, None, schema, fingerprint_of(schema))
    return result


def frozen_versions(directory: Path) -> dict[str, list[SchemaVersion]]:
    """Frozen versions from `directory/versions/<full.name>/v<N>.avsc`, oldest first."""
    result: dict[str, list[SchemaVersion]] = {}
    root = directory / "versions"
    for folder in sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else []:
        versions = []
        for path in folder.iterdir():
            match = _VERSION_FILE.match(path.name)
            if not match:
                raise SchemaFileError(f"{path}: frozen versions are named v<N>.avsc")
            schema = json.loads(path.read_text(encoding="utf-8"))
            if full_name(schema) != folder.name:
                raise SchemaFileError(f"{path}: defines {full_name(schema)}, not {folder.name}")
            version = int(match.group(1))
            versions.append(SchemaVersion(folder.name, version, schema, fingerprint_of(schema)))
        result[folder.name] = sorted(versions, key=lambda v: v.version or 0)
    return result


# ---------------------------------------------------------------- static compatibility check


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
    aliases = {_qualify(a, full_name(reader).rpartition(".")[0]) for a in reader.get("aliases", [])}
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


# ---------------------------------------------------------------- maintenance command


def _freeze(directory: Path) -> list[str]:
    """Write v<N+1>.avsc for every schema whose current form differs from its newest version."""
    written = []
    frozen = frozen_versions(directory)
    for name, current in current_versions(directory).items():
        history = frozen.get(name, [])
        if history and history[-1].schema == current.schema:
            continue
        number = (history[-1].version or 0) + 1 if history else 1
        target = directory / "versions" / name / f"v{number}.avsc"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(current.schema, indent=2, ensure_ascii=False) + "\n")
        written.append(str(target))
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m streams.schema_tools check|freeze [schemas-dir]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["check", "freeze"])
    parser.add_argument("directory", nargs="?", default="schemas", type=Path)
    args = parser.parse_args(argv)
    if args.command == "freeze":
        for path in _freeze(args.directory):
            print(f"wrote {path}")
        return 0
    failures = 0
    frozen = frozen_versions(args.directory)
    for name, current in current_versions(args.directory).items():
        for old in frozen.get(name, []):
            for problem in check_backward_compatible(old.schema, current.schema):
                failures += 1
                print(f"{name} v{old.version} -> current: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
