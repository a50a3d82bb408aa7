"""The least-privilege PostgreSQL roles against the real database (README: PostgreSQL roles).

Each test works in a schema of its own, migrated by the owner (DATABASE_URL), then connects as
the local stack's restricted roles: claims_worker (WORKER_DATABASE_URL), claims_reader
(READER_DATABASE_URL) and claims_importer (IMPORT_DATABASE_URL). What each may do is what
migration 0005_roles.sql grants; every statement refused here is refused by PostgreSQL itself.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.adapters.postgres import PostgresStore, connect_store, migrations
from services.config import load_settings
from services.errors import MissingPrivilege, SchemaBehind
from services.sealing import DEMO_PUBLIC_KEY
from tests.conftest import REPO, Stack, with_schema

pytestmark = pytest.mark.integration

KEY = "roles-test-key-0123456789"
ROLE_USERS = {"worker": "claims_worker", "reader": "claims_reader", "importer": "claims_importer"}


@dataclass(frozen=True)
class Schema:
    name: str
    owner: str  # DSNs on this schema
    worker: str
    reader: str
    importer: str


@pytest.fixture(scope="module")
def roles(stack: Stack) -> Stack:
    """The restricted roles exist (the local stack creates them; on your own PostgreSQL export
    the three role URLs), or these tests are skipped."""
    if not {"WORKER_DATABASE_URL", "READER_DATABASE_URL", "IMPORT_DATABASE_URL"} <= set(
        stack.roles
    ):
        pytest.skip("no restricted roles: export WORKER/READER/IMPORT_DATABASE_URL")
    return stack


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _make_schema(roles: Stack) -> Schema:
    """A schema of its own, migrated by the owner (which grants the roles their privileges)."""
    name = f"roles_{uuid.uuid4().hex[:8]}"
    await _execute(roles.database_url, f"CREATE SCHEMA {name}")
    owner = await PostgresStore.connect(with_schema(roles.database_url, name), size=1)
    try:
        await owner.migrate()
    finally:
        await owner.close()
    return Schema(
        name,
        with_schema(roles.database_url, name),
        with_schema(roles.worker_url, name),
        with_schema(roles.reader_url, name),
        with_schema(roles.import_url, name),
    )


@pytest.fixture
async def schema(roles: Stack) -> AsyncIterator[Schema]:
    made = await _make_schema(roles)
    try:
        yield made
    finally:
        await _execute(roles.database_url, f"DROP SCHEMA {made.name} CASCADE")


@pytest.fixture
def schema_sync(roles: Stack) -> Iterator[Schema]:
    """`schema` for the tests that run `claims` as a subprocess (no event loop of their own)."""
    made = asyncio.run(_make_schema(roles))
    try:
        yield made
    finally:
        asyncio.run(_execute(roles.database_url, f"DROP SCHEMA {made.name} CASCADE"))


async def refused(url: str, sql: str) -> str:
    """PostgreSQL refuses `sql` for lack of a privilege (not for any other reason)."""
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError) as e:
            await conn.execute(sql)
        return str(e.value)
    finally:
        await conn.close()


async def allowed(url: str, sql: str) -> None:
    """`sql` runs (rolled back: the tests leave no rows behind)."""
    conn = await asyncpg.connect(url)
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(sql)
        finally:
            await tx.rollback()
    finally:
        await conn.close()


PARTICIPANT = (
    "INSERT INTO participants (kpj, participant_ref, category, birth_date, enrolled_on,"
    " declared_wage, coverage, source_partition, source_offset) VALUES ('K1', 'ref-1', 'PU',"
    " '1990-01-01', '2020-01-01', 5000000, '{}', 0, 0)"
)
TABLES = (
    "participants",
    "sponsor_fundings",
    "enrollment_batches",
    "claims",
    "settlements",
    "payment_outbox",
    "payment_results",
    "dead_letters",
    "processed_offsets",
    "event_outbox",
    "account_corrections",
)


# -- the worker: DML on its tables, never DDL -----------------------------------------------------


@pytest.mark.parametrize(
    "ddl",
    [
        "DROP TABLE participants",
        "DROP TABLE settlements CASCADE",
        "ALTER TABLE claims ADD COLUMN note text",
        "ALTER TABLE settlements DROP CONSTRAINT settlements_amount_check",
        "TRUNCATE participants",
        "TRUNCATE processed_offsets",
        "CREATE TABLE worker_made (id int)",
        "CREATE INDEX worker_idx ON claims (kpj)",
        "DROP FUNCTION apply_role_grants()",
        "DELETE FROM schema_migrations",
        "UPDATE role_grants SET privileges = 'ALL'",
        "DELETE FROM claims",
        "UPDATE claims SET total = 0",
        "DELETE FROM settlements",
    ],
)
async def test_the_worker_role_cannot_change_the_schema_or_erase_history(
    schema: Schema, ddl: str
) -> None:
    # DELETE/UPDATE of decided claims and DELETE of settlements are not the worker's either:
    # claims are inserted once, settlements only move from PENDING to PAID/FAILED.
    message = await refused(schema.worker, ddl)
    assert "must be owner" in message or "permission denied" in message


async def test_the_worker_role_cannot_migrate(schema: Schema) -> None:
    store = await PostgresStore.connect(schema.worker, size=1)
    try:
        with pytest.raises(MissingPrivilege, match="permission denied"):
            await store.migrate()
        with pytest.raises(MissingPrivilege):
            await store.drop_all()
    finally:
        await store.close()


async def test_the_worker_role_has_the_dml_a_batch_needs(schema: Schema) -> None:
    # A batch's statements, one by one (the store contract and the e2e and fault tiers run the
    # whole worker as this role).
    await allowed(
        schema.worker,
        "CREATE TEMP TABLE IF NOT EXISTS participants_in (LIKE participants INCLUDING DEFAULTS)"
        " ON COMMIT DELETE ROWS",
    )
    await allowed(schema.worker, PARTICIPANT)
    await allowed(schema.worker, f"{PARTICIPANT} ON CONFLICT (kpj) DO UPDATE SET category = 'BPU'")
    await allowed(
        schema.worker,
        "INSERT INTO event_outbox (topics, key, payload) VALUES ('{t}', 'k', 'x');"
        " DELETE FROM event_outbox",
    )
    await allowed(
        schema.worker,
        "INSERT INTO processed_offsets VALUES ('c', 't', 0, 1);"
        " SELECT * FROM processed_offsets FOR UPDATE;"
        ' UPDATE processed_offsets SET "offset" = 2',
    )
    await allowed(
        schema.worker,
        'INSERT INTO dead_letters (topic, partition, "offset", value, error_class,'
        " error_message, first_seen_at, consumer) VALUES ('t', 0, 0, '', 'E', 'm', now(), 'c');"
        " UPDATE dead_letters SET replayed_at = now(); DELETE FROM dead_letters",
    )
    await allowed(schema.worker, "SELECT FROM settlements FOR UPDATE")
    await allowed(schema.worker, "UPDATE payment_outbox SET published_at = now()")
    # Payee corrections (#15): recorded once, never changed; instructions carry their status.
    await allowed(
        schema.worker,
        "INSERT INTO account_corrections (event_id, claim_id, occurred_at, source, reason,"
        " outcome, rejection) VALUES ('e', 'c', now(), 's', 'r', 'REJECTED', 'unknown_claim')",
    )
    await allowed(schema.worker, "UPDATE payment_outbox SET status = 'PAID' WHERE false")
    await refused(schema.worker, "UPDATE account_corrections SET outcome = 'REISSUED'")
    await refused(schema.worker, "DELETE FROM account_corrections")


async def test_a_worker_on_its_own_dsn_checks_the_schema_and_its_privileges(
    schema: Schema, roles: Stack
) -> None:
    worker = await connect_store(
        load_settings({"WORKER_DATABASE_URL": schema.worker, "NIK_HASH_KEY": KEY}), role="worker"
    )
    try:
        await worker.check_schema()  # migrated, grants complete: no error
    finally:
        await worker.close()
    empty = f"roles_empty_{uuid.uuid4().hex[:8]}"
    await _execute(roles.database_url, f"CREATE SCHEMA {empty}")
    await _execute(roles.database_url, f"GRANT USAGE ON SCHEMA {empty} TO claims_worker")
    try:
        settings = load_settings(
            {"WORKER_DATABASE_URL": with_schema(roles.worker_url, empty), "NIK_HASH_KEY": KEY}
        )
        worker = await connect_store(settings, role="worker")
        try:
            with pytest.raises(SchemaBehind, match="run `claims migrate` with DATABASE_URL") as e:
                await worker.check_schema()
            assert e.value.variable == "WORKER_DATABASE_URL"
            assert migrations()[-1][1] in str(e.value)
        finally:
            await worker.close()
    finally:
        await _execute(roles.database_url, f"DROP SCHEMA {empty} CASCADE")


async def test_a_missing_grant_is_named_with_the_variable_and_the_privilege(
    schema: Schema,
) -> None:
    await _execute(schema.owner, "REVOKE INSERT ON event_outbox FROM claims_worker")
    settings = load_settings({"WORKER_DATABASE_URL": schema.worker, "NIK_HASH_KEY": KEY})
    worker = await connect_store(settings, role="worker")
    try:
        with pytest.raises(MissingPrivilege) as e:
            await worker.check_schema()
    finally:
        await worker.close()
    message = str(e.value)
    assert e.value.variable == "WORKER_DATABASE_URL"
    assert "WORKER_DATABASE_URL connects as 'claims_worker'" in message
    assert "missing INSERT on event_outbox" in message
    assert "claims-worker" not in message  # the password
    # The owner's next `claims migrate` puts the grant back.
    owner = await PostgresStore.connect(schema.owner, size=1)
    try:
        assert await owner.migrate() == []
    finally:
        await owner.close()
    worker = await connect_store(settings, role="worker")
    try:
        await worker.check_schema()
    finally:
        await worker.close()


# -- the reader: SELECT only ------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
async def test_the_read_only_role_reads_every_table_and_writes_none(
    schema: Schema, table: str
) -> None:
    await allowed(schema.reader, f"SELECT * FROM {table}")
    await refused(schema.reader, f"DELETE FROM {table}")
    await refused(schema.reader, f"UPDATE {table} SET {await first_column(schema, table)} = NULL")
    await refused(schema.reader, f"TRUNCATE {table}")


async def first_column(schema: Schema, table: str) -> str:
    conn = await asyncpg.connect(schema.owner)
    try:
        name: str = await conn.fetchval(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
            " AND table_name = $2 ORDER BY ordinal_position LIMIT 1",
            schema.name,
            table,
        )
        return name
    finally:
        await conn.close()


async def test_the_read_only_role_cannot_insert_or_create(schema: Schema, stack: Stack) -> None:
    await refused(schema.reader, PARTICIPANT)
    await refused(
        schema.reader, "INSERT INTO event_outbox (topics, key, payload) VALUES ('{t}', 'k', 'x')"
    )
    await refused(schema.reader, "CREATE TABLE reader_made (id int)")
    if stack.local:  # the local stack takes TEMPORARY from PUBLIC: only the worker has it
        await refused(schema.reader, "CREATE TEMP TABLE reader_tmp (id int)")


async def test_the_reader_store_serves_status_and_summary_and_refuses_a_write(
    schema: Schema,
) -> None:
    settings = load_settings({"READER_DATABASE_URL": schema.reader, "NIK_HASH_KEY": KEY})
    store = await connect_store(settings, role="reader")
    try:
        assert await store.claim_status("nobody") is None
        assert "participants" in await store.run_summary()
        await store.check_schema()
        with pytest.raises(MissingPrivilege, match="READER_DATABASE_URL connects as") as e:
            await store.events_published([1])  # a worker's DELETE
        assert e.value.variable == "READER_DATABASE_URL"
        assert "SELECT on every table" in str(e.value)
    finally:
        await store.close()


# -- the importer: reads participants, writes nothing ----------------------------------------


async def test_the_import_role_reads_participants_and_nothing_else(schema: Schema) -> None:
    await _execute(schema.owner, PARTICIPANT)
    settings = load_settings({"IMPORT_DATABASE_URL": schema.importer, "NIK_HASH_KEY": KEY})
    store = await connect_store(settings, role="importer")
    try:
        assert await store.enrolled(["K1"], []) == [("K1", "ref-1", None)]
        assert await store.enrolled([], ["ref-1"]) == [("K1", "ref-1", None)]
        await store.check_schema()
    finally:
        await store.close()
    await refused(schema.importer, PARTICIPANT.replace("'K1'", "'K2'"))
    await refused(schema.importer, "UPDATE participants SET category = 'BPU'")
    await refused(schema.importer, "DELETE FROM participants")
    for table in TABLES[1:]:
        await refused(schema.importer, f"SELECT * FROM {table}")


# -- the grants: one table, every table, roles or none ----------------------------------------


async def test_every_table_the_migrations_make_has_its_grants(schema: Schema) -> None:
    conn = await asyncpg.connect(schema.owner)
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema.name
            )
        }
        views = {
            r["viewname"]
            for r in await conn.fetch(
                "SELECT viewname FROM pg_views WHERE schemaname = $1", schema.name
            )
        }
        read = {r["relation"] for r in await conn.fetch(
            "SELECT relation FROM role_grants WHERE grantee = 'claims_reader'")}  # fmt: skip
        worker = {r["relation"] for r in await conn.fetch(
            "SELECT relation FROM role_grants WHERE grantee = 'claims_worker'")}  # fmt: skip
    finally:
        await conn.close()
    # A table a later migration adds without role_grants rows would be unreadable to the
    # reader and the worker: this fails first.
    assert tables | views == read  # the reader reads every view too (contribution_checks)
    assert tables <= worker


async def test_grants_skip_roles_that_do_not_exist(schema: Schema) -> None:
    # A user's own PostgreSQL without some (or all) of the roles: the migration still applies,
    # and grants to the roles that exist.
    conn = await asyncpg.connect(schema.owner)
    try:
        await conn.execute("ALTER TABLE role_grants DROP CONSTRAINT role_grants_grantee_check")
        await conn.execute(
            "INSERT INTO role_grants VALUES ('claims_no_such_role', 'claims', 'TABLE', 'SELECT')"
        )
        granted = await conn.fetchval("SELECT apply_role_grants()")
    finally:
        await conn.close()
    assert sorted(granted) == ["claims_importer", "claims_reader", "claims_worker"]


async def test_grants_are_exact_after_every_migrate(schema: Schema) -> None:
    # Anything granted by hand beyond role_grants is taken back by the next `claims migrate`.
    await _execute(schema.owner, "GRANT ALL ON claims TO claims_reader")
    await allowed(schema.reader, "DELETE FROM claims")
    owner = await PostgresStore.connect(schema.owner, size=1)
    try:
        await owner.migrate()
    finally:
        await owner.close()
    await refused(schema.reader, "DELETE FROM claims")


# -- the commands, each as its role ------------------------------------------------------------


def claims_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    base = {k: v for k, v in os.environ.items() if k in keep}
    return subprocess.run(
        [sys.executable, "-m", "claims.cli", *args],
        env=base
        | {
            "NIK_HASH_KEY": KEY,
            "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY,
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        }
        | env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_claims_status_with_a_role_lacking_select_says_which_variable(
    schema_sync: Schema,
) -> None:
    # The importer's DSN given to `claims status`: one line, the variable, the user, the table.
    done = claims_cli(
        ["status", "CLM-1"],
        {"DATABASE_URL": schema_sync.owner, "READER_DATABASE_URL": schema_sync.importer},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "READER_DATABASE_URL connects as 'claims_importer'" in lines[0]
    assert "permission denied for table" in lines[0]
    password = urlsplit(schema_sync.importer).password
    assert password and password not in lines[0]


def test_claims_status_as_the_reader_answers(schema_sync: Schema) -> None:
    done = claims_cli(
        ["status", "CLM-1"],
        {"DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none", "READER_DATABASE_URL":
         schema_sync.reader},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr  # not found, read with the reader's DSN alone


def test_the_worker_role_is_not_a_superuser_nor_may_create_roles(roles: Stack) -> None:
    async def attributes() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(roles.database_url)
        try:
            return list(
                await conn.fetch(
                    "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
                    " FROM pg_roles WHERE rolname = ANY($1::text[])",
                    list(ROLE_USERS.values()),
                )
            )
        finally:
            await conn.close()

    rows = asyncio.run(attributes())
    assert {r["rolname"] for r in rows} == set(ROLE_USERS.values())
    for r in rows:
        assert not (r["rolsuper"] or r["rolcreaterole"] or r["rolcreatedb"] or r["rolbypassrls"])


def test_claims_worker_on_an_unmigrated_schema_refuses_in_one_line(roles: Stack) -> None:
    # WORKER_DATABASE_URL given, the worker does not migrate: on a schema `claims migrate` has
    # not prepared it stops before consuming, naming the variable and what to run.
    from streams.kafka.admin import delete_service_topics

    run = uuid.uuid4().hex[:8]
    empty = f"roles_worker_{run}"
    asyncio.run(_execute(roles.database_url, f"CREATE SCHEMA {empty}"))
    asyncio.run(_execute(roles.database_url, f"GRANT USAGE ON SCHEMA {empty} TO claims_worker"))
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": roles.kafka_bootstrap,
        "DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none",  # never used by the worker
        "WORKER_DATABASE_URL": with_schema(roles.worker_url, empty),
        "TOPIC_PREFIX": f"r{run}.",
        "CLAIMS_APP_ID": f"r-{run}",
    }
    try:
        done = claims_cli(["worker"], env)
    finally:
        delete_service_topics(load_settings({**env, "NIK_HASH_KEY": KEY}))
        asyncio.run(_execute(roles.database_url, f"DROP SCHEMA {empty} CASCADE"))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("claims worker: PostgreSQL at 127.0.0.1:")
    assert "the schema WORKER_DATABASE_URL points at is at migration none" in lines[0]
    assert "run `claims migrate` with DATABASE_URL (the owner) first" in lines[0]
