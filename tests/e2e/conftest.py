"""A worker per test module, with its own topics (a prefix), consumer group and database schema."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from kafka import KafkaProducer

from reference_payment.service import ReferencePaymentService
from services.adapters.postgres import connect_store
from services.config import Secret, Settings, load_settings
from services.sealing import keygen
from streams.kafka import acls
from streams.kafka.admin import ensure_topics
from streams.kafka.auth import kafka_python_options
from streams.kafka.codec import AvroCodec
from tests.workers import Worker, free_port

REPO = Path(__file__).resolve().parents[2]
# The secured stack (make test-secure): each component logs in as its own SCRAM user, with the
# ACLs of streams/kafka/acls.py applied for the module's prefix by the admin user.
SECURE = os.environ.get("KAFKA_SECURITY_PROTOCOL") == "SASL_SSL"


def kafka_users() -> dict[str, str]:
    """SCRAM user -> password of the secured stack (LOCAL_KAFKA_USERS_FILE); {} on PLAINTEXT."""
    if not SECURE:
        return {}
    text = Path(os.environ["LOCAL_KAFKA_USERS_FILE"]).read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def as_user(settings: Settings, user: str) -> Settings:
    """The same deployment, as another SCRAM user (unchanged on PLAINTEXT)."""
    if not SECURE:
        return settings
    password = Secret(kafka_users()[user])
    return replace(settings, kafka_sasl_username=user, kafka_sasl_password=password)


@dataclass
class Env:
    settings: Settings
    worker: Worker
    codec: AvroCodec
    schema: str
    producer: KafkaProducer
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)
    dead_letter_private_key: str = ""  # for `claims dead-letters show/replay`; not the worker's

    def topic(self, name: str) -> str:
        return self.settings.topic_prefix + name

    def send(self, topic: str, key: str, schema: str, record: dict[str, Any]) -> None:
        self.send_raw(topic, key, self.codec.encode(schema, record))

    def send_raw(self, topic: str, key: str, value: bytes) -> None:
        self.sent.append((topic, key, value))
        self.producer.send(self.topic(topic), key=key.encode(), value=value)
        self.producer.flush()

    def replay(self) -> None:
        """Send every message again, in the same order (new offsets, same bytes)."""
        for topic, key, value in list(self.sent):
            self.producer.send(self.topic(topic), key=key.encode(), value=value)
        self.producer.flush()

    def payment_service(self) -> ReferencePaymentService:
        """The reference payment service on this environment's topics (not started)."""
        return ReferencePaymentService(
            self.settings.kafka_bootstrap_servers,
            REPO / "schemas",
            group=f"{self.settings.app_id}-payments",
            topic_prefix=self.settings.topic_prefix,
            kafka_options=kafka_python_options(as_user(self.settings, acls.PAYMENTS)),
        )

    def query(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async def run() -> list[dict[str, Any]]:
            conn = await asyncpg.connect(self.settings.dsn)
            try:
                return [dict(r) for r in await conn.fetch(sql, *args)]
            finally:
                await conn.close()

        return asyncio.run(run())

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.5)
        raise AssertionError(
            f"timed out waiting for {what}\nwhere it stopped: {self.progress()}\n"
            f"{self.worker.tail()}"
        )

    def wait_for_funding(self, sponsor_id: str) -> None:
        """Wait until the worker has applied a sponsor's funding. The sponsor topic and the
        participant topic are consumed independently: a claim sent right after the funding may
        otherwise be judged first, with the participant's coverage not yet funded."""
        self.wait_for(
            f"the funding of {sponsor_id} applied",
            lambda: bool(
                self.query("SELECT 1 FROM sponsor_fundings WHERE sponsor_id = $1", sponsor_id)
            ),
        )

    def progress(self) -> str:
        """What PostgreSQL holds so far: which stage a stalled run stopped at."""
        try:
            counts = self.query(
                "SELECT (SELECT count(*) FROM claims) AS claims,"
                " (SELECT count(*) FROM dead_letters) AS dead_letters,"
                " (SELECT count(*) FROM settlements) AS settlements,"
                " (SELECT count(*) FROM settlements WHERE status = 'PAID') AS paid,"
                " (SELECT count(*) FROM payment_outbox WHERE published_at IS NULL)"
                "   AS instructions_unpublished,"
                " (SELECT count(*) FROM event_outbox) AS events_unpublished"
            )[0]
            offsets = self.query(
                'SELECT consumer, sum("offset" + 1) AS n FROM processed_offsets'
                " GROUP BY consumer ORDER BY consumer"
            )
        except Exception as e:  # the message must still say what timed out
            return f"(not read: {e!r})"
        consumed = ", ".join(f"{r['consumer']} {r['n']}" for r in offsets) or "none"
        return ", ".join(f"{k} {v}" for k, v in counts.items()) + f"; consumed: {consumed}"


async def migrate(settings: Settings) -> None:
    """`claims migrate`: as the owner (DATABASE_URL), which also grants the roles."""
    store = await connect_store(settings)
    try:
        await store.migrate()
    finally:
        await store.close()


@pytest.fixture(scope="module")
def pipeline(
    stack: Any, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Env]:
    run_id = uuid.uuid4().hex[:8]
    schema = f"t_{run_id}"

    async def create_schema() -> None:
        conn = await asyncpg.connect(stack.database_url)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()

    asyncio.run(create_schema())
    tmp = tmp_path_factory.mktemp(f"worker-{run_id}")
    public_key, private_key = keygen()  # the worker gets only the public half
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        # The worker works as the restricted worker role (WORKER_DATABASE_URL of the local
        # stack) and so never migrates: the owner does it first, below, as `claims run` does.
        **stack.role_env(schema),
        "NIK_HASH_KEY": "e2e-test-key-0123456789",
        "DEAD_LETTER_PUBLIC_KEY": public_key,
        "DEAD_LETTER_PRIVATE_KEYS": "",  # empty is unset: a worker refuses the opening keys
        "TOPIC_PREFIX": f"t{run_id}.",
        "CLAIMS_APP_ID": f"t-{run_id}",
        "WEB_PORT": str(free_port()),
        "CLAIMS_DATA_DIR": str(tmp / "faust"),
        "OUTBOX_INTERVAL_SECONDS": "0.1",
        "WORKER_INSTANCE_ID": f"t-{run_id}-worker-0",
        # The payroll timer pays the clock's month: off, so a module's instructions are only
        # those its events make (test_payroll_timer.py turns it on).
        "PAYROLL_TIMER": "false",
        **getattr(request.module, "WORKER_ENV", {}),
    }
    if SECURE:
        env.update(KAFKA_SASL_USERNAME=acls.WORKER, KAFKA_SASL_PASSWORD=kafka_users()[acls.WORKER])
    settings = load_settings(env)
    admin = as_user(settings, "admin")
    if SECURE:
        acls.apply(admin, settings.topic_prefix, settings.app_id)
    ensure_topics(settings)  # as the worker: it may create the declared topics
    asyncio.run(migrate(settings))
    worker = Worker(env, tmp / "worker.log")
    worker.start()
    producer = KafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap,
        acks="all",
        **kafka_python_options(as_user(settings, acls.UPSTREAM)),
    )
    try:
        codec = AvroCodec.from_directory(REPO / "schemas")
        yield Env(settings, worker, codec, schema, producer, dead_letter_private_key=private_key)
    finally:
        producer.close()
        worker.stop()
        if SECURE:
            acls.remove(admin, settings.topic_prefix, settings.app_id)
