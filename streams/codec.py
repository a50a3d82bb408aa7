"""Avro codec for Kafka values: single-object framing, writer found by fingerprint, typed errors."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import validate

from streams.schema_tools import (
    NAMED,
    PRIMITIVES,
    Json,
    SchemaVersion,
    current_versions,
    frozen_versions,
    full_name,
)

SINGLE_OBJECT_MARKER = b"\xc3\x01"


class CodecError(Exception):
    """Root of every error raised by the codec."""


class DecodeError(CodecError):
    """The bytes are not a message this codec can read (dead-letter them)."""


class BadMarker(DecodeError):
    """The message does not start with the framing's marker bytes."""


class TruncatedMessage(DecodeError):
    """The message ends before its header or its Avro body is complete."""


class UnknownFingerprint(DecodeError):
    """No current or frozen schema has the writer fingerprint in the header."""


class MalformedBody(DecodeError):
    """The body does not parse with the writer schema named in the header."""


class EncodeError(CodecError, ValueError):
    """The record does not match the schema; the message names the field, value and reason."""


class UnknownSchema(EncodeError):
    """No current schema has this full name."""


@dataclass(frozen=True)
class Decoded:
    """A decoded message: schema full name, record (read with the current schema), writer."""

    name: str
    record: dict[str, Any]
    writer_fingerprint: bytes


@dataclass(frozen=True)
class _Writer:
    version: SchemaVersion
    parsed: Any  # fastavro's parsed schema


class SchemaLookup(Protocol):
    """What a framing may ask of the codec's catalogue."""

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None: ...


class Framing(Protocol):
    """How the writer schema is named in front of the body: a seam for other wire formats.

    Confluent Schema Registry framing (magic 0 + 4-byte big-endian schema id) fits here: its
    `header` returns the id registered for the version, its `read_header` maps an id back to a
    SchemaVersion through a registry client. Only single-object encoding is implemented.
    """

    def header(self, version: SchemaVersion) -> bytes: ...

    def read_header(self, data: bytes, schemas: SchemaLookup) -> tuple[SchemaVersion, int]:
        """The writer schema and the offset where the body starts."""
        ...


class SingleObjectFraming:
    """Avro single-object encoding: C3 01 + 8-byte little-endian CRC-64-AVRO fingerprint."""

    length = len(SINGLE_OBJECT_MARKER) + 8

    def header(self, version: SchemaVersion) -> bytes:
        return SINGLE_OBJECT_MARKER + version.fingerprint

    def read_header(self, data: bytes, schemas: SchemaLookup) -> tuple[SchemaVersion, int]:
        if data[:2] != SINGLE_OBJECT_MARKER[: len(data[:2])]:
            raise BadMarker(f"expected marker c3 01, got {data[:2].hex(' ')}")
        if len(data) < self.length:
            raise TruncatedMessage(
                f"{len(data)} bytes is shorter than the {self.length}-byte header"
            )
        fingerprint = bytes(data[2 : self.length])
        version = schemas.by_fingerprint(fingerprint)
        if version is None:
            raise UnknownFingerprint(f"no schema with fingerprint {fingerprint.hex()}")
        return version, self.length


class AvroCodec:
    """Encode with the current schemas; decode any known writer version into the current one."""

    def __init__(
        self,
        current: Mapping[str, SchemaVersion],
        history: Iterable[SchemaVersion] = (),
        framing: Framing | None = None,
    ) -> None:
        self._framing: Framing = framing or SingleObjectFraming()
        self._current = {name: _Writer(v, _parse(v.schema)) for name, v in current.items()}
        self._by_fingerprint: dict[bytes, _Writer] = {}
        for version in history:
            self._by_fingerprint.setdefault(
                version.fingerprint, _Writer(version, _parse(version.schema))
            )
        for writer in self._current.values():  # the current parse wins: same object as the reader
            self._by_fingerprint[writer.version.fingerprint] = writer
        self._headers = {name: self._framing.header(w.version) for name, w in self._current.items()}
        self._guards = {name: _logical_guard(w.version.schema) for name, w in self._current.items()}

    @classmethod
    def from_directory(cls, directory: Path, framing: Framing | None = None) -> AvroCodec:
        """Load `<full.name>.avsc` files and the frozen `versions/<full.name>/v<N>.avsc`."""
        history = [v for versions in frozen_versions(directory).values() for v in versions]
        return cls(current_versions(directory), history, framing)

    @property
    def names(self) -> frozenset[str]:
        """Full names of every current schema."""
        return frozenset(self._current)

    def schema(self, name: str) -> SchemaVersion:
        """The current schema of `name`."""
        return self._writer(name).version

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None:
        """Any known writer schema (current or frozen) with this fingerprint."""
        writer = self._by_fingerprint.get(fingerprint)
        return writer.version if writer else None

    def writer_name(self, data: bytes) -> str | None:
        """The writer schema's full name when the header is readable and known, else None
        (what a sealed dead letter shows in clear for triage)."""
        try:
            version, _ = self._framing.read_header(data, self)
        except DecodeError:
            return None
        return version.name

    def encode(self, name: str, record: Mapping[str, Any]) -> bytes:
        """Frame and encode `record` with the current schema `name`; EncodeError names the field."""
        writer = self._writer(name)
        if not validate(record, writer.parsed, raise_errors=False) or self._guards[name](record):
            raise EncodeError(explain(record, writer.version.schema) or f"{name}: invalid record")
        out = io.BytesIO()
        out.write(self._headers[name])
        try:
            # strict_allow_default rejects unknown keys (a misspelt optional field would vanish).
            schemaless_writer(out, writer.parsed, record, strict_allow_default=True)
        except (TypeError, ValueError, OverflowError) as e:
            raise EncodeError(explain(record, writer.version.schema) or f"{name}: {e}") from e
        return out.getvalue()

    def decode(self, data: bytes) -> Decoded:
        """Find the writer schema from the header; read the body into the current schema."""
        version, offset = self._framing.read_header(data, self)
        writer = self._by_fingerprint[version.fingerprint]
        reader = self._current.get(version.name)
        if reader is None:
            raise UnknownFingerprint(f"{version.name} has frozen versions but no current schema")
        body = io.BytesIO(data)
        body.seek(offset)
        # Passing None when the writer is the current schema skips fastavro's resolution step.
        reader_schema = None if reader is writer else reader.parsed
        try:
            record = schemaless_reader(body, writer.parsed, reader_schema)
            if not isinstance(record, dict):
                raise TypeError(f"expected a record, got {type(record).__name__}")
        except EOFError as e:
            raise TruncatedMessage(f"{version.name}: body ends early ({len(data)} bytes)") from e
        except (
            Exception
        ) as e:  # fastavro raises many types on garbage (IndexError, UnicodeError, ...)
            raise MalformedBody(f"{version.name}: body does not parse: {_why(e)}") from e
        if body.tell() != len(data):
            raise MalformedBody(
                f"{version.name}: {len(data) - body.tell()} trailing bytes after body"
            )
        return Decoded(version.name, record, version.fingerprint)

    def _writer(self, name: str) -> _Writer:
        try:
            return self._current[name]
        except KeyError:
            raise UnknownSchema(f"no current schema named {name!r}") from None


def _why(error: Exception) -> str:
    """A decode failure without the bytes it failed on: a UnicodeDecodeError's repr quotes the
    string being read, which can be a NIK (tests/unit/contracts/test_codec.py)."""
    if isinstance(error, UnicodeDecodeError):
        return f"UnicodeDecodeError: {error.reason} at byte {error.start} of a string"
    return f"{type(error).__name__}: {error}"[:200]


def _parse(schema: Json) -> Any:
    return parse_schema(schema, named_schemas={})


# ---------------------------------------------------------------- precise error messages

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
    records = [(b, p) for b, p in zip(resolved, problems, strict=True) if _is_record(b)]
    if isinstance(value, Mapping) and records:
        # Report against the branch sharing most keys with the value: the one the caller meant.
        best, problem = max(
            records, key=lambda bp: len(set(value) & {f["name"] for f in bp[0]["fields"]})
        )
        return problem.replace(path, f"{path}[{full_name(best)}]", 1) if problem else None
    return f"{path}: expected {_type_label(branches)}, got {_got(value)}"


def _is_record(node: Json) -> bool:
    return isinstance(node, dict) and node.get("type") in {"record", "error"}


def _first(problems: Iterable[str | None]) -> str | None:
    return next((p for p in problems if p is not None), None)


# ---------------------------------------------------------------- logical-type guard

# fastavro accepts an ISO string or an int for a date and writes a naive datetime as *local* time.
# Both would round-trip to something else, so encode refuses them. The guard runs on every encode:
# it is compiled once per schema and only descends into the parts of a record that hold dates.
_Guard = Callable[[Any], bool]  # True: the value breaks the rule somewhere


def _logical_guard(schema: Json) -> _Guard:
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
        if _is_record(b)
    ]
    scalar = [g for b, g in zip(resolved, guards, strict=True) if g and not _is_record(b)]

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
