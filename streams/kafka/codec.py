"""Avro codec for Kafka values: single-object framing, writer found by fingerprint, typed errors."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import validate

from streams.kafka.explain import explain
from streams.kafka.logical_guard import logical_guard
from streams.kafka.schema_catalogue import Json, SchemaVersion, current_versions, frozen_versions

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
        self._guards = {name: logical_guard(w.version.schema) for name, w in self._current.items()}

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
