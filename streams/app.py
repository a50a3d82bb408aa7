"""The composition root: builds the Faust app, its topics, tables and agents from Settings."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import faust
import faust.streams as faust_streams
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.streams import Stream
from faust.types import EventT, StreamT
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics
from services.adapters.postgres import PostgresStore
from services.app import adjudication, dead_letters, intake, settlement
from services.app.records import DeadLetterRow, ParticipantRow, Position, SettlementRow
from services.config import Settings, require_dead_letter_public_key
from services.errors import InvalidEvent, ServiceError, StoreError, TransientError
from services.rules import RuleSet
from services.sealing import Sealer
from streams import faust_fixes
from streams import topics as T
from streams.codec import AvroCodec, CodecError
from streams.logs import event_fields
from streams.observe import install_observe
from streams.outage_log import OutageLog
from streams.outbox import relay_outbox
from streams.positions import Positions
from streams.resources import Resources
from streams.web import install_web

log = logging.getLogger(__name__)
R = TypeVar("R")
W = TypeVar("W")
Ev = EventT[Any]  # faust's events are generic in their value; ours carry raw bytes
SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
# The largest original value a dead letter copies (sealed): half the broker's default
# message.max.bytes, so the dead letter itself always fits.
MAX_KEPT_VALUE_BYTES = 512 * 1024
PROGRAM_TOPICS = {p: T.approved_topic(p).name for p in ("JHT", "JKK", "JKM", "JP")}


def as_current(event: Ev) -> None:
    """Make `event` the stream's current event for table writes inside a batch.

    Faust picks a table write's changelog partition (and RocksDB's partition store) from the
    current event; in a batch that is the last event fetched, not the one being applied, so we
    set it for each event. The table key (KPJ) is the source key, so the partitions match.
    """
    faust_streams._current_event.set(weakref.ref(event))


async def batches(
    stream: StreamT[Any], size: int, linger: float, positions: Positions
) -> AsyncIterator[list[Ev]]:
    """Batches of what the consumer has already fetched (at most `size` events), in offset order
    per partition, acknowledged and recorded as processed only after the caller has finished with
    the batch (its effects durable).

    A batch closes when it is full, or when no further message is waiting even after `linger`
    seconds: the consumer feeds the stream one message at a time on the same event loop, so
    without the linger a busy stream would still see an empty queue after almost every event and
    pay a database commit per event. (Faust's take_events acknowledges its batch in a `finally`,
    so a failed batch would count as done.) `positions` skips what was already processed and
    seeks back over anything the consumer skipped (see streams/positions.py).
    """
    s = cast(Stream[Any], stream)
    s.enable_acks = False  # acks are ours: after the batch's effects are durable
    waiting = cast(Any, s.channel).queue  # the queue the consumer fills for this stream
    batch: list[Ev] = []
    seen = 0  # events consumed since the last batch, skipped redeliveries included
    async for event in s.events():
        seen += 1
        if await positions.admit(event):
            batch.append(event)
        else:
            await s.ack(event)
        if batch and len(batch) < size and waiting.empty():
            await asyncio.sleep(linger)  # lets the consumer fill the queue
        if batch and (len(batch) >= size or waiting.empty()):
            positions.consumed(batch[0].message.topic, seen)
            if os.environ.get("DEBUG_BATCHES"):
                log.warning(
                    "DEBUGB %s n=%d q=%d", batch[0].message.topic, len(batch), waiting.qsize()
                )
            seen = 0
            yield batch
            await positions.record(batch)
            for done in batch:
                await s.ack(done)
            batch = []


def position(event: Ev) -> Position:
    m = event.message
    return Position(m.topic, m.partition, m.offset)


class Pipeline:
    """Shared wiring for the agents: codec, store, metrics, rules, and the error policy."""

    def __init__(
        self, app: faust.App, settings: Settings, rules: RuleSet, metrics: Metrics
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
        self.resources = Resources(settings, self.reseal_legacy_dead_letters)
        self.outages = OutageLog(log)  # outage warnings: one line per writer per interval
        self.trackers: list[Positions] = []
        # Prefixed topic name -> its declaration (what its values may be).
        self.specs = {settings.topic_prefix + spec.name: spec for spec in T.TOPICS}
        self.topics = {
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

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Any]:
        """Hand a record to the producer; the caller awaits the returned delivery before acking."""
        return await self.topics[topic].send(key=key.encode(), value=value, force=True)

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

    async def reseal_legacy_dead_letters(self, store: PostgresStore) -> None:
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

    async def write(
        self,
        writer: str,
        items: Sequence[tuple[Ev, W]],
        call: Callable[[list[W]], Awaitable[R]],
        consumer: str,
    ) -> list[R]:
        """Write a batch with the error policy, returning each successful call's result.

        - transient (connection lost, serialization failure): retry with capped backoff, forever;
          the batch is not acknowledged meanwhile, so nothing is lost and lag shows the stall;
        - permanent (a row the database refuses): retry row by row and dead-letter the rows that
          still fail, so one poison row never blocks or drops the rest of its batch.
        """
        if not items:
            return []
        try:
            return [await self._retrying(writer, [row for _, row in items], call)]
        except StoreError as e:
            log.warning("%s: batch of %d refused, retrying row by row: %s", writer, len(items), e)
            if len(items) == 1:
                await (await self.dead_letter(items[0][0], e, consumer))
                return []
        results = []
        for event, row in items:
            try:
                results.append(await self._retrying(writer, [row], call))
            except StoreError as e:
                await (await self.dead_letter(event, e, consumer))
        return results

    async def _retrying(
        self, writer: str, rows: list[W], call: Callable[[list[W]], Awaitable[R]]
    ) -> R:
        delay = 0.1
        while True:
            started = time.perf_counter()
            try:
                result = await call(rows)
            except TransientError as e:
                self.metrics.db_errors.labels(writer, "transient").inc()
                self.outages.warning(
                    writer, "%s: transient database error, retrying: %s", writer, e
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except StoreError:
                self.metrics.db_errors.labels(writer, "permanent").inc()
                raise
            self.outages.recovered(writer)
            self.metrics.batch_size.labels(writer).observe(len(rows))
            self.metrics.db_latency.labels(writer).observe(time.perf_counter() - started)
            return result

    async def decode_rows(
        self,
        events: Sequence[Ev],
        to_row: Callable[[dict[str, Any], Ev], W],
        consumer: str,
        *,
        validate: bool = False,
    ) -> list[tuple[Ev, W]]:
        """Decode a batch of claim-keyed messages (decisions, approved claims, payment results)
        into rows; anything undecodable, of another schema, keyed by anything but its claim_id,
        or (with `validate`) invalid goes to the dead letters."""
        rows, pending = [], []
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
                pending.append(await self.dead_letter(event, e, consumer))
                continue
            rows.append((event, row))
        await asyncio.gather(*pending)
        return rows

    async def flush(self) -> None:
        """Wait until everything handed to the producer (table changelogs too) is acknowledged."""
        await self.app.producer.flush()

    def track(self, consumer: str, store: PostgresStore) -> Positions:
        """The position tracker of one agent (its processed offsets live in PostgreSQL)."""
        counter = self.metrics.events_consumed
        tracked = Positions(consumer, store, self.app, lambda t, n: counter.labels(t).inc(n))
        self.trackers.append(tracked)
        return tracked

    def fatal(self, where: str, error: BaseException) -> NoReturn:
        """Stop the worker without acknowledging the batch: it is replayed after the restart.

        Used only for failures outside the per-event policy (e.g. the broker refusing the
        dead-letter topic). Faust would otherwise ack a batch whose agent raised.
        """
        log.critical("%s: stopping the worker, batch not acknowledged: %r", where, error)
        logging.shutdown()
        os._exit(70)


def build_app(
    settings: Settings,
    *,
    rules: RuleSet | None = None,
    registry: CollectorRegistry | None = None,
) -> tuple[faust.App, Pipeline]:
    """Build the worker. Tests and the CLI call this same builder."""
    faust_fixes.install()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        store=settings.table_store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        consumer_metadata_max_age_ms=30_000,
        producer_acks=-1,
        # Batches flush the producer when they end, so a longer linger costs no latency there
        # and packs more changelog records per request: 5 -> 50 ms cut the worker's CPU per
        # enrollment by ~10-15% in bench/ (noisy, medians of 2).
        producer_linger_ms=50,
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
        table_standby_replicas=0,
        logging_config=None,
        # Tables: keys are KPJ / sponsor id strings (raw UTF-8, as the source topics' keys, so the
        # changelog partition matches the source partition); values JSON.
        key_serializer="raw",
        value_serializer="json",
    )
    registry = registry if registry is not None else CollectorRegistry()
    metrics = Metrics(registry)
    setup_prometheus_sensors(app, pattern="/metrics", registry=registry, name_prefix="faust")
    pipe = Pipeline(
        app, settings, rules if rules is not None else adjudication.load_rules(settings), metrics
    )
    # Started and stopped with the app, so the pool is created in on_start, not at import time.
    app.add_dependency(pipe.resources)
    _wire(app, pipe)
    install_observe(app, pipe)
    install_web(app, pipe)
    return app, pipe


def _wire(app: faust.App, pipe: Pipeline) -> None:
    participants = app.Table(
        "participants",
        default=None,
        key_type=str,
        value_type=None,
        partitions=pipe.settings.topic_partitions,
        help="Coverage state per participant (KPJ), rebuilt from its changelog after a restart.",
    )
    sponsors = app.GlobalTable(
        "sponsors",
        default=None,
        key_type=str,
        value_type=None,
        partitions=pipe.settings.topic_partitions,
        help="Funded periods per sponsor, read by every worker.",
    )
    handler = adjudication.ParticipantEvents(pipe.rules, pipe.settings.nik_hash_key.value)
    batch, linger = pipe.settings.batch_size, pipe.settings.batch_linger_s

    @app.agent(pipe.topics[T.PARTICIPANT_EVENTS.name], name="participant-events")
    async def participant_events(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track("participant-events", store)
        async for events in batches(stream, batch, linger, tracked):
            try:
                await apply_participant_events(events, store)
            except Exception as e:
                pipe.fatal("participant-events", e)

    async def apply_participant_events(events: Sequence[Ev], store: PostgresStore) -> None:
        pending: list[Awaitable[Any]] = []
        rows: list[tuple[Ev, ParticipantRow]] = []
        for event in events:
            pos = position(event)
            try:
                decoded = pipe.codec.decode(event.value)
                intake.validate(decoded.name, decoded.record)
                intake.check_participant_key(decoded.name, event.message.key, decoded.record)
                key = decoded.record["kpj"]
                result = handler.apply(
                    decoded.name,
                    decoded.record,
                    participants.get(key),
                    sponsors.get,
                    pos,
                    datetime.now(UTC),
                )
            except Exception as e:  # one bad event never stops the stream
                if not isinstance(e, CodecError | InvalidEvent | ServiceError):
                    log.exception("unexpected error at %s", pos)
                pending.append(await pipe.dead_letter(event, e, "participant-events"))
                continue
            if result.state is not None:
                as_current(event)
                participants[key] = result.state
            if result.row is not None:
                rows.append((event, result.row))
            pipe.metrics.events_applied.labels(result.kind).inc()
            for decision in result.decisions:
                pending.extend(await _publish_decision(pipe, decision, event.message.timestamp))
        await pipe.write("participants", rows, store.save_participants, "participant-events")
        await asyncio.gather(*pending)
        # The table's changelog writes are sent in the background: make them durable before the
        # batch counts as processed.
        await pipe.flush()

    @app.agent(pipe.topics[T.SPONSOR_EVENTS.name], name="sponsor-events")
    async def sponsor_events(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track("sponsor-events", store)
        async for events in batches(stream, batch, linger, tracked):
            try:
                for event in events:
                    await apply_sponsor_event(event, store)
                await pipe.flush()
            except Exception as e:
                pipe.fatal("sponsor-events", e)

    async def apply_sponsor_event(event: Ev, store: PostgresStore) -> None:
        try:
            decoded = pipe.codec.decode(event.value)
            intake.validate(decoded.name, decoded.record)
            intake.check_sponsor_key(decoded.name, event.message.key, decoded.record)
            change = adjudication.sponsor_change(decoded.name, decoded.record, sponsors.get)
        except Exception as e:
            await (await pipe.dead_letter(event, e, "sponsor-events"))
            return
        if change.sponsor_state is not None:
            as_current(event)
            sponsors[change.sponsor_id] = change.sponsor_state
        if change.funding is not None:
            await pipe.write(
                "sponsors",
                [(event, change.funding)],
                lambda rows: store.save_sponsor_funding(rows[0]),
                "sponsor-events",
            )
        if change.batch is not None:
            await pipe.write(
                "batches",
                [(event, change.batch)],
                lambda rows: store.save_batch_marker(rows[0]),
                "sponsor-events",
            )
        pipe.metrics.events_applied.labels(change.kind).inc()

    @app.agent(pipe.topics[T.CLAIM_DECISIONS.name], name="decision-recorder")
    async def decision_recorder(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track("decision-recorder", store)
        async for events in batches(stream, batch, linger, tracked):
            try:
                rows = await pipe.decode_rows(
                    events, lambda r, _: settlement.decision_row(r), "decision-recorder"
                )
                await pipe.write("decisions", rows, store.record_decisions, "decision-recorder")
            except Exception as e:
                pipe.fatal("decision-recorder", e)

    for program, topic_name in PROGRAM_TOPICS.items():
        _settlement_agent(app, pipe, program, topic_name)

    @app.agent(pipe.topics[T.PAYMENT_RESULTS.name], name="payment-results")
    async def payment_results(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track("payment-results", store)
        interest = settlement.interest_fn(pipe.rules)
        async for events in batches(stream, batch, linger, tracked):
            try:
                rows = await pipe.decode_rows(
                    events,
                    lambda r, _: settlement.payment_result_row(r),
                    "payment-results",
                    validate=True,
                )
                results = await pipe.write(
                    "payments",
                    rows,
                    lambda rs: store.apply_payment_results(rs, interest),
                    "payment-results",
                )
            except Exception as e:
                pipe.fatal("payment-results", e)
            for outcomes in results:
                for o in outcomes:
                    pipe.metrics.payments.labels(o.program, o.status).inc()
                    pipe.metrics.late_interest.labels(o.program).inc(o.late_interest)

    @app.agent(pipe.topics[T.DEAD_LETTERS.name], name="dead-letter-recorder")
    async def dead_letter_recorder(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track("dead-letter-recorder", store)
        async for events in batches(stream, batch, linger, tracked):
            rows = []
            for event in events:
                try:
                    decoded = pipe.codec.decode(event.value)
                    intake.check_schema(decoded.name, T.DEAD_LETTERS.name, (T.DEAD_LETTER,))
                    rows.append(
                        settlement.dead_letter_row(
                            decoded.record, pipe.sealer, pipe.codec.writer_name
                        )
                    )
                except Exception as e:
                    # Recorded as a dead letter of the dead-letter topic itself, straight into
                    # PostgreSQL: never published again (that could loop).
                    rows.append(pipe.unreadable_dead_letter(event, e))
            try:
                await pipe._retrying("dead_letters", rows, store.record_dead_letters)
            except Exception as e:
                pipe.fatal("dead-letter-recorder", e)

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def redeliver_dropped() -> None:
        for tracked in pipe.trackers:
            await tracked.watch()

    async def send_instruction(claim_id: str, payload: bytes) -> Awaitable[Any]:
        return await pipe.send(T.PAYMENT_INSTRUCTIONS.name, claim_id, payload)

    # Leader only: one relay at a time, so two workers never publish the same pending rows.
    @app.timer(interval=pipe.settings.outbox_interval_s, on_leader=True)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def outbox_relay() -> None:
        store = await pipe.resources.store()
        try:
            while await relay_outbox(store, send_instruction, pipe.metrics, limit=batch):
                pass
        except TransientError as e:  # the next tick retries; rows stay pending
            pipe.outages.warning("outbox relay", "outbox relay: %s", e)
        else:
            pipe.outages.recovered("outbox relay")


def _settlement_agent(app: faust.App, pipe: Pipeline, program: str, topic_name: str) -> None:
    consumer = f"settlement-{program.lower()}"

    def to_row(record: dict[str, Any], event: Ev) -> SettlementRow:
        return settlement.settlement_row(
            record, position(event), pipe.codec.encode, pipe.rules, datetime.now(UTC)
        )

    async def settle(stream: StreamT[Any]) -> None:
        store = await pipe.resources.store()
        tracked = pipe.track(consumer, store)
        size, linger = pipe.settings.batch_size, pipe.settings.batch_linger_s
        async for events in batches(stream, size, linger, tracked):
            try:
                rows = await pipe.decode_rows(events, to_row, consumer)
                fresh = await pipe.write(
                    "settle", rows, lambda rs: store.settle(consumer, rs), consumer
                )
            except Exception as e:
                pipe.fatal(consumer, e)
            now = datetime.now(UTC)
            settled = {claim_id for ids in fresh for claim_id in ids}
            for _, row in rows:
                if row.claim_id in settled:
                    pipe.metrics.settled.labels(program).inc()
                    pipe.metrics.settled_amount.labels(program).inc(row.amount)
            for event, _ in rows:
                pipe.metrics.settlement_latency.labels(program).observe(
                    max(
                        (
                            now - datetime.fromtimestamp(event.message.timestamp, UTC)
                        ).total_seconds(),
                        0,
                    )
                )

    settle.__name__ = consumer.replace("-", "_")
    app.agent(pipe.topics[topic_name], name=consumer)(settle)


async def _publish_decision(
    pipe: Pipeline, decision: dict[str, Any], produced_at: float
) -> Sequence[Awaitable[Any]]:
    """Every decision goes to the decisions topic; approved ones also to their program's topic."""
    program, outcome = decision["program"], decision["outcome"]
    pipe.metrics.decisions.labels(program, outcome).inc()
    for reason in decision["reasons"]:
        pipe.metrics.rejections.labels(program, reason).inc()
    # From the claim reaching Kafka (its message timestamp) to now: the service's own latency,
    # whatever the claim's business date.
    pipe.metrics.decision_latency.labels(program).observe(max(time.time() - produced_at, 0.0))
    payload = pipe.codec.encode(T.CLAIM_DECIDED, decision)
    sent = [await pipe.send(T.CLAIM_DECISIONS.name, decision["claim_id"], payload)]
    if outcome == "APPROVED":
        sent.append(await pipe.send(PROGRAM_TOPICS[program], decision["claim_id"], payload))
    return sent
