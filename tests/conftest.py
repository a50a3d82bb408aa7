"""Session fixtures for real Kafka and PostgreSQL, started on demand by deploy/local/stack."""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STACK = REPO / "deploy" / "local" / "stack"


# The restricted roles' DSNs (README: PostgreSQL roles). Taken out of the environment here, once:
# a test that points DATABASE_URL at its own schema must not leave its subprocesses a role URL
# of another schema. Tests ask the Stack for them instead (Stack.role_env, schema qualified).
ROLE_VARS = ("WORKER_DATABASE_URL", "READER_DATABASE_URL", "IMPORT_DATABASE_URL")
_GIVEN_ROLES = {v: os.environ.pop(v) for v in ROLE_VARS if os.environ.get(v)}


def with_schema(url: str, schema: str) -> str:
    """`url` with search_path=schema (how each test keeps to a schema of its own)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@dataclass(frozen=True)
class Stack:
    """Where the tests find Kafka and PostgreSQL; `local` is False for the user's own services.

    `roles` holds the restricted roles' DSNs by variable (the local stack's own roles, or those
    the user exported); a role without one falls back to DATABASE_URL, as the service does.
    """

    kafka_bootstrap: str
    database_url: str
    local: bool
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def worker_url(self) -> str:
        return self.roles.get("WORKER_DATABASE_URL", self.database_url)

    @property
    def reader_url(self) -> str:
        return self.roles.get("READER_DATABASE_URL", self.database_url)

    @property
    def import_url(self) -> str:
        return self.roles.get("IMPORT_DATABASE_URL", self.database_url)

    def role_env(self, schema: str) -> dict[str, str]:
        """DATABASE_URL and every role's variable, all on `schema`: the environment of a
        process that works in that schema with the least privilege each part needs."""
        return {
            "DATABASE_URL": with_schema(self.database_url, schema),
            **{var: with_schema(url, schema) for var, url in self.roles.items()},
        }


def parse_env(text: str) -> dict[str, str]:
    """KEY=value lines as printed by `deploy/local/stack env` (values shell-quoted when needed)."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 1 and "=" in words[0]:
            key, value = words[0].split("=", 1)
            pairs[key] = value
    return pairs


SERVICE_VARS = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", *ROLE_VARS)


def _run_stack(*args: str) -> subprocess.CompletedProcess[str]:
    """The local stack's script, with the service variables unset so that it speaks of the local
    stack itself (with them set, `up` would leave the services alone)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    return subprocess.run(
        [str(STACK), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")
def stack() -> Stack:
    """Kafka and PostgreSQL for this session.

    The user's own services when KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL point elsewhere than
    the local stack; otherwise the local stack, started once here (`make test` exports the local
    stack's own addresses, which still counts as local: the fault tier may crash and restart it).
    It is deliberately not stopped at session end: the next pytest run reuses it (`up` on a running
    stack returns at once; starting twice is harmless), and the Makefile / CI run
    `deploy/local/stack down` when they are done.
    """
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    local = parse_env(_run_stack("env").stdout)
    ours = (kafka, database) == (local["KAFKA_BOOTSTRAP_SERVERS"], local["DATABASE_URL"])
    if kafka and database and not ours:
        return Stack(
            kafka_bootstrap=kafka, database_url=database, local=False, roles=dict(_GIVEN_ROLES)
        )
    up = _run_stack("up")
    if up.returncode != 0:
        pytest.fail(
            f"deploy/local/stack up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}",
            pytrace=False,
        )
    return Stack(
        kafka_bootstrap=local["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=local["DATABASE_URL"],
        local=True,
        roles={v: local[v] for v in ROLE_VARS if v in local},
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
