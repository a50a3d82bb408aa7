"""`claims import` against the real Kafka and PostgreSQL: every valid row published exactly once,
every bad row reported with its reason, re-runs of a batch recognised."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from claims.imports.command import EXIT_OK, EXIT_REJECTED, ImportOptions, ImportResult, run_import
from claims.imports.files import read_report
from claims.imports.make_file import write_import_file
from services.adapters.postgres import PostgresStore, connect_store
from services.app import import_batch
from services.app.adjudication import ParticipantEvents
from services.app.records import Position
from services.config import Settings, load_settings
from services.rules import default_rules
from streams.kafka import topics as T
from streams.kafka.admin import delete_service_topics, ensure_topics
from streams.kafka.codec import AvroCodec

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
KEY = "import-test-key-0123456789"
SPONSOR = "pemprov-dki"


@pytest.fixture(scope="module")
def settings(stack: Any) -> Iterator[Settings]:
    """Topics with their own prefix and tables in their own schema, removed afterwards."""
    run = uuid.uuid4().hex[:8]
    schema = f"imp_{run}"
    asyncio.run(_sql(stack.database_url, f"CREATE SCHEMA {schema}"))
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        **stack.role_env(schema),  # the import reads as IMPORT_DATABASE_URL
        "NIK_HASH_KEY": KEY,
        "TOPIC_PREFIX": f"imp{run}.",
        "CLAIMS_APP_ID": f"imp-{run}",
    }
    found = load_settings(env)
    ensure_topics(found)
    asyncio.run(_migrate(found.dsn))
    try:
        yield found
    finally:
        delete_service_topics(found)
        asyncio.run(_sql(stack.database_url, f"DROP SCHEMA {schema} CASCADE"))


async def _sql(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _migrate(dsn: str) -> None:
    store = await PostgresStore.connect(dsn, size=1)
    try:
        await store.migrate()
    finally:
        await store.close()


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec.from_directory(REPO / "schemas")


def generated(tmp_path: Path, name: str, rows: int, bad: float, seed: int) -> dict[str, Any]:
    return write_import_file(tmp_path / name, rows, max(rows // 100, 1), bad, seed)


def run(settings: Settings, path: Path, batch: str, **options: Any) -> ImportResult:
    report = options.pop("report", path.with_name(f"{path.name}.{uuid.uuid4().hex[:6]}.csv"))
    return asyncio.run(
        run_import(settings, ImportOptions(path, SPONSOR, batch, report=report, **options))
    )


def consume(settings: Settings, name: str) -> list[Any]:
    """Every message of the topic, from the beginning to the current end (kafka-python)."""
    topic = settings.topic_prefix + name
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[Any] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000, max_records=10_000).values():
                out.extend(records)
        return out
    finally:
        consumer.close()


def of_batch(settings: Settings, codec: AvroCodec, batch: str) -> list[tuple[Any, dict[str, Any]]]:
    found = []
    for message in consume(settings, T.PARTICIPANT_EVENTS.name):
        record = codec.decode(message.value).record
        if record.get("batch_id") == batch:
            found.append((message, record))
    return found


def markers(settings: Settings, codec: AvroCodec, batch: str) -> list[tuple[Any, dict[str, Any]]]:
    found = []
    for message in consume(settings, T.SPONSOR_EVENTS.name):
        decoded = codec.decode(message.value)
        if decoded.name == T.BATCH_COMPLETED and decoded.record["batch_id"] == batch:
            found.append((message, decoded.record))
    return found


def assert_reported(report: Path, truth: dict[str, Any]) -> None:
    """Every bad row is in the report with its field and reason; no other row is."""
    lines = read_report(report)
    assert {int(line["row"]) for line in lines} == {b["row"] for b in truth["bad"]}
    for bad in truth["bad"]:
        mine = [(r["field"], r["reason"]) for r in lines if int(r["row"]) == bad["row"]]
        assert any(f == bad["field"] and bad["reason"] in r for f, r in mine), (bad, mine)
    for line in lines:
        if line["field"] == "nik":
            assert re.fullmatch(r"\**.{0,4}", line["value"]), line  # never a clear NIK


def test_every_valid_row_is_published_once_and_every_bad_row_reported(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    truth = generated(tmp_path, "workers.csv", 3000, 0.01, seed=21)
    batch = f"it-{uuid.uuid4().hex[:8]}"
    report = tmp_path / "report.csv"
    result = run(settings, tmp_path / "workers.csv", batch, report=report)

    assert result.exit_code == EXIT_REJECTED
    assert (result.rows, result.published, result.rejected_rows) == (3000, 2970, 30)
    published = of_batch(settings, codec, batch)
    kpjs = Counter(record["kpj"] for _, record in published)
    assert kpjs == Counter(truth["valid_kpjs"]) and set(kpjs.values()) == {1}
    for message, record in published:
        assert message.key == record["kpj"].encode()  # keyed by KPJ, never the NIK
        assert record["event_id"] == import_batch.event_id(batch, record["kpj"])
        assert (record["sponsor_id"], record["source"]) == (SPONSOR, "bulk-import")
        # kafka-python's murmur2, as the Java client partitions keyed messages
        assert message.partition == (murmur2(message.key) & 0x7FFFFFFF) % 8
    ((marker_message, marker),) = markers(settings, codec, batch)
    assert marker_message.key == SPONSOR.encode() and marker["expected_count"] == 2970
    assert_reported(report, truth)


def test_a_json_lines_file_is_imported_the_same_way(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    truth = write_import_file(tmp_path / "workers.jsonl", 600, 6, 0.05, 22)
    batch = f"it-{uuid.uuid4().hex[:8]}"
    report = tmp_path / "report.csv"
    result = run(settings, tmp_path / "workers.jsonl", batch, report=report)
    assert (result.published, result.rejected_rows) == (570, 30)
    assert sorted(r["kpj"] for _, r in of_batch(settings, codec, batch)) == sorted(
        truth["valid_kpjs"]
    )
    assert_reported(report, truth)


def test_a_dry_run_reports_but_publishes_nothing(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    truth = generated(tmp_path, "workers.csv", 400, 0.05, seed=23)
    batch = f"it-{uuid.uuid4().hex[:8]}"
    report = tmp_path / "report.csv"
    result = run(settings, tmp_path / "workers.csv", batch, report=report, dry_run=True)
    assert (result.published, result.rejected_rows) == (380, 20)
    assert result.summary()["would_publish"] == 380
    assert of_batch(settings, codec, batch) == [] and markers(settings, codec, batch) == []
    assert_reported(report, truth)


def applied_by_the_worker(settings: Settings, events: list[tuple[Any, dict[str, Any]]]) -> None:
    """What the participant agent persists for these events (its use case, then its store)."""
    handler = ParticipantEvents(default_rules(), KEY)
    rows = []
    for message, record in events:
        pos = Position(message.topic, message.partition, message.offset)
        applied = handler.apply(T.PARTICIPANT, record, None, lambda _: None, pos, datetime.now(UTC))
        assert applied.row is not None
        rows.append(applied.row)

    async def save() -> None:
        store = await connect_store(settings, role="worker")  # as a worker would
        try:
            await store.save_participants(rows)
        finally:
            await store.close()

    asyncio.run(save())


def test_a_re_run_of_the_same_batch_republishes_only_what_the_worker_has_not_applied(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    generated(tmp_path, "workers.csv", 500, 0.02, seed=24)
    path, batch = tmp_path / "workers.csv", f"it-{uuid.uuid4().hex[:8]}"
    assert run(settings, path, batch).published == 490
    first = of_batch(settings, codec, batch)

    # Nothing applied yet (the worker is behind): the same events again, same ids.
    assert run(settings, path, batch).published == 490
    twice = of_batch(settings, codec, batch)
    ids = Counter(record["event_id"] for _, record in twice)
    assert len(ids) == 490 and set(ids.values()) == {2}

    # Once the worker has applied them, a re-run publishes nothing and reports only bad rows.
    applied_by_the_worker(settings, first)
    again = run(settings, path, batch)
    assert (again.published, again.already_in_batch, again.rejected_rows) == (0, 490, 10)
    assert again.exit_code == EXIT_REJECTED
    assert len(of_batch(settings, codec, batch)) == 980
    assert {m["event_id"] for _, m in markers(settings, codec, batch)} == {
        import_batch.batch_completed_event(batch, SPONSOR, 490, datetime.now(UTC))["event_id"]
    }


def test_people_enrolled_before_by_someone_else_are_rejected_as_duplicates(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    truth = generated(tmp_path, "workers.csv", 200, 0.0, seed=25)
    path = tmp_path / "workers.csv"
    earlier = f"it-{uuid.uuid4().hex[:8]}"
    run(settings, path, earlier)
    applied_by_the_worker(settings, of_batch(settings, codec, earlier)[:5])
    report = tmp_path / "report.csv"
    result = run(settings, path, f"it-{uuid.uuid4().hex[:8]}", report=report)
    assert (result.published, result.rejected_rows) == (195, 5)
    reasons = {line["reason"] for line in read_report(report)}
    assert reasons == {"KPJ already enrolled to this person (not by this batch)"}
    assert truth["valid_rows"] == 200


def test_a_file_without_problems_exits_0(settings: Settings, tmp_path: Path) -> None:
    generated(tmp_path, "workers.csv", 100, 0.0, seed=26)
    result = run(settings, tmp_path / "workers.csv", f"it-{uuid.uuid4().hex[:8]}")
    assert (result.exit_code, result.published) == (EXIT_OK, 100)
    assert json.loads(json.dumps(result.summary()))["rejected_rows"] == 0


@pytest.mark.slow
def test_the_issue_s_250000_row_file_with_1_percent_bad_rows(
    settings: Settings, codec: AvroCodec, tmp_path: Path
) -> None:
    truth = write_import_file(tmp_path / "workers.csv", 250_000, 300, 0.01, 2016)
    batch = f"it-{uuid.uuid4().hex[:8]}"
    report = tmp_path / "report.csv"
    result = run(settings, tmp_path / "workers.csv", batch, report=report)
    assert (result.published, result.rejected_rows) == (247_500, 2_500)
    kpjs = Counter(record["kpj"] for _, record in of_batch(settings, codec, batch))
    assert kpjs == Counter(truth["valid_kpjs"]) and set(kpjs.values()) == {1}
    assert_reported(report, truth)
