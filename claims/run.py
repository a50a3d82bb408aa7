"""`claims run`: the main job on the embedded default, end to end through Kafka and PostgreSQL.

Starts worker processes, replays a scenario from the simulator through the real broker, shows
progress, waits until every consumer has caught up and the outbox is drained, then prints a
summary read back from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from textwrap import indent
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from claims.payment_demo import PaymentSimulator
from claims.payroll import first_months
from claims.payroll import render_text as render_payroll
from claims.report import print_summary
from claims.worker_procs import start_workers, stop_workers, wait_ready
from services.adapters.postgres import connect_store
from services.adapters.rule_files import rules_from_settings
from services.config import Secret, Settings
from services.redaction import dsn_location
from simulator import build_scenario
from streams.app import SCHEMAS_DIR
from streams.kafka import acls
from streams.kafka import topics as T
from streams.kafka.admin import delete_service_topics, ensure_topics
from streams.kafka.auth import kafka_python_options
from streams.kafka.codec import AvroCodec

INPUT_TOPICS = [t.name for t in T.CONSUMED]


def as_role(settings: Settings, user: str) -> Settings:
    """The settings of one part of the run on the secured local stack (SECURE=1), which names
    its SCRAM users' passwords in LOCAL_KAFKA_USERS_FILE: the replay logs in as the upstream
    producers, the payment simulator as the payment services, `--fresh` as the admin. Elsewhere
    (PLAINTEXT, or one identity of your own) every part uses the settings as they are."""
    path = os.environ.get("LOCAL_KAFKA_USERS_FILE")
    if settings.kafka_security_protocol == "PLAINTEXT" or not path:
        return settings
    lines = Path(path).read_text().splitlines()
    users = dict(line.split("=", 1) for line in lines if "=" in line)
    if user not in users:
        return settings
    return replace(settings, kafka_sasl_username=user, kafka_sasl_password=Secret(users[user]))


@dataclass
class Produced:
    count: int = 0
    by_schema: Counter[str] = field(default_factory=Counter)
    done: bool = False
    error: BaseException | None = None
    seconds: float = 0.0


def _produce(settings: Settings, events: Any, out: Produced) -> None:
    codec = AvroCodec.from_directory(SCHEMAS_DIR)
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_in_flight_requests_per_connection=5,
        enable_idempotence=True,
        client_id="scenario-replay",
        **kafka_python_options(settings),
    )
    started = time.monotonic()
    try:
        for topic, key, schema, record in events:
            producer.send(
                settings.topic_prefix + topic, key=key.encode(), value=codec.encode(schema, record)
            )
            out.count += 1
            out.by_schema[schema.rsplit(".", 1)[-1]] += 1
        producer.flush()
    except BaseException as e:  # reported by the main loop
        out.error = e
    finally:
        out.seconds = time.monotonic() - started
        producer.close()
        out.done = True


class Lag:
    """Consumer-group lag of the service on every topic it consumes."""

    def __init__(self, settings: Settings) -> None:
        self.prefix = settings.topic_prefix
        # A consumer in the service's group that never subscribes: it only reads committed offsets.
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.app_id,
            enable_auto_commit=False,
            **kafka_python_options(settings),
        )

    def total(self) -> tuple[int, int]:
        """(messages behind, messages committed) summed over the consumed topics."""
        prefix = self.prefix
        parts = [
            TopicPartition(prefix + t, p)
            for t in INPUT_TOPICS
            for p in (self.consumer.partitions_for_topic(prefix + t) or ())
        ]
        ends = self.consumer.end_offsets(parts)
        behind = done = 0
        for tp in parts:
            at = self.consumer.committed(tp) or 0
            behind += max(ends[tp] - at, 0)
            done += at
        return behind, done

    def close(self) -> None:
        self.consumer.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _bar(fraction: float, width: int = 30) -> str:
    filled = int(width * min(max(fraction, 0.0), 1.0))
    return "█" * filled + "░" * (width - filled)


async def reset(settings: Settings) -> None:
    """Start from nothing: the service's topics, its tables and the workers' local state."""
    deleted = delete_service_topics(as_role(settings, "admin"))
    store = await connect_store(settings)  # DATABASE_URL: dropping tables is the owner's alone
    try:
        await store.drop_all()
    finally:
        await store.close()
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    print(
        f"fresh start: deleted {len(deleted)} topics, the service's tables and {settings.data_dir}"
    )


async def run_scenario(
    settings: Settings,
    name: str,
    seed: int,
    scale: float,
    workers: int,
    fresh: bool = False,
    contribution_months: int | None = None,
) -> int:
    print(f"Kafka {settings.kafka_bootstrap_servers}; PostgreSQL {dsn_location(settings.dsn)}")
    if fresh:
        await reset(settings)
    ensure_topics(settings)
    owner = await connect_store(settings)  # DATABASE_URL: the only role that may migrate
    try:
        await owner.migrate()
    finally:
        await owner.close()
    # The progress line and the summary only read (READER_DATABASE_URL); the workers get
    # WORKER_DATABASE_URL from the environment.
    store = await connect_store(settings, role="reader", size=2)
    scenario = build_scenario(name, seed=seed, scale=scale, contribution_months=contribution_months)
    procs = start_workers(settings, workers)
    # SIGTERM (e.g. from a CI timeout) must still stop the workers in `finally`.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        wait_ready(settings, procs)
        payments = PaymentSimulator(as_role(settings, acls.PAYMENTS), seed=seed)
        payments.start()
        produced = Produced()
        thread = threading.Thread(
            target=_produce,
            args=(as_role(settings, acls.UPSTREAM), scenario.events(), produced),
            daemon=True,
        )
        lag = Lag(settings)
        _, committed_before = lag.total()
        started = time.monotonic()
        thread.start()
        stable = 0
        while True:
            await asyncio.sleep(1.0)
            if produced.error is not None:
                raise RuntimeError(f"replay failed: {produced.error!r}") from produced.error
            behind, committed = lag.total()
            backlog = await store.outbox_backlog()
            unpaid = await store.unpaid_settlements()
            consumed = committed - committed_before
            elapsed = time.monotonic() - started
            sys.stdout.write(
                f"\r{_bar(consumed / max(consumed + behind, 1))} produced {produced.count:,}"
                f" consumed {consumed:,} behind {behind:,} outbox {backlog:,}"
                f" unpaid {unpaid:,} ({consumed / max(elapsed, 1e-9):,.0f} msg/s) "
            )
            sys.stdout.flush()
            idle = produced.done and behind == 0 and backlog == 0 and unpaid == 0
            stable = stable + 1 if idle else 0
            if stable >= 3:
                break
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited; see .local/worker-*.log")
        print(
            f"\nreplayed {produced.count:,} events in {produced.seconds:.1f}s; "
            f"pipeline caught up after {time.monotonic() - started:.1f}s"
        )
        payroll = await first_months(settings, rules_from_settings(settings))
        payments.stop()
        lag.close()
        await print_summary(store, scenario, produced.by_schema)
        print("\n== Payroll: the first months of JP pensions and school years (claims payroll) ==")
        print(indent(render_payroll(payroll), "  ") if payroll else "  (nothing paid over time)")
        return 0
    finally:
        stop_workers(procs)
        await store.close()
