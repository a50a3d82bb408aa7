"""Codec cost per claim event: encode and decode beside raw fastavro on the same record."""

from __future__ import annotations

import io
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro

from streams.kafka.codec import AvroCodec

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
NAME = "bpjs.claim.ClaimSubmitted"
ITERATIONS = 20_000
ROUNDS = 7


def median_us(action: Callable[[], Any]) -> float:
    """Median over ROUNDS of the mean microseconds per call across ITERATIONS calls."""
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(ITERATIONS):
            action()
        rounds.append((time.perf_counter() - started) / ITERATIONS * 1e6)
    return statistics.median(rounds)


def main() -> None:
    codec = AvroCodec.from_directory(SCHEMAS)
    schema = codec.schema(NAME).schema
    text = json.dumps(json.loads((SCHEMAS / "fixtures" / NAME / "v1.json").read_text()))
    record = next(iter(fastavro.json_reader(io.StringIO(text), schema)))
    parsed = fastavro.parse_schema(schema, named_schemas={})
    framed = codec.encode(NAME, record)
    raw = io.BytesIO()
    fastavro.schemaless_writer(raw, parsed, record)
    body = raw.getvalue()

    def raw_encode() -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, record)
        return out.getvalue()

    def raw_decode() -> Any:
        return fastavro.schemaless_reader(io.BytesIO(body), parsed, None)

    tagged = {**record, "detail": ("bpjs.claim.JkkClaimDetail", record["detail"])}

    def raw_encode_tagged() -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, tagged)
        return out.getvalue()

    # A plain dict for the `detail` union makes fastavro validate it against every branch; the
    # (name, dict) tuple names the branch and skips that search, in both columns.
    figures = {
        "encode": (median_us(lambda: codec.encode(NAME, record)), median_us(raw_encode)),
        "encode*": (median_us(lambda: codec.encode(NAME, tagged)), median_us(raw_encode_tagged)),
        "decode": (median_us(lambda: codec.decode(framed)), median_us(raw_decode)),
    }
    print(f"{NAME} (JKK fixture, {len(framed)} bytes framed), {ITERATIONS} calls x {ROUNDS} rounds")
    print(f"{'':8}{'codec µs':>10}{'raw fastavro µs':>17}{'ratio':>8}")
    for label, (ours, limit) in figures.items():
        print(f"{label:8}{ours:>10.2f}{limit:>17.2f}{ours / limit:>8.2f}")
    print("encode* = detail passed as ('bpjs.claim.JkkClaimDetail', dict)")


if __name__ == "__main__":
    main()
