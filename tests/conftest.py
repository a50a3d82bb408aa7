"""Session fixtures for real Kafka and PostgreSQL, started on demand by deploy/local/stack."""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STACK = REPO / "deploy" / "local" / "stack"


@dataclass(frozen=True)
class Stack:
    """Where the tests find Kafka and PostgreSQL; `local` is False for the user's own services."""

    kafka_bootstrap: str
    database_url: str
    local: bool


def parse_env(text: str) -> dict[str, str]:
    """KEY=value lines as printed by `deploy/local/stack env` (values shell-quoted when needed)."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 1 and "=" in words[0]:
            key, value = words[0].split("=", 1)
            pairs[key] = value
    return pairs


def _run_stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, cwd=REPO, timeout=600, check=False
    )


@pytest.fixture(scope="session")
def stack() -> Stack:
    """Kafka and PostgreSQL for this session.

    The user's own services when both KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL are set, otherwise
    the local stack, started once here. It is deliberately not stopped at session end: the next
    pytest run reuses it (`up` on a running stack returns at once; starting twice is harmless), and
    the Makefile / CI run `deploy/local/stack down` when they are done.
    """
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if kafka and database:
        return Stack(kafka_bootstrap=kafka, database_url=database, local=False)
    up = _run_stack("up")
    if up.returncode != 0:
        pytest.fail(
            f"deploy/local/stack up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}",
            pytrace=False,
        )
    env = parse_env(_run_stack("env").stdout)
    return Stack(
        kafka_bootstrap=env["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["DATABASE_URL"],
        local=not (kafka or database),
    )


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: Stack) -> str:
    return stack.kafka_bootstrap


@pytest.fixture(scope="session")
def database_url(stack: Stack) -> str:
    return stack.database_url


@pytest.fixture
def new_topic(kafka_bootstrap: str) -> Iterator[Callable[..., str]]:
    """Factory: a new uniquely named topic (the broker does not auto-create), deleted after."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="tests-new-topic")
    created: list[str] = []

    def create(prefix: str = "test", partitions: int = 8, replication: int = 1) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:12]}"
        admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=replication)],
            wait_for_metadata=True,
        )
        created.append(name)
        return name

    try:
        yield create
    finally:
        try:
            if created:
                admin.delete_topics(created)
        finally:
            admin.close()
