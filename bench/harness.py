"""Bench plumbing: settings, a fresh start, producing, offsets and the workers' own metrics.

The worker processes themselves (start, watch, stop, wait on) are in workers.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer, TopicPartition
from kafka import KafkaAdminClient, KafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from services.adapters.postgres import connect_store
from services.config import Secret, Settings, load_settings
from services.sealing import DEMO_PUBLIC_KEY
from streams.kafka.admin import delete_service_topics, ensure_topics

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LOCAL_KEY = "bench-key-not-for-production-0123456789"
Encoded = tuple[str, bytes, bytes]
"""(topic, key bytes, framed Avro value)."""


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def bench_settings() -> Settings:
    """The stack from the environment, with the bench's own app id prefix, port and data dir."""
    env = dict(os.environ)
    env.setdefault("NIK_HASH_KEY", LOCAL_KEY)
    env.setdefault("DEAD_LETTER_PUBLIC_KEY", DEMO_PUBLIC_KEY)
    # Never the service's own port, data dir or group, whatever the caller's shell exports.
    env["WEB_PORT"] = env.get("BENCH_WEB_PORT", "6166")
    env["CLAIMS_DATA_DIR"] = ".local/bench-faust"
    env["CLAIMS_APP_ID"] = "bench"
    return load_settings(env)


def isolated() -> bool:
    """True when the service takes TOPIC_PREFIX: each round then gets its own topics and schema."""
    return "topic_prefix" in {f.name for f in fields(Settings)}


def prefix(settings: Settings) -> str:
    return str(getattr(settings, "topic_prefix", ""))


def fresh_round(settings: Settings) -> Settings:
    """A new consumer group (and Faust internal topics); isolated: own topics and schema too."""
    run = uuid.uuid4().hex[:8]
    fresh = replace(settings, app_id=f"bench-{run}")
    if not isolated():
        return fresh

    def in_schema(url: Secret | None) -> Secret | None:
        if url is None:
            return None
        joiner = "&" if "?" in url.value else "?"
        return Secret(f"{url.value}{joiner}search_path=bench_{run}")

    return replace(
        fresh,
        database_url=in_schema(settings.database_url) or settings.database_url,
        # The restricted roles' DSNs (when set) on the round's schema too.
        worker_database_url=in_schema(settings.worker_database_url),
        reader_database_url=in_schema(settings.reader_database_url),
        import_database_url=in_schema(settings.import_database_url),
        topic_prefix=f"bench{run}.",
    )


def _schema(settings: Settings) -> str:
    return f"bench_{settings.app_id.removeprefix('bench-')}"


async def _admin_sql(settings: Settings, sql: str) -> None:
    conn = await asyncpg.connect(settings.dsn.split("?", 1)[0])
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def prepare(settings: Settings) -> None:
    """Empty topics and tables for the round: its own (isolated) or the service's, reset."""
    if isolated():
        await _admin_sql(settings, f"CREATE SCHEMA {_schema(settings)}")
    else:
        # Deletes the shared topics and tables: never under someone else's live run.
        wait_for_quiet(settings, float(os.environ.get("BENCH_WAIT_IDLE", 300)))
        delete_service_topics(settings)
    store = await connect_store(settings)
    try:
        if not isolated():
            await store.drop_all()
        await store.migrate()
    finally:
        await store.close()
    ensure_topics(settings)


async def cleanup(settings: Settings) -> None:
    """Drop an isolated round's topics, schema and local state (a reset round leaves its state)."""
    shutil.rmtree(ROOT / settings.data_dir / settings.app_id, ignore_errors=True)
    if isolated():
        await asyncio.to_thread(delete_service_topics, settings)
        await _admin_sql(settings, f"DROP SCHEMA {_schema(settings)} CASCADE")


def other_groups(settings: Settings) -> list[str]:
    """Consumer groups other than the bench's with live members: they skew the figures."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        groups = admin.list_groups()
    finally:
        admin.close()
    return sorted(
        g["group_id"]
        for g in groups
        if not g["group_id"].startswith("bench") and g["group_state"] == "Stable"
    )


def wait_for_quiet(settings: Settings, timeout: float) -> list[str]:
    """Wait until no other consumer group is active; return those still active after `timeout`.

    Isolated rounds only share the CPUs with them, so they go on; a reset would wreck their run,
    so without TOPIC_PREFIX this raises unless BENCH_FORCE is set.
    """
    deadline = time.monotonic() + timeout
    while active := other_groups(settings):
        if time.monotonic() > deadline:
            if isolated() or os.environ.get("BENCH_FORCE"):
                return active
            raise RuntimeError(
                f"other consumer groups still active after {timeout:.0f}s: {active};"
                " the bench deletes the service's topics (BENCH_FORCE=1 to go on)"
            )
        print(f"waiting for other consumer groups to finish: {active}", flush=True)
        time.sleep(10)
    return []


async def produce(
    settings: Settings,
    messages: Sequence[Encoded],
    stamps: dict[str, float] | None = None,
    ids: Sequence[str] | None = None,
    rate: float | None = None,
) -> float:
    """Send pre-encoded messages; stamp each id's wall-clock send time; return seconds taken.

    With `rate`, messages go out at that many per second (paced from the start, so a slow
    send is caught up, never bunched): the paced latency round."""
    pre = prefix(settings)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_batch_size=512 * 1024,
        enable_idempotence=True,
        client_id="bench-producer",
    )
    await producer.start()
    started = time.perf_counter()
    try:
        for i, (topic, key, value) in enumerate(messages):
            if rate is not None:
                due = started + i / rate
                if (ahead := due - time.perf_counter()) > 0:
                    await producer.flush()  # what is due now leaves now
                    await asyncio.sleep(ahead)
            if stamps is not None and ids is not None:
                stamps.setdefault(ids[i], time.time())  # a redelivery keeps the first
            await producer.send(pre + topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def end_offsets(settings: Settings, name: str) -> dict[int, int]:
    """The end offset of each partition of the round's topic `name`."""
    topic = prefix(settings) + name
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: off for tp, off in consumer.end_offsets(parts).items()}
    finally:
        consumer.close()


def group_lag(settings: Settings, names: Sequence[str]) -> int:
    """Messages the worker's group has not committed yet on the round's topics `names`."""
    topics = [prefix(settings) + n for n in names]
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.app_id,
        enable_auto_commit=False,
    )
    try:
        parts = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        ends = consumer.end_offsets(parts)
        return sum(max(end - (consumer.committed(tp) or 0), 0) for tp, end in ends.items())
    finally:
        consumer.close()


def mean_batch_rows(settings: Settings, workers: int = 1) -> dict[str, float]:
    """Mean rows per database batch, per writer, read from the workers' own /metrics."""
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for i in range(workers):
        url = f"http://{settings.web_host}:{settings.web_port + i}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                text = response.read().decode()
        except OSError:
            continue
        for family in text_string_to_metric_families(text):
            if family.name != "claims_db_batch_rows":
                continue
            for sample in family.samples:
                into = {"claims_db_batch_rows_sum": sums, "claims_db_batch_rows_count": counts}
                if sample.name in into:
                    writer = sample.labels["writer"]
                    into[sample.name][writer] = into[sample.name].get(writer, 0.0) + sample.value
    return {f"batch_rows_{w}": sums[w] / counts[w] for w in sums if counts.get(w)}
