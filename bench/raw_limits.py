"""Raw limits measured in the same run: aiokafka consume rate and PostgreSQL COPY rate."""

from __future__ import annotations

import time
from collections.abc import Mapping

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition


async def consume_seconds(
    bootstrap: str, topic: str, start: Mapping[int, int], end: Mapping[int, int]
) -> tuple[int, float]:
    """Read [start, end) of every partition with a plain consumer (no group, no processing).

    Returns (messages read, seconds from the first fetch to the last message).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in end if end[p] > start.get(p, 0)]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, start.get(tp.partition, 0))
        left = {tp: end[tp.partition] for tp in parts}
        wanted = sum(end[p] - start.get(p, 0) for p in end if end[p] > start.get(p, 0))
        read = 0
        started = time.perf_counter()
        while left:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for tp, messages in batches.items():
                read += sum(1 for m in messages if m.offset < end[tp.partition])
                if messages and messages[-1].offset >= left.get(tp, 0) - 1:
                    left.pop(tp, None)
                    consumer.pause(tp)
        seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
    if read != wanted:
        raise RuntimeError(f"raw consume read {read} of {wanted} messages")
    return read, seconds


async def participants_snapshot(dsn: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Every participants row, as the worker persisted it: (columns, records)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT * FROM participants")
    finally:
        await conn.close()
    columns = list(rows[0].keys()) if rows else []
    return columns, [tuple(r.values()) for r in rows]


async def copy_seconds(dsn: str, columns: list[str], records: list[tuple[object, ...]]) -> float:
    """COPY the rows into a scratch copy of participants (same columns, defaults, indexes)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS participants_bench (LIKE participants INCLUDING ALL)"
        )
        await conn.execute("TRUNCATE participants_bench")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("participants_bench", columns=columns, records=records)
        return time.perf_counter() - started
    finally:
        await conn.close()
