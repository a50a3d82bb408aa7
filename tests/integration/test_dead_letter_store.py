"""Dead letters in a real PostgreSQL: migration 0003 over rows stored in clear, the reseal, and
deduplication on the keyed digest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from services.adapters.postgres import PostgresStore, migrations
from services.app.dead_letters import reseal_legacy
from services.app.records import DeadLetterRow, Position
from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, Opener, Sealer
from streams.kafka.codec import AvroCodec

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
HASH_KEY = "integration-hash-key-0123456789"
NIK = b"3171014501900001"
WHERE = Position("bpjs.participant-events.v1", 2, 77)
SEEN = datetime(2025, 7, 7, 3, tzinfo=UTC)
SEALER = Sealer.from_config(DEMO_PUBLIC_KEY, HASH_KEY)


@pytest.fixture
async def schema_url(database_url: str) -> AsyncIterator[str]:
    """A schema of its own with migrations 0001-0002 only, dropped afterwards."""
    schema = f"test_dl_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in database_url else "?"
    url = f"{database_url}{joiner}search_path={schema}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, sql in migrations():
            if version < 3:
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, name)
        yield url
    finally:
        await conn.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def insert_clear(url: str, key: bytes | None, value: bytes, where: Position) -> None:
    """A dead letter as the worker stored it before 0003: the clear original."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            'INSERT INTO dead_letters (topic, partition, "offset", key, value, error_class,'
            " error_message, first_seen_at, consumer, value_sha256)"
            " VALUES ($1, $2, $3, $4, $5, 'InvalidEvent', 'nik: <15 digits>', $6, 'p', sha256($5))",
            where.topic,
            where.partition,
            where.offset,
            key,
            value,
            SEEN,
        )
    finally:
        await conn.close()


async def raw_dump(store: PostgresStore) -> bytes:
    rows = await store.read_only("SELECT * FROM dead_letters")
    return b"".join(
        v if isinstance(v, bytes) else repr(v).encode() for r in rows for v in r.values()
    )


def sealed_row(value: bytes, where: Position) -> DeadLetterRow:
    s = SEALER.seal(b"24012345678", value, where)
    return DeadLetterRow(
        where.topic, where.partition, where.offset, "InvalidEvent", "why", SEEN, "p",
        s.envelope, s.key_id, s.value_digest, s.value_size, None,
    )  # fmt: skip


async def test_rows_stored_in_clear_are_sealed_after_0003_and_hold_no_nik(
    schema_url: str,
) -> None:
    codec = AvroCodec.from_directory(REPO / "schemas")
    value = b"\xc3\x01" + bytes(8) + b"\x20" + NIK + b" and the rest"
    await insert_clear(schema_url, b"24012345678", value, WHERE)
    await insert_clear(schema_url, None, b"not avro " + NIK, Position(WHERE.topic, 0, 5))
    store = await PostgresStore.connect(schema_url, size=1)
    try:
        assert (await store.migrate())[0] == "0003_sealed_dead_letters.sql"
        assert NIK in await raw_dump(store)  # still clear until resealed
        assert await reseal_legacy(store, SEALER, codec.writer_name) == (2, 0)
        assert NIK not in await raw_dump(store)
        assert NIK.hex().encode() not in await raw_dump(store)
        first, second = await store.dead_letters()
        opener = Opener.from_config([DEMO_PRIVATE_KEY])
        assert first.sealed is not None and second.sealed is not None
        assert opener.open(first.sealed, WHERE) == (b"24012345678", value)
        assert opener.open(second.sealed, Position(WHERE.topic, 0, 5)) == (None, b"not avro " + NIK)
        assert (first.value_size, first.error_message) == (len(value), "nik: <15 digits>")
        # The same message parked again after the upgrade stays one dead letter.
        await store.record_dead_letters([sealed_row(value, Position(WHERE.topic, 1, 900))])
        assert len(await store.dead_letters()) == 2
        assert await reseal_legacy(store, SEALER, codec.writer_name) == (0, 0)
    finally:
        await store.close()


async def test_a_clear_row_whose_message_was_already_parked_sealed_is_dropped_on_reseal(
    schema_url: str,
) -> None:
    await insert_clear(schema_url, b"24012345678", b"the same bytes", WHERE)  # same key and value
    store = await PostgresStore.connect(schema_url, size=1)
    try:
        await store.migrate()
        await store.record_dead_letters(
            [sealed_row(b"the same bytes", Position(WHERE.topic, 4, 1))]
        )
        assert await reseal_legacy(store, SEALER, lambda _: None) == (0, 1)
        (only,) = await store.dead_letters()
        assert only.partition == 4
    finally:
        await store.close()


async def test_the_reseal_command_seals_with_the_workers_public_key(schema_url: str) -> None:
    await insert_clear(schema_url, b"24012345678", b"clear " + NIK, WHERE)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {
        "DATABASE_URL": schema_url,
        "NIK_HASH_KEY": HASH_KEY,
        "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "claims.cli", "dead-letters", "reseal"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"resealed": 1' in done.stdout
    store = await PostgresStore.connect(schema_url, size=1)
    try:
        assert NIK not in await raw_dump(store)
    finally:
        await store.close()


async def test_two_workers_resealing_at_once_lose_no_dead_letter(schema_url: str) -> None:
    values = [b"clear %d " % i + NIK for i in range(40)]
    for i, value in enumerate(values):
        await insert_clear(schema_url, None, value, Position(WHERE.topic, 0, i))
    first = await PostgresStore.connect(schema_url, size=1)
    second = await PostgresStore.connect(schema_url, size=1)
    try:
        await first.migrate()
        done = await asyncio.gather(
            reseal_legacy(first, SEALER, lambda _: None, batch=7),
            reseal_legacy(second, SEALER, lambda _: None, batch=7),
        )
        assert sum(resealed for resealed, _ in done) == 40
        assert [dropped for _, dropped in done] == [0, 0]
        assert len(await first.dead_letters()) == 40
        assert NIK not in await raw_dump(first)
    finally:
        await first.close()
        await second.close()
