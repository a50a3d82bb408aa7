"""Shared wiring for the agents: codec, sealing, topics, metrics, rules and dead letters."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

import faust
from faust.types import EventT

from services.adapters.metrics import Metrics
from services.app import dead_letters, intake
from services.app.ports import Outboxes, WorkerStore
from services.app.records import DeadLetterRow, PendingEvent, Position
from services.config import Settings
from services.config_secrets import require_dead_letter_public_key
from services.errors import ServiceError
from services.rules import RuleSet
from services.sealing import Sealer
from streams.delivery.positions import BrokerOffsets, Positions
from streams.kafka import topics as T
from streams.kafka.codec import AvroCodec
from streams.ops.logs import event_fields
from streams.ops.outage_log import OutageLog
from streams.resources import Resources

log = logging.getLogger(__name__)
W = TypeVar("W")
Ev = EventT[Any]  # faust's events are generic in their value; ours carry raw bytes
SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
# The largest original value a dead letter copies (sealed): half the broker's default
# message.max.bytes, so the dead letter itself always fits.
MAX_KEPT_VALUE_BYTES = 512 * 1024
PROGRAM_TOPICS = {p: T.approved_topic(p).name for p in ("JHT", "JKK", "JKM", "JP")}


class Producer(Protocol):
    """Where the worker's records go: a declared topic's name, a key, the encoded value."""

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Any]:
        """Hand a record over; the returned awaitable completes when the broker has it."""

    async def flush(self) -> None:
        """Wait until everything handed over is acknowledged."""


Fatal = Callable[[str, BaseException], NoReturn]


class FaustProducer:
    """The app's producer, through the topics the pipeline declared."""

    def __init__(self, app: faust.App, topics: dict[str, Any]) -> None:
        self._app, self._topics = app, topics

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Any]:
        sent: Awaitable[Any] = await self._topics[topic].send(
            key=key.encode(), value=value, force=True
        )
        return sent

    async def flush(self) -> None:
        await self._app.producer.flush()


def exit_now(where: str, error: BaseException) -> NoReturn:
    """Stop the process at once: no batch is acknowledged, it is replayed after the restart."""
    log.critical("%s: stopping the worker, batch not acknowledged: %r", where, error)
    logging.shutdown()
    os._exit(70)


def position(event: Ev) -> Position:
    m = event.message
    return Position(m.topic, m.partition, m.offset)


class Pipeline:
    """Shared wiring for the agents: codec, store, metrics, rules, and the error policy."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        rules: RuleSet,
        metrics: Metrics,
        store: WorkerStore | None = None,
        producer: Producer | None = None,
        on_fatal: Fatal | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.rules = rules
        self.metrics = metrics
        self.codec = AvroCodec.from_directory(SCHEMAS_DIR)
        # The worker can seal dead letters but never open them (no private key here).
        self.sealer = Sealer.from_config(
            require_dead_letter_public_key(settings), settings.nik_hash_key.value
        )
        self.resources = Resources(settings, self.reseal_legacy_dead_letters, store=store)
        self.outages = OutageLog(log)  # outage warnings: one line per writer per interval
        self.trackers: list[Positions] = []
        self.offsets = BrokerOffsets(app)  # the trackers' and the lag gauge's broker lookups
        # Prefixed topic name -> its declaration (what its values may be).
        self.specs = {settings.topic_prefix + spec.name: spec for spec in T.TOPICS}
        self.topics: dict[str, Any] = {
            spec.name: app.topic(
                settings.topic_prefix + spec.name,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.topic_partitions,
                replicas=settings.topic_replication,
            )
            for spec in T.TOPICS
        }
        # Full (prefixed) topic names, as the outbox records them, to the declared names.
        self.declared = {settings.topic_prefix + name: name for name in self.topics}
        self.producer = producer if producer is not None else FaustProducer(app, self.topics)
        self._on_fatal = on_fatal if on_fatal is not None else exit_now

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Any]:
        """Hand a record to the producer; the caller awaits the returned delivery before acking."""
        return await self.producer.send(topic, key, value)

    async def dead_letter(self, event: Ev, error: BaseException, consumer: str) -> Awaitable[Any]:
        """Park a message we cannot apply, with its error, in the dead-letter topic.

        The original key and value are sealed with DEAD_LETTER_PUBLIC_KEY whatever the topic and
        whether or not they decode (a truncated ParticipantEnrolled still holds the NIK's bytes):
        only the operators' private key opens them. Error, schema name and size stay in clear.
        """
        m = event.message
        error_class = type(error).__name__
        self.metrics.dead_letters.labels(m.topic, error_class).inc()
        log.warning(
            "dead-lettered %s[%s]@%s: %s: %s",
            m.topic,
            m.partition,
            m.offset,
            error_class,
            error,
            extra=event_fields(m, self.codec.decode, consumer=consumer, error_class=error_class),
        )
        value = m.value if isinstance(m.value, bytes) else b""
        key = m.key if isinstance(m.key, bytes) else None
        message = str(error)[:4000]
        keep = len(value) <= MAX_KEPT_VALUE_BYTES
        if not keep:
            # The dead letter must fit the broker's message size limit (1 MiB by default): a
            # message near it cannot be copied whole. Its digest and size are kept; the bytes
            # stay in the source topic at this position until its retention.
            message += (
                f" (original value of {len(value)} bytes not kept: over "
                f"{MAX_KEPT_VALUE_BYTES} bytes; it is at {m.topic}[{m.partition}]@{m.offset})"
            )
        sealed = self.sealer.seal(key, value, position(event), keep_value=keep)
        record = {
            "event_id": f"dl-{m.topic}-{m.partition}-{m.offset}",
            "occurred_at": datetime.now(UTC),
            "source": self.settings.app_id,
            "topic": m.topic,
            "partition": m.partition,
            "offset": m.offset,
            "key": None,  # schema v1's clear fields: never the original since v2
            "value": b"",
            "error_class": error_class,
            "error_message": message,
            "first_seen_at": datetime.now(UTC),
            "consumer": consumer,
            "sealed": sealed.envelope,
            "key_id": sealed.key_id,
            "value_digest": sealed.value_digest,
            "value_size": sealed.value_size,
            "value_schema": self.codec.writer_name(value),
        }
        return await self.send(
            T.DEAD_LETTERS.name, m.topic, self.codec.encode(T.DEAD_LETTER, record)
        )

    def unreadable_dead_letter(self, event: Ev, error: BaseException) -> DeadLetterRow:
        """The row for a message on the dead-letter topic that is no dead letter we can read."""
        m = event.message
        error_class = type(error).__name__
        self.metrics.dead_letters.labels(m.topic, error_class).inc()
        log.warning(
            "unreadable dead letter %s[%s]@%s: %s: %s",
            m.topic, m.partition, m.offset, error_class, error,
            extra=event_fields(m, consumer="dead-letter-recorder", error_class=error_class),
        )  # fmt: skip
        value = m.value if isinstance(m.value, bytes) else b""
        key = m.key if isinstance(m.key, bytes) else None
        keep = len(value) <= MAX_KEPT_VALUE_BYTES
        sealed = self.sealer.seal(key, value, position(event), keep_value=keep)
        return DeadLetterRow(
            topic=m.topic,
            partition=m.partition,
            offset=m.offset,
            error_class=error_class,
            error_message=str(error)[:4000],
            first_seen_at=datetime.now(UTC),
            consumer="dead-letter-recorder",
            sealed=sealed.envelope,
            key_id=sealed.key_id,
            value_digest=sealed.value_digest,
            value_size=sealed.value_size,
            value_schema=self.codec.writer_name(value),
        )

    async def reseal_legacy_dead_letters(self, store: WorkerStore) -> None:
        """Seal the dead letters stored before migration 0003 (clear key and value) at start."""
        try:
            resealed, dropped = await dead_letters.reseal_legacy(
                store, self.sealer, self.codec.writer_name
            )
        except ServiceError as e:  # the worker still starts; the next start or the command retries
            log.error(
                "could not seal the dead letters stored in clear before migration 0003 (run"
                " `claims dead-letters reseal`): %s",
                e,
            )
            return
        if resealed or dropped:
            log.warning(
                "sealed %d dead letters stored in clear before migration 0003 (%d duplicates"
                " dropped); older records in the dead-letter topic stay clear until its retention"
                " deletes them",
                resealed,
                dropped,
            )

    def decode_rows(
        self,
        events: Sequence[Ev],
        to_row: Callable[[dict[str, Any], Ev], W],
        *,
        validate: bool = False,
    ) -> tuple[list[tuple[Ev, W]], list[tuple[Ev, BaseException]]]:
        """Decode a batch of claim-keyed messages (decisions, approved claims, payment results)
        into rows; anything undecodable, of another schema, keyed by anything but its claim_id,
        or (with `validate`) invalid is returned with its error, for the dead letters."""
        rows: list[tuple[Ev, W]] = []
        dead: list[tuple[Ev, BaseException]] = []
        for event in events:
            try:
                decoded = self.codec.decode(event.value)
                spec = self.specs[event.message.topic]
                intake.check_schema(decoded.name, spec.name, spec.value_schemas)
                if validate:
                    intake.validate(decoded.name, decoded.record)
                intake.check_claim_key(decoded.name, event.message.key, decoded.record)
                row = to_row(decoded.record, event)
            except Exception as e:
                dead.append((event, e))
                continue
            rows.append((event, row))
        return rows, dead

    async def flush(self) -> None:
        """Wait until everything handed to the producer is acknowledged."""
        await self.producer.flush()

    async def publish(self, store: Outboxes, pending: Sequence[PendingEvent]) -> int:
        """Publish committed outbox records to their topics, wait for the broker's acks, then
        delete them. A crash in between publishes them again (the leader's relay, after its
        grace period): delivery is at least once, and every consumer is idempotent."""
        if not pending:
            return 0
        sent = []
        for item in pending:
            for topic in item.topics:
                sent.append(await self.send(self.declared[topic], item.key, item.payload))
        await asyncio.gather(*sent)
        await store.events_published([item.id for item in pending])
        return len(pending)

    def track(self, consumer: str, store: WorkerStore, topic: str | None = None) -> Positions:
        """The position tracker of one agent (its processed offsets live in PostgreSQL)."""
        counter = self.metrics.events_consumed
        tracked = Positions(
            consumer,
            store,
            self.app,
            lambda t, n: counter.labels(t).inc(n),
            topic=topic,
            offsets=self.offsets,
        )
        self.trackers.append(tracked)
        return tracked

    def fatal(self, where: str, error: BaseException) -> NoReturn:
        """Stop the worker without acknowledging the batch: it is replayed after the restart.

        Used only for failures outside the per-event policy (e.g. the broker refusing the
        dead-letter topic). Faust would otherwise ack a batch whose agent raised.
        """
        self._on_fatal(where, error)
