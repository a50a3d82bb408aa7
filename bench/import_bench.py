"""`claims import` rows/s for a 250,000-row file (1% bad), beside limits measured in the same run.

Per round, in a fresh isolated environment (own topics and PostgreSQL schema, harness.py):
  import        `run_import` on the file: read, validate, screen against PostgreSQL, encode,
                publish (acks=all, idempotent), report. rows/s = file rows / its own timer.
  validate      the parse+validate stage alone: read the file and check every row (no I/O).
  raw batches   the import's own valid messages, pre-encoded, produced with aiokafka's batch
                API (what the import uses): the transport's limit for this client.
  raw send()    the same bytes with aiokafka's send() loop, and with kafka-python's send().
Medians of the rounds; ratios = import rows/s ÷ limit rows/s.

Run alone: `python bench/import_bench.py [--rows N] [--rounds N]` (stack env exported), or as a
part of `make bench` (bench/run_all.py). Prints a table, writes bench/results/import.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness
from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer

from claims.imports.command import ImportOptions, run_import
from claims.imports.files import open_source
from claims.imports.make_file import write_import_file
from claims.imports.publish import Preparer, Publisher
from services.app import import_rows as core
from services.config import Settings
from streams.app import SCHEMAS_DIR
from streams.kafka import topics as T
from streams.kafka.codec import AvroCodec

Round = dict[str, float]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--rows",
        type=int,
        default=int(os.environ.get("BENCH_IMPORT_ROWS", 250_000)),
        help="rows in the file (env BENCH_IMPORT_ROWS, default 250000)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=int(os.environ.get("BENCH_ROUNDS", 3)),
        help="rounds; medians are reported (env BENCH_ROUNDS, default 3)",
    )
    p.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 2016)))
    p.add_argument(
        "--skip-kafka-python",
        action="store_true",
        help="leave out the slow kafka-python send() limit",
    )
    return p.parse_args()


def validate_seconds(path: Path) -> tuple[int, float]:
    """Read the file and check every row, nothing else."""
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    n = sum(1 for _ in core.check_rows(open_source(path).rows(), today))
    return n, time.perf_counter() - started


def encoded_messages(
    settings: Settings, path: Path, partitions: int
) -> list[tuple[bytes, int, bytes]]:
    """The import's valid messages, pre-encoded (built before any clock starts)."""
    valid = [
        o
        for o in core.check_rows(open_source(path).rows(), datetime.now(UTC).date())
        if isinstance(o, core.Enrollment)
    ]
    prepare = Preparer(
        AvroCodec.from_directory(SCHEMAS_DIR),
        settings.nik_hash_key.value,
        "bench-raw",
        "pemprov-dki",
        datetime.now(UTC),
        partitions,
    )
    return [
        (e.kpj.encode(), p.partition, p.value) for e, p in zip(valid, prepare(valid), strict=True)
    ]


async def raw_batches_seconds(
    settings: Settings, messages: list[tuple[bytes, int, bytes]]
) -> float:
    producer = _aiokafka(settings)
    await producer.start()
    try:
        publisher = Publisher(producer, settings.topic_prefix + T.PARTICIPANT_EVENTS.name)
        started = time.perf_counter()
        for i in range(0, len(messages), 5_000):
            await publisher.send(messages[i : i + 5_000])
        await publisher.flush()
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_send_seconds(settings: Settings, messages: list[tuple[bytes, int, bytes]]) -> float:
    producer = _aiokafka(settings)
    await producer.start()
    topic = settings.topic_prefix + T.PARTICIPANT_EVENTS.name
    try:
        started = time.perf_counter()
        for key, _, value in messages:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
        return time.perf_counter() - started
    finally:
        await producer.stop()


def kafka_python_seconds(settings: Settings, messages: list[tuple[bytes, int, bytes]]) -> float:
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=20,
        batch_size=1 << 20,
        enable_idempotence=True,
    )
    topic = settings.topic_prefix + T.PARTICIPANT_EVENTS.name
    try:
        started = time.perf_counter()
        for key, _, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush()
        return time.perf_counter() - started
    finally:
        producer.close()


def _aiokafka(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=1 << 20,
    )


async def one_round(path: Path, rows: int, kafka_python: bool) -> Round:
    settings = harness.fresh_round(harness.bench_settings())
    await harness.prepare(settings)
    try:
        report = path.with_name(f"report-{settings.app_id}.csv")
        result = await run_import(settings, ImportOptions(path, "pemprov-dki", report=report))
        if result.rows != rows or result.published + result.rejected_rows != rows:
            raise RuntimeError(f"import counted {result.summary()}")
        validated, validate_s = validate_seconds(path)
        messages = encoded_messages(settings, path, settings.topic_partitions)
        figures: Round = {
            "rows": result.rows,
            "published": result.published,
            "rejected": result.rejected_rows,
            "import_s": result.seconds,
            "validate_rows": validated,
            "validate_s": validate_s,
            "raw_messages": len(messages),
            "raw_batches_s": await raw_batches_seconds(settings, messages),
            "raw_send_s": await raw_send_seconds(settings, messages),
        }
        if kafka_python:
            figures["kafka_python_s"] = await asyncio.to_thread(
                kafka_python_seconds, settings, messages
            )
        return figures
    finally:
        await harness.cleanup(settings)


def summary(rounds: list[Round]) -> dict[str, Any]:
    def rate(count: str, seconds: str) -> float:
        return harness.median([r[count] / r[seconds] for r in rounds if seconds in r])

    out: dict[str, Any] = {
        "rows": rounds[0]["rows"],
        "bad_rows": rounds[0]["rejected"],
        "import_rows_per_s": rate("rows", "import_s"),
        "validate_rows_per_s": rate("validate_rows", "validate_s"),
        "raw_batches_msgs_per_s": rate("raw_messages", "raw_batches_s"),
        "raw_send_msgs_per_s": rate("raw_messages", "raw_send_s"),
        "rounds": rounds,
    }
    if all("kafka_python_s" in r for r in rounds):
        out["kafka_python_msgs_per_s"] = rate("raw_messages", "kafka_python_s")
    return out


def table(s: dict[str, Any]) -> str:
    imp = s["import_rows_per_s"]
    limits = [
        ("parse+validate alone", s["validate_rows_per_s"], "rows/s"),
        ("produce, aiokafka batches", s["raw_batches_msgs_per_s"], "msg/s"),
        ("produce, aiokafka send()", s["raw_send_msgs_per_s"], "msg/s"),
    ]
    if "kafka_python_msgs_per_s" in s:
        limits.append(("produce, kafka-python send()", s["kafka_python_msgs_per_s"], "msg/s"))
    head = f"{'figure (median of rounds)':34}{'measured':>15}  {'limit, same run':30}{'':>15}"
    lines = ["", head + f"{'ratio':>8}"]
    figure = f"import {s['rows']:,.0f} rows ({s['bad_rows']:,.0f} bad)"
    for i, (label, value, unit) in enumerate(limits):
        measured = f"{imp:,.0f} rows/s" if i == 0 else ""
        lines.append(
            f"{figure if i == 0 else '':34}{measured:>15}  {label:30}"
            f"{f'{value:,.0f} {unit}':>15}{imp / value:>8.2f}"
        )
    lines.append(f"{'target':34}{'20,000 rows/s':>15}")
    return "\n".join(lines)


async def figures(rows: int, rounds: int, seed: int, kafka_python: bool = True) -> dict[str, Any]:
    """Generate the file once (untimed), then `rounds` rounds; the summary with medians."""
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        path = Path(tmp) / "workers.csv"
        started = time.perf_counter()
        write_import_file(path, rows, min(300, rows), 0.01, seed)
        print(
            f"import: generated {rows:,} rows (1% bad) in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        results = []
        for i in range(rounds):
            results.append(await one_round(path, rows, kafka_python))
            print(
                f"import round {i + 1}/{rounds}: "
                + ", ".join(f"{k}={v:,.3f}" for k, v in results[-1].items()),
                flush=True,
            )
    return summary(results)


async def main() -> int:
    args = parse_args()
    s = await figures(args.rows, args.rounds, args.seed, not args.skip_kafka_python)
    print(table(s))
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    out = harness.RESULTS / "import.json"
    out.write_text(json.dumps(s, indent=2) + "\n")
    print(f"\nwritten {out.relative_to(harness.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
