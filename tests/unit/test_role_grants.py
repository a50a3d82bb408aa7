"""The grants of migration 0005_roles.sql against the SQL the adapters run, read statically.

The integration tier proves on real PostgreSQL what each role may do; these catch earlier a table
a migration adds without grants, or a write the worker's code makes that its grants lack.
"""

from __future__ import annotations

import re
from pathlib import Path

from services.adapters.postgres import GRANTEES, migrations

REPO = Path(__file__).resolve().parents[2]
ADAPTERS = REPO / "services" / "adapters"
# What the worker process runs (the reader and importer use queries.py's reads only).
WORKER_SQL = (
    "postgres.py",
    "positions.py",
    "participants.py",
    "sponsors.py",
    "employer_accounts.py",
    "settlements.py",
    "outboxes.py",
    "payment_results.py",
    "dead_letter_store.py",
    "pensions.py",
    "scholarships.py",
    "gauges.py",
)


def grants() -> dict[tuple[str, str], set[str]]:
    """(grantee, relation) -> privileges, as the INSERT INTO role_grants rows say."""
    sql = "\n".join(text for _, _, text in migrations())  # 0005_roles.sql and the later ones
    rows = re.findall(r"\('(claims_\w+)',\s*'(\w+)',\s*'(TABLE|SEQUENCE)',\s*'([A-Z, ]+)'\)", sql)
    return {(g, rel): {p.strip() for p in privs.split(",")} for g, rel, _, privs in rows}


def tables() -> set[str]:
    made = {"schema_migrations"}  # created by PostgresStore.migrate itself
    for _, _, sql in migrations():
        made |= set(re.findall(r"CREATE TABLE (\w+)", sql))
    return made


def test_the_grantees_are_the_roles_the_code_and_the_stack_name() -> None:
    assert {g for g, _ in grants()} == set(GRANTEES.values())
    roles_sql = (REPO / "deploy" / "postgres" / "roles.sql").read_text()
    for role in GRANTEES.values():
        assert f"CREATE ROLE {role}" in roles_sql


def test_every_table_is_readable_by_the_reader_and_listed_for_the_worker() -> None:
    g = grants()
    for table in tables():
        assert g.get(("claims_reader", table)) == {"SELECT"}, table
        assert "SELECT" in g.get(("claims_worker", table), set()), table


def test_the_reader_and_the_importer_only_read() -> None:
    for (grantee, relation), privileges in grants().items():
        if grantee != "claims_worker":
            assert privileges == {"SELECT"}, (grantee, relation)
    importer = {rel for g, rel in grants() if g == "claims_importer"}
    assert importer == {"participants", "schema_migrations", "role_grants"}


def test_every_write_of_the_worker_s_code_has_its_grant() -> None:
    g = grants()
    verbs = {"INSERT INTO": "INSERT", "UPDATE": "UPDATE", "DELETE FROM": "DELETE"}
    seen = set()
    for name in WORKER_SQL:
        code = (ADAPTERS / name).read_text()
        for verb, privilege in verbs.items():
            for table in re.findall(rf'"{verb} (\w+)|\s{verb} (\w+)', code):
                table = next(t for t in table if t)
                if table in ("schema_migrations", "SET") or table.endswith("_in"):
                    # the owner's migration bookkeeping; ON CONFLICT DO UPDATE SET (checked
                    # below); the worker's TEMP table
                    continue
                seen.add((table, privilege))
                assert privilege in g.get(("claims_worker", table), set()), (name, table)
    # The scan found the writes (a regex gone blind would pass vacuously).
    assert {("settlements", "UPDATE"), ("event_outbox", "DELETE"), ("claims", "INSERT")} <= seen
    # Upserts (ON CONFLICT DO UPDATE) and row locks (FOR UPDATE) need UPDATE too.
    for table in ("participants", "processed_offsets", "settlements", "dead_letters"):
        assert "UPDATE" in g[("claims_worker", table)]


def test_the_worker_may_not_delete_decisions_or_settlements() -> None:
    g = grants()
    for table in ("claims", "settlements", "participants", "payment_outbox", "processed_offsets"):
        assert "DELETE" not in g[("claims_worker", table)], table
    assert g[("claims_worker", "claims")] == {"SELECT", "INSERT"}
    for privileges in g.values():
        assert not privileges & {"TRUNCATE", "REFERENCES", "TRIGGER", "ALL"}


def test_a_fresh_run_drops_every_table_the_migrations_create() -> None:
    """`claims run --fresh` (PostgresStore.drop_all): a table it forgets makes the next
    migration fail with "relation already exists"."""
    import inspect

    from services.adapters.postgres import PostgresStore

    source = inspect.getsource(PostgresStore.drop_all)
    dropped = set(re.findall(r"\b([a-z_]+)\b", source.split("DROP TABLE IF EXISTS", 1)[1]))
    assert tables() <= dropped
