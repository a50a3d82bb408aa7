"""The wire: the topic names, and the single-object encoding header of each Avro record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form

INSTRUCTIONS = "bpjs.payment-instructions.v1"
RESULTS = "bpjs.payment-results.v1"
MARKER = b"\xc3\x01"


def load(schemas: Path, name: str) -> Any:
    """Parse `name` from its .avsc; fastavro resolves `<full.name>.avsc` references by itself."""
    return load_schema(str(schemas / f"{name}.avsc"), _write_hint=False)


def header(schema: Any) -> bytes:
    fp = fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")
    return MARKER + bytes.fromhex(fp)
