"""participant-events: enrollments, program changes, contributions, ends of coverage and claims,
applied in order per participant (KPJ), and claims judged by the rules in force on their date.

One batch, one transaction: the participants' new states, the decided claims, the decisions to
publish (outbox) and the batch's positions commit together (PostgresStore.commit_participants).
States come from the worker's cache or, for the keys it does not hold, from one query per batch;
the cache takes the new states only after the commit. The decisions are published right after
the commit, to the decisions topic and, when approved, to the program's topic.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.adapters.postgres import PostgresStore
from services.app import adjudication, intake, settlement
from services.app.records import (
    Checkpoint,
    DecisionRow,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
)
from services.errors import InvalidEvent, ServiceError
from streams import topics as T
from streams.codec import CodecError
from streams.delivery import Ev, Plan, position
from streams.pipeline import PROGRAM_TOPICS, Pipeline
from streams.state_cache import State, StateCache

log = logging.getLogger(__name__)
CONSUMER = "participant-events"


@dataclass
class Outcome:
    """What one batch produced, kept for the after-commit steps."""

    states: dict[int, dict[str, State]] = field(default_factory=dict)  # partition -> kpj -> state
    rows: list[ParticipantRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    outbox: list[OutboxEvent] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    decided: list[tuple[str, str, tuple[str, ...], float]] = field(default_factory=list)


class ParticipantEvents:
    consumer = CONSUMER

    def __init__(self, pipe: Pipeline, cache: StateCache) -> None:
        self.pipe = pipe
        self.cache = cache
        self.handler = adjudication.ParticipantEvents(pipe.rules, pipe.settings.nik_hash_key.value)
        prefix = pipe.settings.topic_prefix
        self.decisions_topic = prefix + T.CLAIM_DECISIONS.name
        self.approved_topics = {p: prefix + name for p, name in PROGRAM_TOPICS.items()}

    async def prepare(self, store: PostgresStore, events: Sequence[Ev]) -> Plan:
        pipe, codec = self.pipe, self.pipe.codec
        dead: list[tuple[Ev, BaseException]] = []
        decoded: list[tuple[Ev, str, dict[str, Any]]] = []
        for event in events:
            try:
                d = codec.decode(event.value)
                intake.validate(d.name, d.record)
                intake.check_participant_key(d.name, event.message.key, d.record)
            except Exception as e:  # one bad event never stops the stream
                if not isinstance(e, CodecError | InvalidEvent | ServiceError):
                    log.exception("unexpected error at %s", position(event))
                dead.append((event, e))
                continue
            decoded.append((event, d.name, d.record))

        # The batch's working copies: from the cache, else one query for all that are missing.
        working: dict[str, State | None] = {}
        loaded_from: dict[str, int] = {}
        for event, _, record in decoded:
            kpj = record["kpj"]
            if kpj not in working:
                working[kpj] = self.cache.get(event.message.partition, kpj)
                if working[kpj] is None:
                    loaded_from[kpj] = event.message.partition
        if loaded_from:
            loaded = await store.load_participants(sorted(loaded_from))
            pipe.metrics.state_loads.inc(len(loaded_from))
            working.update(loaded)
        sponsors: dict[str, dict[str, Any]] = {}
        if any(name.endswith("ClaimSubmitted") for _, name, _ in decoded):
            ids = {s.get("sponsor") for s in working.values() if s is not None}
            ids |= {r.get("sponsor_id") for _, n, r in decoded if n.endswith("Enrolled")}
            sponsors = await store.sponsor_fundings(sorted(i for i in ids if i))

        out = Outcome()
        # Loaded states are committed: cached with the batch's own once it commits too.
        for kpj, partition in loaded_from.items():
            state = working.get(kpj)
            if state is not None:
                out.states.setdefault(partition, {})[kpj] = state
        now = datetime.now(UTC)
        for event, name, record in decoded:
            kpj, partition = record["kpj"], event.message.partition
            try:
                result = self.handler.apply(
                    name, record, working.get(kpj), sponsors.get, position(event), now
                )
            except Exception as e:
                if not isinstance(e, ServiceError):
                    log.exception("unexpected error at %s", position(event))
                dead.append((event, e))
                continue
            if result.state is not None:
                working[kpj] = result.state
                out.states.setdefault(partition, {})[kpj] = result.state
            if result.row is not None:
                out.rows.append(result.row)
            out.kinds[result.kind] += 1
            for decision in result.decisions:
                self._decided(out, decision, event.message.timestamp)

        async def commit(store: PostgresStore, cp: Checkpoint) -> list[PendingEvent]:
            return await store.commit_participants(cp, out.rows, out.decisions, out.outbox)

        async def committed(pending: list[PendingEvent]) -> None:
            for partition, states in out.states.items():
                self.cache.committed(partition, states)
            self.pipe.metrics.state_cache_entries.set(len(self.cache))
            self._count(out)
            try:
                await pipe.publish(store, pending)
            except Exception as e:  # committed: the leader's relay publishes them later
                pipe.outages.warning(
                    "publish", "decisions committed but not published yet (relay retries): %s", e
                )
            else:
                pipe.outages.recovered("publish")

        def failed() -> None:
            self.cache.drop({e.message.partition for e in events})

        return Plan(commit, dead, committed, failed)

    def _decided(self, out: Outcome, decision: dict[str, Any], produced_at: float) -> None:
        """Every decision goes to the decisions topic; approved ones also to their program's."""
        program, outcome = decision["program"], decision["outcome"]
        payload = self.pipe.codec.encode(T.CLAIM_DECIDED, decision)
        topics: tuple[str, ...] = (self.decisions_topic,)
        if outcome == "APPROVED":
            topics = (self.decisions_topic, self.approved_topics[program])
        out.outbox.append(OutboxEvent(topics, decision["claim_id"], payload))
        out.decisions.append(settlement.decision_row(decision))
        out.decided.append((program, outcome, tuple(decision["reasons"]), produced_at))

    def _count(self, out: Outcome) -> None:
        """Metrics once per batch, after its commit."""
        m = self.pipe.metrics
        for kind, n in out.kinds.items():
            m.events_applied.labels(kind).inc(n)
        now = time.time()
        for program, outcome, reasons, produced_at in out.decided:
            m.decisions.labels(program, outcome).inc()
            for reason in reasons:
                m.rejections.labels(program, reason).inc()
            # From the claim reaching Kafka (its message timestamp) to its commit: the
            # service's own latency, whatever the claim's business date.
            m.decision_latency.labels(program).observe(max(now - produced_at, 0.0))
