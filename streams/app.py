"""The composition root: builds the Faust app, its topics and agents from Settings.

The agents live in streams/agents/ (one module each), the delivery they share (batches,
positions, one transaction per batch) in streams/delivery/batches.py, their wiring in
streams/pipeline.py. No Faust table: PostgreSQL owns the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import StreamT
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics
from services.adapters.rule_files import rules_from_settings
from services.app.followups import FollowUps
from services.app.ports import WorkerStore
from services.config import Settings
from services.rules import RuleSet
from streams.agents.corrections import AccountCorrections
from streams.agents.dead_letters import DeadLetterRecorder
from streams.agents.participants import ParticipantEvents
from streams.agents.payments import PaymentResults
from streams.agents.pensions import BenefitChanges, install_payroll
from streams.agents.relays import install_relays
from streams.agents.settlement import Settlement
from streams.agents.sponsors import SponsorEvents
from streams.delivery.batches import Delivery, Handler
from streams.delivery.state_cache import StateCache
from streams.kafka import topics as T
from streams.kafka.auth import faust_credentials
from streams.ops.access import web_options
from streams.ops.observe import install_observe
from streams.ops.web import install_web
from streams.pipeline import PROGRAM_TOPICS, SCHEMAS_DIR, Fatal, Pipeline, Producer

__all__ = ["SCHEMAS_DIR", "Pipeline", "build_app"]


def build_app(
    settings: Settings,
    *,
    store: WorkerStore | None = None,
    producer: Producer | None = None,
    on_fatal: Fatal | None = None,
    rules: RuleSet | None = None,
    registry: CollectorRegistry | None = None,
) -> tuple[faust.App, Pipeline]:
    """Build the worker. Tests and the CLI call this same builder.

    The adapters are arguments: `store` (default: PostgreSQL at WORKER_DATABASE_URL, checked
    at start; or at DATABASE_URL, migrated at start, when that is unset), `producer` (default:
    the app's Kafka producer), `on_fatal` (default: exit the process, no batch acknowledged),
    `rules` (default: the built-in rules with RULES_OVERRIDES_FILE) and `registry` (default: a
    new Prometheus registry). The agent tests pass a memory store, a recording producer and a
    fatal that raises.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        # None on PLAINTEXT; SCRAM over TLS for consumer, producer and topic creation alike.
        broker_credentials=faust_credentials(settings),
        store=settings.table_store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        consumer_metadata_max_age_ms=30_000,
        producer_acks=-1,
        # What a batch publishes is awaited as a whole after its commit, so a short linger packs
        # a batch's records into few requests without holding any of them long.
        producer_linger_ms=5,
        # Recovery time: a dead or stopped worker's partitions move after the session timeout
        # (Faust's default is 60 s); heartbeats at a third of it, as Kafka recommends. With a
        # WORKER_INSTANCE_ID (static membership) a restarted worker rejoins without a rebalance.
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.session_timeout_s / 3,
        consumer_group_instance_id=settings.instance_id,
        broker_commit_every=settings.batch_size,
        broker_commit_interval=1.0,
        stream_buffer_maxsize=max(4096, settings.batch_size * 4),
        web_port=settings.web_port,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        # Bearer tokens (STATUS_TOKEN, METRICS_TOKEN) as an aiohttp middleware over every route;
        # refuses (ConfigError) a WEB_HOST beyond loopback without STATUS_TOKEN.
        web_application_options=web_options(settings),
        table_standby_replicas=0,
        logging_config=None,
        key_serializer="raw",
        value_serializer="raw",
    )
    registry = registry if registry is not None else CollectorRegistry()
    metrics = Metrics(registry)
    setup_prometheus_sensors(app, pattern="/metrics", registry=registry, name_prefix="faust")
    rules = rules if rules is not None else rules_from_settings(settings)
    pipe = Pipeline(app, settings, rules, metrics, store, producer, on_fatal)
    # Started and stopped with the app, so the pool is created in on_start, not at import time.
    app.add_dependency(pipe.resources)
    _wire(app, pipe)
    install_observe(app, pipe)
    install_web(app, pipe)
    return app, pipe


def _wire(app: faust.App, pipe: Pipeline) -> None:
    """Each agent runs its handler through the one shared delivery (streams/delivery/batches.py)."""
    cache = StateCache(pipe.settings.state_cache_size)
    followups = FollowUps(pipe.codec.encode, lambda payload: pipe.codec.decode(payload).record)
    participants_topic = pipe.settings.topic_prefix + T.PARTICIPANT_EVENTS.name
    handlers: list[tuple[str, Handler]] = [
        (T.PARTICIPANT_EVENTS.name, ParticipantEvents(pipe, cache)),
        (T.SPONSOR_EVENTS.name, SponsorEvents(pipe)),
        *((topic, Settlement(pipe, program)) for program, topic in PROGRAM_TOPICS.items()),
        (T.PAYMENT_RESULTS.name, PaymentResults(pipe, followups)),
        (T.ACCOUNT_CORRECTIONS.name, AccountCorrections(pipe, followups)),
        (T.BENEFIT_CHANGES.name, BenefitChanges(pipe)),
        (T.DEAD_LETTERS.name, DeadLetterRecorder(pipe)),
    ]
    for topic, handler in handlers:
        delivery = Delivery(pipe, handler, pipe.settings.topic_prefix + topic)
        app.agent(pipe.topics[topic], name=handler.consumer)(_named(delivery))

    @app.on_partitions_revoked.connect
    async def drop_revoked(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        revoked: set[Any] = args[0]
        # Another worker may change these participants next: never serve them from here again.
        cache.drop(tp.partition for tp in revoked if tp.topic == participants_topic)
        pipe.metrics.state_cache_entries.set(len(cache))

    @app.on_partitions_assigned.connect
    async def start_at_recorded(sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        assigned: set[Any] = args[0]
        for tracked in pipe.trackers:
            await tracked.assigned(assigned)

    install_relays(app, pipe)
    install_payroll(app, pipe)


def _named(delivery: Delivery) -> Callable[[StreamT[Any]], Awaitable[None]]:
    """The agent function: Faust names an agent's actors after its function."""

    async def agent(stream: StreamT[Any]) -> None:
        await delivery.run(stream)

    agent.__name__ = agent.__qualname__ = delivery.consumer.replace("-", "_")
    return agent
