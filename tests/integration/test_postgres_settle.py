"""PostgresStore.settle against a real PostgreSQL: one settlement and one instruction per claim."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "app"))
from app_events import DECIDED, fixture, instant

from services.adapters.postgres import PostgresStore
from services.app.records import Position, SettlementRow
from services.app.settlement import settlement_row
from services.rules import RuleSet, default_rules
from streams.kafka.codec import AvroCodec
from tests.conftest import Stack, with_schema

pytestmark = pytest.mark.integration
TOPIC = "bpjs.claims.approved.jht.v1"
NOW = datetime(2025, 7, 7, 3, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str, stack: Stack) -> AsyncIterator[PostgresStore]:
    """A store in a schema of its own, migrated by the owner, working as the worker's role
    (WORKER_DATABASE_URL of the local stack), dropped afterwards."""
    schema = f"test_settle_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in database_url else "?"
    owner = await PostgresStore.connect(f"{database_url}{joiner}search_path={schema}", size=1)
    try:
        await owner.migrate()
    finally:
        await owner.close()
    s = await PostgresStore.connect(with_schema(stack.worker_url, schema), size=2)
    try:
        yield s
    finally:
        await s.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def row(claim_id: str, offset: int, partition: int = 0) -> SettlementRow:
    codec = AvroCodec.from_directory(Path(__file__).resolve().parents[2] / "schemas")
    rules: RuleSet = default_rules()
    decision = fixture(
        DECIDED, claim_id=claim_id, program="JHT", submitted_at=instant("2025-07-06T18:00")
    )
    return settlement_row(decision, Position(TOPIC, partition, offset), codec.encode, rules, NOW)


async def counts(store: PostgresStore) -> tuple[int, int]:
    settled = await store.read_only("SELECT count(*) AS n FROM settlements")
    outbox = await store.read_only("SELECT count(*) AS n FROM payment_outbox")
    return settled[0]["n"], outbox[0]["n"]


async def test_a_claim_delivered_twice_in_one_batch_settles_once_in_that_batch(
    store: PostgresStore,
) -> None:
    batch = [row("C-1", 10), row("C-2", 11), row("C-1", 12)]
    fresh = await store.settle("settlement-jht", batch)
    assert sorted(fresh) == ["C-1", "C-2"]
    assert await counts(store) == (2, 2)
    recorded = await store.processed_offsets("settlement-jht", TOPIC)
    assert recorded == {0: 12}  # the duplicate's position counts as processed too


async def test_a_batch_delivered_again_settles_nothing_new(store: PostgresStore) -> None:
    batch = [row("C-1", 10), row("C-2", 11, partition=3)]
    assert sorted(await store.settle("settlement-jht", batch)) == ["C-1", "C-2"]
    assert await store.settle("settlement-jht", batch) == []
    assert await counts(store) == (2, 2)
    assert await store.processed_offsets("settlement-jht", TOPIC) == {0: 10, 3: 11}
