"""PostgreSQL adapter: versioned migrations and idempotent, batched writes of the settled state.

`connect_store(settings)` is how every process gets its store (the worker's Resources, each
`claims` command). The reads are named queries (queries.py), the dead-letter table has its own
part (dead_letter_store.py), the SQL of the writes and their row conversions are in pg_rows.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources

import asyncpg

from services.adapters.dead_letter_store import DeadLetterStore
from services.adapters.payment_results import PaymentResults
from services.adapters.pensions import Pensions, insert_pensions
from services.adapters.pg_base import SERVER_SETTINGS, Login, _guard, missing_privilege
from services.adapters.pg_rows import (
    _INSERT_DECISIONS,
    _INSERT_FUNDING,
    _advance,
    _columns,
    _decision_record,
    _funding_record,
    _insert_outbox,
    _latest_per_kpj,
    _record_positions,
    _settlement_record,
    _upsert_participants,
    _write_employer,
)
from services.adapters.queries import Queries
from services.adapters.scholarships import insert_scholarships
from services.app.ports import EmployerAccountReads, WorkerStore
from services.app.records import (
    NO_EMPLOYER_EFFECTS,
    BatchMarkerRow,
    Checkpoint,
    DecisionRow,
    EmployerEffects,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
    SettlementRow,
    SponsorFundingRow,
)
from services.config import ROLES, Settings
from services.errors import SchemaBehind

log = logging.getLogger(__name__)

# The role of migration 0005_roles.sql each restricted role's DSN should log in as (or be a
# member of); the owner is whoever runs the migrations.
GRANTEES = {"worker": "claims_worker", "reader": "claims_reader", "importer": "claims_importer"}

# Two processes migrating at once must not both apply a file: they serialise on this lock.
_MIGRATION_LOCK = 815_2016


def migrations() -> list[tuple[int, str, str]]:
    """The bundled .sql files as (version, name, sql), in version order."""
    folder = resources.files("services.adapters") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class PostgresStore(Queries, DeadLetterStore, PaymentResults, Pensions):
    """The settled state. Every write is idempotent, so a replayed message changes nothing."""

    @classmethod
    async def connect(cls, dsn: str, *, size: int = 4, login: Login | None = None) -> PostgresStore:
        pool = await _guard(
            "connect",
            asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=size,
                command_timeout=60,
                server_settings=SERVER_SETTINGS,
            ),
            login,
        )
        return cls(pool, login)

    async def close(self) -> None:
        await self._pool.close()

    async def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded in schema_migrations; return the names applied."""
        return await self._guard("migrate", self._migrate())

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
            # Every run, not only when a file was applied: roles created after the schema
            # (your own PostgreSQL) get their grants from the next `claims migrate`.
            granted = await conn.fetchval("SELECT apply_role_grants()")
            log.debug("role grants applied to %s", ", ".join(granted) or "no role (none exists)")
        return applied

    async def check_schema(self) -> None:
        """Refuse a schema older than this code's migrations, or privileges this role lacks
        (a worker that does not migrate checks both at start): SchemaBehind or MissingPrivilege,
        naming the variable."""
        await self._guard("check_schema", self._check_schema())

    async def _check_schema(self) -> None:
        latest, name = migrations()[-1][:2]
        var = self.login.variable
        async with self._pool.acquire() as conn:
            try:
                at = await conn.fetchval("SELECT max(version) FROM schema_migrations")
            except asyncpg.exceptions.UndefinedTableError:
                at = None
            if at is None or at < latest:
                error = SchemaBehind(
                    f"the schema {var} points at is at migration {at or 'none'}, this code needs"
                    f" {name}: run `claims migrate` with DATABASE_URL (the owner) first;"
                    f" {var} ({self.login.role}) may not migrate"
                )
                error.variable = var
                raise error
            grantee = GRANTEES.get(self.login.role)
            if grantee is None:
                return
            missing = await conn.fetch(_MISSING_PRIVILEGES, grantee)
        if missing:
            lacking = ", ".join(f"{r['privilege']} on {r['relation']}" for r in missing)
            raise missing_privilege("check_schema", f"missing {lacking}", self.login)

    async def drop_all(self) -> None:
        """Drop every table the migrations created (for a fresh local run; never in production)."""
        await self._guard(
            "drop_all",
            self._pool.execute(
                "DROP TABLE IF EXISTS processed_offsets, dead_letters, payment_results,"
                " account_corrections, event_outbox, payment_outbox, settlements, claims,"
                " enrollment_batches, sponsor_fundings, participants, contribution_postings,"
                " employer_obligations, pension_changes, payroll_runs, pensions,"
                " scholarship_changes, scholarships,"
                " schema_migrations, role_grants CASCADE;"
                " DROP FUNCTION IF EXISTS apply_role_grants()"
            ),
        )

    async def save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        """Upsert coverage snapshots; an older position never overwrites a newer one."""
        if rows:
            await self._guard("save_participants", self._save_participants(_latest_per_kpj(rows)))

    async def _save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        async with self._tx() as conn:
            await _upsert_participants(conn, rows)

    async def record_decisions(self, rows: Sequence[DecisionRow]) -> int:
        """Insert decisions once; a replayed decision is ignored. Returns the number new."""
        if not rows:
            return 0
        return await self._guard("record_decisions", self._record_decisions(rows))

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
        return await self._guard("settle", self._settle(consumer, rows, checkpoint))

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
            # An employer-first claim settles without an instruction: the employer pays it,
            # and its reimbursement is issued later (services/app/employer_accounts.py).
            paying = [r for r in fresh if r.instruction_payload is not None]
            if paying:
                await conn.executemany(
                    "INSERT INTO payment_outbox (instruction_id, claim_id, idempotency_key,"
                    " payload, program, amount, due_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [
                        (
                            r.instruction_id,
                            r.claim_id,
                            r.idempotency_key,
                            r.instruction_payload,
                            r.program,
                            r.first_amount,
                            r.due_date,
                        )
                        for r in paying
                    ],
                )
            await insert_pensions(conn, [r.pension for r in fresh if r.pension is not None])
            await insert_scholarships(
                conn,
                [g for r in fresh for g in r.scholarships],
                [y for r in fresh for y in r.scholarship_years],
            )
            if checkpoint is None:
                await _record_positions(conn, consumer, positions)
            return [r.claim_id for r in fresh]

    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects = NO_EMPLOYER_EFFECTS,
    ) -> list[PendingEvent]:
        """One participant-events batch in one transaction: the state upserts, the decided
        claims, the employer side (contribution checks, obligations, reimbursements), the
        records to publish and the consumed positions (fenced). Returns the outbox rows
        written, for the worker to publish straight away."""
        return await self._guard(
            "commit_participants",
            self._commit_participants(checkpoint, rows, decisions, outbox, employer),
        )

    async def _commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects,
    ) -> list[PendingEvent]:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
            if rows:
                await _upsert_participants(conn, _latest_per_kpj(rows))
            if decisions:
                await conn.execute(_INSERT_DECISIONS, *_columns(decisions, _decision_record, 14))
            if employer:
                await _write_employer(conn, employer)
            return await _insert_outbox(conn, outbox)

    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        """A sponsor-events batch: funded periods, batch markers and positions, in one go."""
        await self._guard("commit_sponsors", self._commit_sponsors(checkpoint, fundings, markers))

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
        await self._guard("advance", self._advance_alone(checkpoint))

    async def _advance_alone(self, checkpoint: Checkpoint) -> None:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)

    async def events_published(self, ids: Sequence[int]) -> None:
        """The broker has these outbox records: they are done."""
        if ids:
            await self._guard(
                "events_published",
                self._pool.execute(
                    "DELETE FROM event_outbox WHERE id = ANY($1::bigint[])", list(ids)
                ),
            )

    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None:
        """Record (instruction_id, partition, offset) for instructions the broker acknowledged."""
        if published:
            await self._guard(
                "mark_published",
                self._pool.executemany(
                    "UPDATE payment_outbox SET published_at = now(), kafka_partition = $2,"
                    " kafka_offset = $3 WHERE instruction_id = $1 AND published_at IS NULL",
                    published,
                ),
            )


async def connect_store(
    settings: Settings, *, role: str = "owner", size: int | None = None
) -> PostgresStore:
    """The store as `role` (README "PostgreSQL roles"): "owner" at DATABASE_URL (migrations,
    `claims run --fresh`), "worker" at WORKER_DATABASE_URL, "reader" at READER_DATABASE_URL,
    "importer" at IMPORT_DATABASE_URL, each falling back to DATABASE_URL when unset. `size`
    connections (a worker passes DB_POOL_SIZE; a command has one, it asks one thing at a time).
    A refused privilege later names the variable (services.errors.MissingPrivilege)."""
    if role not in ROLES:
        raise ValueError(f"unknown PostgreSQL role {role!r}: expected one of {', '.join(ROLES)}")
    dsn = settings.dsn_for(role)
    login = Login.of(role, settings.dsn_variable(role), dsn)
    return await PostgresStore.connect(dsn, size=1 if size is None else size, login=login)


# The privileges role_grants lists for a grantee that the current user does not hold (directly
# or through a role it is a member of), and TEMPORARY on the database for the worker.
_MISSING_PRIVILEGES = """
SELECT g.relation, p.privilege
  FROM role_grants g, unnest(string_to_array(replace(g.privileges, ' ', ''), ',')) AS p(privilege)
 WHERE g.grantee = $1
   AND NOT CASE g.kind
       WHEN 'SEQUENCE' THEN has_sequence_privilege(g.relation, p.privilege)
       ELSE has_table_privilege(g.relation, p.privilege) END
UNION ALL
SELECT 'database ' || current_database(), 'TEMPORARY'
 WHERE $1 = 'claims_worker' AND NOT has_database_privilege(current_database(), 'TEMPORARY')
ORDER BY 1, 2
"""


def _implements_the_port(store: PostgresStore) -> WorkerStore:
    return store  # mypy checks here that PostgresStore has every method of WorkerStore


def _reads_employer_accounts(store: PostgresStore) -> EmployerAccountReads:
    return store  # and here that it answers `claims employer`
