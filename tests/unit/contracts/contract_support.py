"""Helpers for the event-contract tests: where the schemas live and how to read a sample event."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def read_fixture(name: str, version: int, writer_schema: Any) -> dict[str, Any]:
    """A sample event in Avro JSON encoding, read with the schema it was written with."""
    text = (SCHEMAS / "fixtures" / name / f"v{version}.json").read_text(encoding="utf-8")
    one_line = json.dumps(json.loads(text))  # fastavro's JSON reader takes one record per line
    return dict(next(iter(fastavro.json_reader(io.StringIO(one_line), writer_schema))))
