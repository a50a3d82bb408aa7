"""PostgreSQL adapter: versioned migrations and idempotent, batched writes of the settled state.

`connect_store(settings)` is how every process gets its store (the worker's Resources, each
`claims` command). PostgresStore composes one part per port: positions.py, participants.py,
sponsors.py, settlements.py, payment_results.py, pensions.py, dead_letter_store.py,
outboxes.py, gauges.py, employer_accounts.py, and the tools' reads in queries.py.
"""

from __future__ import annotations

import logging
from importlib import resources

import asyncpg

from services.adapters.dead_letter_store import DeadLetterStore
from services.adapters.employer_accounts import EmployerAccountStore
from services.adapters.gauges import GaugeReads
from services.adapters.outboxes import OutboxStore
from services.adapters.participants import Participants
from services.adapters.payment_results import PaymentResults
from services.adapters.pensions import Pensions
from services.adapters.pg_base import SERVER_SETTINGS, Login, _guard, missing_privilege
from services.adapters.positions import Positions
from services.adapters.queries import Queries
from services.adapters.settlements import Settlements
from services.adapters.sponsors import Sponsors
from services.app.ports import EmployerAccountReads, WorkerStore
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


class PostgresStore(
    Positions,
    Participants,
    Sponsors,
    Settlements,
    PaymentResults,
    Pensions,
    DeadLetterStore,
    OutboxStore,
    GaugeReads,
    EmployerAccountStore,
    Queries,
):
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
