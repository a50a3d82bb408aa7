"""Secrets never leak: a whole `claims run` (workers, replay, payments, summary) with a known
value for every secret, then every byte it wrote (its stdout and stderr, each worker's log) is
searched for each of them. The clear NIKs are searched for elsewhere (tests/faults/
test_privacy.py and tests/e2e/test_claims_pipeline.py).

The database password is a real one: a role created for this test (over the local stack's
socket, as its superuser) owns the run's schema, so the run could not have worked without it
(without that socket, the stack's own DSN, and its short password is not searched for).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.sealing import keygen
from tests.workers import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

RUN_ID = uuid.uuid4().hex[:8]
ROLE = f"leak_{RUN_ID}"
SCHEMA = f"leak_{RUN_ID}"
PUBLIC_KEY, PRIVATE_KEY = keygen()
SECRETS = {
    "DATABASE_URL password": f"pg-password-{RUN_ID}-never-shown",
    "NIK_HASH_KEY": f"nik-hash-key-{RUN_ID}-never-shown",
    "DEAD_LETTER_PRIVATE_KEYS": PRIVATE_KEY,
    "STATUS_TOKEN": f"status-token-{RUN_ID}-never-shown",
    "METRICS_TOKEN": f"metrics-token-{RUN_ID}-never-shown",
    # Not read by the service yet (issue #16 item 2); named like a secret, so redacted anyway.
    "KAFKA_SASL_PASSWORD": f"sasl-password-{RUN_ID}-never-shown",
}


def superuser(database_url: str) -> dict[str, Any] | None:
    """asyncpg.connect arguments for the local stack's superuser over its socket (trust), or
    None where that socket is not ours to use."""
    port = urlsplit(database_url).port or 5432
    socket = Path(os.environ.get("LOCAL_PG_DIR", f"/var/tmp/bpjs-claims-pg-{port}"))
    if not (socket / f".s.PGSQL.{port}").exists():
        return None
    database = urlsplit(database_url).path.lstrip("/") or "claims"
    return {"host": str(socket), "port": port, "user": "postgres", "database": database}


async def sql(connect: dict[str, Any] | str, *statements: str) -> None:
    conn = await (
        asyncpg.connect(connect) if isinstance(connect, str) else asyncpg.connect(**connect)
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def secret_dsn(stack: Any) -> Iterator[str]:
    """A DSN whose password is SECRETS' (a role made for this test, owning the run's schema);
    without the local stack's socket, the stack's own DSN, whose password is then not searched
    for (`claims` is a word of every log line; it is too short to be redacted alone)."""
    connect = superuser(stack.database_url) if stack.local else None
    url = urlsplit(stack.database_url)
    if connect is None:
        asyncio.run(sql(stack.database_url, f"CREATE SCHEMA {SCHEMA}"))
        del SECRETS["DATABASE_URL password"]
        try:
            yield f"{stack.database_url}?search_path={SCHEMA}"
        finally:
            asyncio.run(sql(stack.database_url, f"DROP SCHEMA {SCHEMA} CASCADE"))
        return
    password = SECRETS["DATABASE_URL password"]
    asyncio.run(
        sql(
            connect,
            f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'",
            f"CREATE SCHEMA {SCHEMA} AUTHORIZATION {ROLE}",
        )
    )
    try:
        yield (
            f"postgresql://{ROLE}:{password}@{url.hostname}:{url.port}{url.path}"
            f"?search_path={SCHEMA}"
        )
    finally:
        asyncio.run(
            sql(
                connect,
                # A worker's session may outlive it by a moment (its temporary table with it).
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{ROLE}'",
                f"DROP SCHEMA {SCHEMA} CASCADE",
                f"DROP OWNED BY {ROLE}",
                f"DROP ROLE {ROLE}",
            )
        )


def test_a_whole_run_writes_no_secret_anywhere(stack: Any, secret_dsn: str, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL", "RULES_OVERRIDES_FILE")},
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "DATABASE_URL": secret_dsn,
        "NIK_HASH_KEY": SECRETS["NIK_HASH_KEY"],
        "DEAD_LETTER_PUBLIC_KEY": PUBLIC_KEY,
        "DEAD_LETTER_PRIVATE_KEYS": PRIVATE_KEY,  # the parent holds it; run keeps it from workers
        "STATUS_TOKEN": SECRETS["STATUS_TOKEN"],
        "METRICS_TOKEN": SECRETS["METRICS_TOKEN"],
        "KAFKA_SASL_PASSWORD": SECRETS["KAFKA_SASL_PASSWORD"],
        "WEB_HOST": "0.0.0.0",  # beyond loopback: the tokens are in use
        "WEB_PORT": str(free_port()),
        "TOPIC_PREFIX": f"leak{RUN_ID}.",
        "CLAIMS_APP_ID": f"leak-{RUN_ID}",
        "CLAIMS_DATA_DIR": str(tmp_path / "faust"),
        "DEBUG_BATCHES": "true",  # more lines to search
    }
    run = subprocess.run(
        # One worker: two race at their first rebalance (streams/delivery/positions.py `watch`
        # asks aiokafka the high-water mark of a partition just revoked), a flake of its own.
        [sys.executable, "-m", "claims.cli", "run", "--scale", "0.002", "--workers", "1"],
        env=env,
        cwd=tmp_path,  # the workers' logs: tmp_path/.local/worker-*.log
        capture_output=True,
        timeout=600,
        check=False,
    )
    logs = sorted((tmp_path / ".local").glob("worker-*.log"))
    output = {"stdout": run.stdout, "stderr": run.stderr} | {p.name: p.read_bytes() for p in logs}
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:] + "\n".join(
        p.read_text(errors="replace")[-3000:] for p in logs
    )
    assert len(logs) == 1 and all(p.stat().st_size > 0 for p in logs)
    assert b"== Sent to Kafka ==" in run.stdout  # the summary: the run went to its end
    assert b"PostgreSQL 127.0.0.1:" in run.stdout  # the database named, by host only

    found = {
        (where, name)
        for where, blob in output.items()
        for name, secret in SECRETS.items()
        if secret.encode() in blob
    }
    assert found == set()
    # The run used the database the secret DSN names: its role's schema holds the claims.
    rows = asyncio.run(count_decisions(secret_dsn))
    assert rows > 0


async def count_decisions(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM claims"))
    finally:
        await conn.close()
