"""PostgreSQL adapter: versioned migrations and idempotent, batched writes of the settled state."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from typing import Any, TypeVar

import asyncpg

from services.app.records import (
    BatchMarkerRow,
    Checkpoint,
    DeadLetterRow,
    DecisionRow,
    LegacyDeadLetter,
    OutboxEvent,
    OutboxItem,
    ParticipantRow,
    PaymentOutcome,
    PaymentResultRow,
    PendingEvent,
    Position,
    SettlementRow,
    SponsorFundingRow,
    StoredDeadLetter,
)
from services.errors import Fenced, StoreError, TransientError
from services.sealing import Sealed

log = logging.getLogger(__name__)
T = TypeVar("T")

# Two processes migrating at once must not both apply a file: they serialise on this lock.
_MIGRATION_LOCK = 815_2016

_TRANSIENT = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    # Another session holds the row locks this transaction needs (lock_timeout below), or this
    # session sat idle inside a transaction too long and PostgreSQL ended it (a frozen worker).
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.IdleInTransactionSessionTimeoutError,
)

# A worker frozen inside a transaction (SIGSTOP, a long GC pause, a VM stall) would hold its
# row locks, the batch's positions among them, and so block the worker its partitions moved to.
# PostgreSQL ends such a session after this long idle in its transaction, rolling it back: the
# zombie's commit then fails, and its positions are fenced on the retry. Never reached by a
# live worker: it issues a transaction's statements back to back.
SERVER_SETTINGS = {"idle_in_transaction_session_timeout": "10s", "lock_timeout": "30s"}

InterestFn = Callable[[str, int, date, date], tuple[int, int]]


def migrations() -> list[tuple[int, str, str]]:
    """The bundled .sql files as (version, name, sql), in version order."""
    folder = resources.files("services.adapters") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _guard(op: str, call: Awaitable[T]) -> T:
    """Translate driver errors, keeping the cause; transient ones are marked for retry."""
    try:
        return await call
    except _TRANSIENT as e:
        raise TransientError(f"{op}: {type(e).__name__}: {e}") from e
    except asyncpg.PostgresError as e:
        raise StoreError(f"{op}: {type(e).__name__}: {e}") from e


class PostgresStore:
    """The settled state. Every write is idempotent, so a replayed message changes nothing."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, dsn: str, *, size: int = 4) -> PostgresStore:
        pool = await _guard(
            "connect",
            asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=size,
                command_timeout=60,
                server_settings=SERVER_SETTINGS,
            ),
        )
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    async def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded in schema_migrations; return the names applied."""
        return await _guard("migrate", self._migrate())

    async def _migrate(self) -> list[str]:
        applied: list[str] = []
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for version, name, sql in migrations():
                if version in done:
                    continue
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
                )
                applied.append(name)
        return applied

    async def drop_all(self) -> None:
        """Drop every table the migrations created (for a fresh local run; never in production)."""
        await _guard(
            "drop_all",
            self._pool.execute(
                "DROP TABLE IF EXISTS processed_offsets, dead_letters, payment_results,"
                " event_outbox, payment_outbox, settlements, claims, enrollment_batches,"
                " sponsor_fundings, participants, schema_migrations CASCADE"
            ),
        )

    # -- participants and sponsors ------------------------------------------------------------

    async def save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        """Upsert coverage snapshots; an older position never overwrites a newer one."""
        if rows:
            await _guard("save_participants", self._save_participants(_latest_per_kpj(rows)))

    async def _save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        async with self._tx() as conn:
            await _upsert_participants(conn, rows)

    # -- decisions and settlements ------------------------------------------------------------

    async def record_decisions(self, rows: Sequence[DecisionRow]) -> int:
        """Insert decisions once; a replayed decision is ignored. Returns the number new."""
        if not rows:
            return 0
        return await _guard("record_decisions", self._record_decisions(rows))

    async def _record_decisions(self, rows: Sequence[DecisionRow]) -> int:
        async with self._tx() as conn:
            # reasons travel as one text per row ('{a,b}') and are cast back to text[] here:
            # unnest cannot take an array of arrays of different lengths.
            new = await conn.fetch(
                _INSERT_DECISIONS + " RETURNING claim_id", *_columns(rows, _decision_record, 14)
            )
            return len(new)

    async def settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None = None
    ) -> list[str]:
        """Settle a batch in one transaction: settlement, outbox instruction and positions.

        A claim already settled is skipped (unique claim_id), so however often a claim is
        delivered it settles once and gets one payment instruction. Returns the claim ids
        settled now.
        """
        if not rows and checkpoint is None:
            return []
        return await _guard("settle", self._settle(consumer, rows, checkpoint))

    async def _settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None
    ) -> list[str]:
        # A decision delivered twice can land twice in one batch: one row per claim, or the
        # second copy's instruction would collide with the first's inside this transaction.
        positions = [r.position for r in rows]
        rows = list({r.claim_id: r for r in reversed(rows)}.values())[::-1]
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            if not rows:
                return []
            settled = await conn.fetch(
                "INSERT INTO settlements (claim_id, program, amount, payable_by, rule_set_version,"
                " decision, complete_on, due_date) SELECT * FROM unnest($1::text[], $2::text[],"
                " $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::date[], $8::date[])"
                " ON CONFLICT (claim_id) DO NOTHING RETURNING claim_id",
                *_columns(rows, _settlement_record, 8),
            )
            new_ids = {r["claim_id"] for r in settled}
            fresh = [r for r in rows if r.claim_id in new_ids]
            if fresh:
                await conn.executemany(
                    "INSERT INTO payment_outbox"
                    " (instruction_id, claim_id, idempotency_key, payload)"
                    " VALUES ($1, $2, $3, $4)",
                    [
                        (r.instruction_id, r.claim_id, r.idempotency_key, r.instruction_payload)
                        for r in fresh
                    ],
                )
            if checkpoint is None:
                await _record_positions(conn, consumer, positions)
            return [r.claim_id for r in fresh]

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        """The last offset `consumer` durably processed, per partition of `topic`."""
        rows = await _guard(
            "processed_offsets",
            self._pool.fetch(
                'SELECT partition, "offset" FROM processed_offsets'
                " WHERE consumer = $1 AND topic = $2",
                consumer,
                topic,
            ),
        )
        return {int(r["partition"]): int(r["offset"]) for r in rows}

    # -- worker v2: state, batch transactions and the event outbox --------------------------------

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The committed state of these participants (those never enrolled are left out)."""
        if not kpjs:
            return {}
        rows = await _guard(
            "load_participants",
            self._pool.fetch(
                "SELECT kpj, coverage::text AS state FROM participants WHERE kpj = ANY($1::text[])",
                list(kpjs),
            ),
        )
        return {r["kpj"]: json.loads(r["state"]) for r in rows}

    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Funded periods per sponsor, as the adjudicator reads them: {"fundings": [[start, end,
        programs, cohort], ...]} sorted, one entry per (cohort, period start)."""
        if not sponsor_ids:
            return {}
        rows = await _guard(
            "sponsor_fundings",
            self._pool.fetch(
                "SELECT sponsor_id, period_start, period_end, programs, cohort_id"
                " FROM sponsor_fundings WHERE sponsor_id = ANY($1::text[])",
                list(sponsor_ids),
            ),
        )
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            out.setdefault(r["sponsor_id"], {"fundings": []})["fundings"].append(
                [
                    r["period_start"].isoformat(),
                    r["period_end"].isoformat(),
                    list(r["programs"]),
                    r["cohort_id"],
                ]
            )
        for found in out.values():
            found["fundings"].sort()
        return out

    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
    ) -> list[PendingEvent]:
        """One participant-events batch in one transaction: the state upserts, the decided
        claims, the records to publish and the consumed positions (fenced). Returns the outbox
        rows written, for the worker to publish straight away."""
        return await _guard(
            "commit_participants", self._commit_participants(checkpoint, rows, decisions, outbox)
        )

    async def _commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
    ) -> list[PendingEvent]:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
            if rows:
                await _upsert_participants(conn, _latest_per_kpj(rows))
            if decisions:
                await conn.execute(_INSERT_DECISIONS, *_columns(decisions, _decision_record, 14))
            return await _insert_outbox(conn, outbox)

    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        """A sponsor-events batch: funded periods, batch markers and positions, in one go."""
        await _guard("commit_sponsors", self._commit_sponsors(checkpoint, fundings, markers))

    async def _commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
            if fundings:
                await conn.executemany(_INSERT_FUNDING, [_funding_record(r) for r in fundings])
            if markers:
                await conn.executemany(
                    "INSERT INTO enrollment_batches (batch_id, sponsor_id, expected_count)"
                    " VALUES ($1,$2,$3) ON CONFLICT (batch_id) DO NOTHING",
                    [(m.batch_id, m.sponsor_id, m.expected_count) for m in markers],
                )

    async def advance(self, checkpoint: Checkpoint) -> None:
        """Commit positions alone (a batch whose every event was dead-lettered)."""
        await _guard("advance", self._advance_alone(checkpoint))

    async def _advance_alone(self, checkpoint: Checkpoint) -> None:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]:
        """Outbox records a worker committed but did not publish (it died first), oldest first."""
        rows = await _guard(
            "events_pending",
            self._pool.fetch(
                "SELECT id, topics, key, payload FROM event_outbox"
                " WHERE created_at < now() - make_interval(secs => $2) ORDER BY id LIMIT $1",
                limit,
                older_than_s,
            ),
        )
        return [
            PendingEvent(r["id"], tuple(r["topics"]), r["key"], bytes(r["payload"])) for r in rows
        ]

    async def events_published(self, ids: Sequence[int]) -> None:
        """The broker has these outbox records: they are done."""
        if ids:
            await _guard(
                "events_published",
                self._pool.execute(
                    "DELETE FROM event_outbox WHERE id = ANY($1::bigint[])", list(ids)
                ),
            )

    # -- outbox ----------------------------------------------------------------------------------

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        rows = await _guard(
            "outbox_pending",
            self._pool.fetch(
                "SELECT instruction_id, claim_id, payload FROM payment_outbox"
                " WHERE published_at IS NULL ORDER BY created_at, instruction_id LIMIT $1",
                limit,
            ),
        )
        return [OutboxItem(r["instruction_id"], r["claim_id"], bytes(r["payload"])) for r in rows]

    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None:
        """Record (instruction_id, partition, offset) for instructions the broker acknowledged."""
        if published:
            await _guard(
                "mark_published",
                self._pool.executemany(
                    "UPDATE payment_outbox SET published_at = now(), kafka_partition = $2,"
                    " kafka_offset = $3 WHERE instruction_id = $1 AND published_at IS NULL",
                    published,
                ),
            )

    async def outbox_backlog(self) -> int:
        value = await _guard(
            "outbox_backlog",
            self._pool.fetchval("SELECT count(*) FROM payment_outbox WHERE published_at IS NULL"),
        )
        return int(value)

    async def unpaid_settlements(self) -> int:
        value = await _guard(
            "unpaid_settlements",
            self._pool.fetchval("SELECT count(*) FROM settlements WHERE status = 'PENDING'"),
        )
        return int(value)

    # -- payments ---------------------------------------------------------------------------------

    async def apply_payment_results(
        self,
        rows: Sequence[PaymentResultRow],
        interest: InterestFn,
        checkpoint: Checkpoint | None = None,
    ) -> list[PaymentOutcome]:
        """Mark settlements paid or failed, once per result event, with statutory late interest."""
        if not rows and checkpoint is None:
            return []
        return await _guard(
            "apply_payment_results", self._apply_payments(rows, interest, checkpoint)
        )

    async def _apply_payments(
        self,
        rows: Sequence[PaymentResultRow],
        interest: InterestFn,
        checkpoint: Checkpoint | None,
    ) -> list[PaymentOutcome]:
        outcomes: list[PaymentOutcome] = []
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            for r in rows:
                fresh = await conn.fetchval(
                    "INSERT INTO payment_results (event_id, instruction_id, claim_id, status,"
                    " paid_on, failure_reason) VALUES ($1,$2,$3,$4,$5,$6)"
                    " ON CONFLICT (event_id) DO NOTHING RETURNING 1",
                    r.event_id,
                    r.instruction_id,
                    r.claim_id,
                    r.status,
                    r.paid_on,
                    r.failure_reason,
                )
                if fresh is None:
                    continue
                s = await conn.fetchrow(
                    "SELECT program, amount, due_date, status FROM settlements"
                    " WHERE claim_id = $1 FOR UPDATE",
                    r.claim_id,
                )
                if s is None or s["status"] == "PAID":
                    continue  # unknown claim or already paid: a later result never un-pays
                days, accrued = (0, 0)
                if r.status == "PAID" and r.paid_on is not None:
                    days, accrued = interest(s["program"], s["amount"], s["due_date"], r.paid_on)
                await conn.execute(
                    "UPDATE settlements SET status = $2, paid_on = $3, days_late = $4,"
                    " late_interest = $5, failure_reason = $6, updated_at = now()"
                    " WHERE claim_id = $1",
                    r.claim_id,
                    r.status,
                    r.paid_on,
                    days,
                    accrued,
                    r.failure_reason,
                )
                outcomes.append(PaymentOutcome(r.claim_id, s["program"], r.status, days, accrued))
        return outcomes

    # -- dead letters ----------------------------------------------------------------------------

    async def record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None = None
    ) -> None:
        """Insert sealed dead letters once per (topic, keyed digest of the value)."""
        if rows or checkpoint is not None:
            await _guard("record_dead_letters", self._record_dead_letters(rows, checkpoint))

    async def _record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None
    ) -> None:
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            if rows:
                await conn.executemany(
                    'INSERT INTO dead_letters (topic, partition, "offset", key, value, error_class,'
                    " error_message, first_seen_at, consumer, sealed, key_id, value_digest,"
                    " value_size, value_schema)"
                    " VALUES ($1,$2,$3, NULL, '', $4,$5,$6,$7,$8,$9,$10,$11,$12)"
                    " ON CONFLICT (topic, value_digest) DO NOTHING",
                    [
                        (
                            d.topic,
                            d.partition,
                            d.offset,
                            d.error_class,
                            d.error_message,
                            d.first_seen_at,
                            d.consumer,
                            d.sealed,
                            d.key_id,
                            d.value_digest,
                            d.value_size,
                            d.value_schema,
                        )
                        for d in rows
                    ],
                )

    async def dead_letters(
        self, *, topic: str | None = None, limit: int = 100, after_id: int = 0
    ) -> list[StoredDeadLetter]:
        """Dead letters in id order (metadata and envelope; never a clear value)."""
        rows = await _guard(
            "dead_letters",
            self._pool.fetch(
                _DEAD_LETTER_SELECT + " WHERE id > $1 AND ($2::text IS NULL OR topic = $2)"
                " ORDER BY id LIMIT $3",
                after_id,
                topic,
                limit,
            ),
        )
        return [_stored_dead_letter(r) for r in rows]

    async def dead_letter(self, dead_letter_id: int) -> StoredDeadLetter | None:
        row = await _guard(
            "dead_letter",
            self._pool.fetchrow(_DEAD_LETTER_SELECT + " WHERE id = $1", dead_letter_id),
        )
        return None if row is None else _stored_dead_letter(row)

    async def mark_replayed(self, dead_letter_id: int) -> None:
        await _guard(
            "mark_replayed",
            self._pool.execute(
                "UPDATE dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id
            ),
        )

    async def legacy_dead_letters(self, limit: int) -> list[LegacyDeadLetter]:
        """Rows written before migration 0003 that still hold the clear key and value."""
        rows = await _guard(
            "legacy_dead_letters",
            self._pool.fetch(
                'SELECT id, topic, partition, "offset", key, value FROM dead_letters'
                " WHERE sealed IS NULL ORDER BY id LIMIT $1",
                limit,
            ),
        )
        return [
            LegacyDeadLetter(
                r["id"],
                Position(r["topic"], r["partition"], r["offset"]),
                None if r["key"] is None else bytes(r["key"]),
                bytes(r["value"]),
            )
            for r in rows
        ]

    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None:
        """Replace a legacy row's clear key and value by their envelope.

        True: resealed. False: a sealed row of the same message already exists, so the clear
        copy is deleted. None: another process resealed (or removed) it first.
        """
        return await _guard(
            "reseal_dead_letter", self._reseal(dead_letter_id, topic, sealed, value_schema)
        )

    async def _reseal(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None:
        async with self._tx() as conn:
            # Two workers starting together both reseal: the row lock makes one of them wait and
            # then find the row already sealed.
            still_clear = await conn.fetchval(
                "SELECT sealed IS NULL FROM dead_letters WHERE id = $1 FOR UPDATE", dead_letter_id
            )
            if not still_clear:
                return None
            twin = await conn.fetchval(
                "SELECT id FROM dead_letters WHERE topic = $1 AND value_digest = $2 AND id <> $3",
                topic,
                sealed.value_digest,
                dead_letter_id,
            )
            if twin is not None:
                await conn.execute("DELETE FROM dead_letters WHERE id = $1", dead_letter_id)
                return False
            await conn.execute(
                "UPDATE dead_letters SET key = NULL, value = '', sealed = $2, key_id = $3,"
                " value_digest = $4, value_size = $5, value_schema = $6 WHERE id = $1",
                dead_letter_id,
                sealed.envelope,
                sealed.key_id,
                sealed.value_digest,
                sealed.value_size,
                value_schema,
            )
            return True

    # -- queries -----------------------------------------------------------------------------------

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Read-only query helper for reports and the status view."""
        rows = await _guard("fetch", self._pool.fetch(sql, *args))
        return [dict(r) for r in rows]

    async def fetch_readonly(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """A query in a READ ONLY transaction: PostgreSQL itself refuses any write (dry runs)."""
        return await _guard("fetch_readonly", self._fetch_readonly(sql, *args))

    async def _fetch_readonly(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            return [dict(r) for r in await conn.fetch(sql, *args)]


# reasons travel as one text per row ('{a,b}') and are cast back to text[] here: unnest cannot
# take an array of arrays of different lengths.
_INSERT_DECISIONS = (
    "INSERT INTO claims (claim_id, kpj, participant_ref, program, event_date,"
    " submitted_at, outcome, reasons, total, payable_by, rule_set_version, decision,"
    " decided_at, assessment_inputs)"
    " SELECT c1, c2, c3, c4, c5, c6, c7, c8::text[], c9, c10, c11, c12, c13, c14"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],"
    " $6::timestamptz[], $7::text[], $8::text[], $9::bigint[], $10::text[],"
    " $11::text[], $12::jsonb[], $13::timestamptz[], $14::jsonb[])"
    " AS t(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)"
    " ON CONFLICT (claim_id) DO NOTHING"
)

_INSERT_FUNDING = (
    "INSERT INTO sponsor_fundings (sponsor_id, cohort_id, sponsor_name, sponsor_kind,"
    " period_start, period_end, budget, programs, participant_count, event_id)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING"
)


def _funding_record(r: SponsorFundingRow) -> tuple[Any, ...]:
    return (
        r.sponsor_id,
        r.cohort_id,
        r.sponsor_name,
        r.sponsor_kind,
        r.period_start,
        r.period_end,
        r.budget,
        list(r.programs),
        r.participant_count,
        r.event_id,
    )


async def _upsert_participants(conn: asyncpg.Connection, rows: Sequence[ParticipantRow]) -> None:
    """COPY into a temporary table, then one guarded upsert (an older position never
    overwrites a newer one)."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS participants_in"
        " (LIKE participants INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table(
        "participants_in",
        columns=_PARTICIPANT_COLUMNS,
        records=[_participant_record(r) for r in rows],
    )
    await conn.execute(_UPSERT_PARTICIPANTS)


async def _advance(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    """Record a batch's consumed positions inside its transaction, fenced.

    The rows of the batch's partitions are locked first; if any already records an offset of
    this batch, another consumer applied it (the partition moved while this worker worked):
    Fenced, and the whole transaction rolls back. A partition seen for the first time is
    inserted; if another consumer inserted it meanwhile, the insert turns into an update
    (xmax <> 0) and that is fenced too.
    """
    marks = checkpoint.marks
    if not marks:
        return
    topics = [m.topic for m in marks]
    partitions = [m.partition for m in marks]
    held = await conn.fetch(
        'SELECT topic, partition, "offset" FROM processed_offsets WHERE consumer = $1'
        " AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))"
        " ORDER BY topic, partition FOR UPDATE",
        checkpoint.consumer,
        topics,
        partitions,
    )
    recorded = {(r["topic"], r["partition"]): r["offset"] for r in held}
    for m in marks:
        done = recorded.get((m.topic, m.partition))
        if done is not None and done >= m.first:
            raise Fenced(
                f"{checkpoint.consumer}: {m.topic}[{m.partition}] already recorded at {done},"
                f" this batch starts at {m.first}: another worker applied it"
            )
    written = await conn.fetch(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset")'
        " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)"
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()'
        " RETURNING topic, partition, (xmax = 0) AS inserted",
        checkpoint.consumer,
        topics,
        partitions,
        [m.last for m in marks],
    )
    for r in written:
        if (r["topic"], r["partition"]) not in recorded and not r["inserted"]:
            raise Fenced(
                f"{checkpoint.consumer}: {r['topic']}[{r['partition']}] was first recorded by"
                " another worker while this batch was applied"
            )


async def _insert_outbox(
    conn: asyncpg.Connection, outbox: Sequence[OutboxEvent]
) -> list[PendingEvent]:
    if not outbox:
        return []
    ids = await conn.fetch(
        "INSERT INTO event_outbox (topics, key, payload)"
        " SELECT string_to_array(t, ','), k, p FROM unnest($1::text[], $2::text[], $3::bytea[])"
        " WITH ORDINALITY AS u(t, k, p, n) ORDER BY n RETURNING id",
        [",".join(e.topics) for e in outbox],
        [e.key for e in outbox],
        [e.payload for e in outbox],
    )
    # INSERT ... SELECT ... ORDER BY assigns the serial ids in that order, and RETURNING gives
    # them back in insertion order.
    return [
        PendingEvent(r["id"], e.topics, e.key, e.payload) for r, e in zip(ids, outbox, strict=True)
    ]


async def _record_positions(
    conn: asyncpg.Connection, consumer: str, positions: list[Position]
) -> None:
    latest: dict[tuple[str, int], int] = {}
    for p in positions:
        key = (p.topic, p.partition)
        latest[key] = max(latest.get(key, -1), p.offset)
    await conn.executemany(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset") VALUES ($1,$2,$3,$4)'
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()',
        [(consumer, t, p, o) for (t, p), o in latest.items()],
    )


def _columns(
    rows: Sequence[T], to_record: Callable[[T], tuple[Any, ...]], n: int
) -> list[list[Any]]:
    """Transpose rows into n column arrays for an `unnest` insert (one round trip per batch)."""
    cols: list[list[Any]] = [[] for _ in range(n)]
    for row in rows:
        for i, value in enumerate(to_record(row)):
            cols[i].append(value)
    return cols


def _decision_record(r: DecisionRow) -> tuple[Any, ...]:
    return (
        r.claim_id,
        r.kpj,
        r.participant_ref,
        r.program,
        r.event_date,
        r.submitted_at,
        r.outcome,
        "{" + ",".join(r.reasons) + "}",
        r.total,
        r.payable_by,
        r.rule_set_version,
        r.decision_json,
        r.decided_at,
        r.assessment_inputs,
    )


def _settlement_record(r: SettlementRow) -> tuple[Any, ...]:
    return (
        r.claim_id,
        r.program,
        r.amount,
        r.payable_by,
        r.rule_set_version,
        r.decision_json,
        r.complete_on,
        r.due_date,
    )


_DEAD_LETTER_SELECT = (
    'SELECT id, topic, partition, "offset", error_class, error_message, first_seen_at, consumer,'
    " sealed, key_id, value_size, value_schema, replayed_at FROM dead_letters"
)


def _stored_dead_letter(r: Any) -> StoredDeadLetter:
    return StoredDeadLetter(
        id=r["id"],
        topic=r["topic"],
        partition=r["partition"],
        offset=r["offset"],
        error_class=r["error_class"],
        error_message=r["error_message"],
        first_seen_at=r["first_seen_at"],
        consumer=r["consumer"],
        sealed=None if r["sealed"] is None else bytes(r["sealed"]),
        key_id=r["key_id"],
        value_size=r["value_size"],
        value_schema=r["value_schema"],
        replayed_at=r["replayed_at"],
    )


def _latest_per_kpj(rows: Sequence[ParticipantRow]) -> list[ParticipantRow]:
    latest: dict[str, ParticipantRow] = {}
    for r in rows:
        seen = latest.get(r.kpj)
        if seen is None or r.position.offset >= seen.position.offset:
            latest[r.kpj] = r
    return list(latest.values())


_PARTICIPANT_COLUMNS = [
    "kpj",
    "participant_ref",
    "category",
    "birth_date",
    "employer_npp",
    "sponsor_id",
    "work_unit",
    "batch_id",
    "enrolled_on",
    "declared_wage",
    "jkk_risk_class",
    "ended_on",
    "end_reason",
    "coverage",
    "source_partition",
    "source_offset",
]


def _participant_record(r: ParticipantRow) -> tuple[Any, ...]:
    return (
        r.kpj,
        r.participant_ref,
        r.category,
        r.birth_date,
        r.employer_npp,
        r.sponsor_id,
        r.work_unit,
        r.batch_id,
        r.enrolled_on,
        r.declared_wage,
        r.jkk_risk_class,
        r.ended_on,
        r.end_reason,
        r.coverage_json,
        r.position.partition,
        r.position.offset,
    )


# Built from a fixed column list in this module, never from input: no injection vector.
_UPSERT_PARTICIPANTS = (
    "INSERT INTO participants ("  # noqa: S608
    + ", ".join(_PARTICIPANT_COLUMNS)
    + ") SELECT "
    + ", ".join(_PARTICIPANT_COLUMNS)
    + " FROM participants_in"
    " ON CONFLICT (kpj) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _PARTICIPANT_COLUMNS[1:])
    + ", updated_at = now() WHERE participants.source_offset < EXCLUDED.source_offset"
    " OR participants.source_partition <> EXCLUDED.source_partition"
)
