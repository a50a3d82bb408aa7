"""A worker per test module, with its own topics (a prefix), consumer group and database schema."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from kafka import KafkaProducer

from services.config import Settings, load_settings
from services.sealing import keygen
from streams.admin import ensure_topics
from streams.codec import AvroCodec
from streams.reference_payment_service import ReferencePaymentService
from tests.workers import Worker, free_port

REPO = Path(__file__).resolve().parents[2]


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
        raise AssertionError(f"timed out waiting for {what}\n{self.worker.tail()}")


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
        "DATABASE_URL": f"{stack.database_url}?search_path={schema}",
        "NIK_HASH_KEY": "e2e-test-key-0123456789",
        "DEAD_LETTER_PUBLIC_KEY": public_key,
        "DEAD_LETTER_PRIVATE_KEYS": "",  # empty is unset: a worker refuses the opening keys
        "TOPIC_PREFIX": f"t{run_id}.",
        "CLAIMS_APP_ID": f"t-{run_id}",
        "WEB_PORT": str(free_port()),
        "CLAIMS_DATA_DIR": str(tmp / "faust"),
        "OUTBOX_INTERVAL_SECONDS": "0.1",
        "WORKER_INSTANCE_ID": f"t-{run_id}-worker-0",
        **getattr(request.module, "WORKER_ENV", {}),
    }
    settings = load_settings(env)
    ensure_topics(settings)
    worker = Worker(env, tmp / "worker.log")
    worker.start()
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    try:
        codec = AvroCodec.from_directory(REPO / "schemas")
        yield Env(settings, worker, codec, schema, producer, dead_letter_private_key=private_key)
    finally:
        producer.close()
        worker.stop()
