"""Avro schema catalogue: load .avsc files and frozen versions, expand and fingerprint them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
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


def qualify(ref: str, namespace: str | None) -> str:
    """`ref` as a full name within `namespace` (primitives and dotted names as they are)."""
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
            ref = qualify(node, namespace)
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
