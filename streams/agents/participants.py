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

from services.app import adjudication, intake, settlement
from services.app.ports import ParticipantStore
from services.app.records import (
    Checkpoint,
    ContributionCheckRow,
    DecisionRow,
    EmployerEffects,
    ObligationRow,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
    ReimbursementRow,
)
from services.config_secrets import nik_keyring
from services.errors import InvalidEvent, ServiceError
from streams.delivery.batches import Ev, Plan, position
from streams.delivery.state_cache import State, StateCache
from streams.kafka import topics as T
from streams.kafka.codec import CodecError
from streams.pipeline import PROGRAM_TOPICS, Pipeline

log = logging.getLogger(__name__)
CONSUMER = "participant-events"
Decoded = tuple[Ev, str, dict[str, Any]]  # the event, its schema name, its record
Dead = tuple[Ev, BaseException]  # an event for the dead-letter topic, with its error


@dataclass
class Outcome:
    """What one batch produced, kept for the after-commit steps."""

    states: dict[int, dict[str, State]] = field(default_factory=dict)  # partition -> kpj -> state
    rows: list[ParticipantRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    outbox: list[OutboxEvent] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    decided: list[tuple[str, str, tuple[str, ...], float]] = field(default_factory=list)
    checks: list[ContributionCheckRow] = field(default_factory=list)
    obligations: list[ObligationRow] = field(default_factory=list)
    reimbursements: list[tuple[ReimbursementRow, str]] = field(default_factory=list)

    def employer(self) -> EmployerEffects:
        return EmployerEffects(
            tuple(self.checks), tuple(self.obligations), tuple(r for r, _ in self.reimbursements)
        )


class ParticipantEvents:
    consumer = CONSUMER

    def __init__(self, pipe: Pipeline, cache: StateCache) -> None:
        self.pipe = pipe
        self.cache = cache
        self.handler = adjudication.ParticipantEvents(pipe.rules, nik_keyring(pipe.settings))
        prefix = pipe.settings.topic_prefix
        self.decisions_topic = prefix + T.CLAIM_DECISIONS.name
        self.approved_topics = {p: prefix + name for p, name in PROGRAM_TOPICS.items()}
        self.obligations_topic = prefix + T.EMPLOYER_OBLIGATIONS.name
        self.instructions_topic = prefix + T.PAYMENT_INSTRUCTIONS.name

    async def prepare(self, store: ParticipantStore, events: Sequence[Ev]) -> Plan:
        """Decode and check the batch, read the states it needs, apply its events in order."""
        decoded, dead = self._decode(events)
        working, loaded_from = await self._states(store, decoded)
        sponsors = await self._sponsors(store, decoded, working)
        out = self._apply(decoded, working, loaded_from, sponsors, dead)
        return self._plan(store, events, out, dead)

    def _decode(self, events: Sequence[Ev]) -> tuple[list[Decoded], list[Dead]]:
        dead: list[Dead] = []
        decoded: list[Decoded] = []
        codec = self.pipe.codec
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
        return decoded, dead

    async def _states(
        self, store: ParticipantStore, decoded: list[Decoded]
    ) -> tuple[dict[str, State | None], dict[str, int]]:
        """The batch's working copies: from the cache, else one query for all that are missing
        (and the partition each missing one was read for)."""
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
            self.pipe.metrics.state_loads.inc(len(loaded_from))
            working.update(loaded)
        return working, loaded_from

    async def _sponsors(
        self, store: ParticipantStore, decoded: list[Decoded], working: dict[str, State | None]
    ) -> dict[str, dict[str, Any]]:
        """The fundings of the sponsors a claim of this batch may need (one query, or none)."""
        if not any(name.endswith("ClaimSubmitted") for _, name, _ in decoded):
            return {}
        ids = {s.get("sponsor") for s in working.values() if s is not None}
        ids |= {r.get("sponsor_id") for _, n, r in decoded if n.endswith("Enrolled")}
        return await store.sponsor_fundings(sorted(i for i in ids if i))

    def _apply(
        self,
        decoded: list[Decoded],
        working: dict[str, State | None],
        loaded_from: dict[str, int],
        sponsors: dict[str, dict[str, Any]],
        dead: list[Dead],
    ) -> Outcome:
        out = Outcome()
        # Loaded states are committed: cached with the batch's own once it commits too.
        for kpj, partition in loaded_from.items():
            state = working.get(kpj)
            if state is not None:
                out.states.setdefault(partition, {})[kpj] = state
        now = datetime.now(UTC)
        for event, name, record in decoded:
            kpj = record["kpj"]
            try:
                result = self.handler.apply(
                    name, record, working.get(kpj), sponsors.get, position(event), now
                )
            except Exception as e:
                if not isinstance(e, ServiceError):
                    log.exception("unexpected error at %s", position(event))
                dead.append((event, e))
                continue
            self._applied(out, working, event, kpj, result)
        return out

    def _applied(
        self,
        out: Outcome,
        working: dict[str, State | None],
        event: Ev,
        kpj: str,
        result: adjudication.Applied,
    ) -> None:
        """One applied event into the batch: its new state, row, decisions and employer side."""
        if result.state is not None:
            working[kpj] = result.state
            out.states.setdefault(event.message.partition, {})[kpj] = result.state
        if result.row is not None:
            out.rows.append(result.row)
        out.kinds[result.kind] += 1
        for decision in result.decisions:
            self._decided(out, decision, event.message.timestamp)
        if result.checks or result.obligations or result.reimbursements:
            self._employer(out, result)

    def _employer(self, out: Outcome, result: adjudication.Applied) -> None:
        """Checks, obligations and reimbursements commit with the batch; the records to
        publish go through the event outbox with the decisions."""
        encode = self.pipe.codec.encode
        out.checks.extend(result.checks)
        for o in result.obligations:
            out.obligations.append(o.row)
            payload = encode(T.EMPLOYER_OBLIGATION, o.record)
            key = o.row.employer_npp or o.row.claim_id
            out.outbox.append(OutboxEvent((self.obligations_topic,), key, payload))
        for r in result.reimbursements:
            out.reimbursements.append((r.row, r.program))
            payload = encode(T.PAYMENT_INSTRUCTION, r.instruction)
            out.outbox.append(OutboxEvent((self.instructions_topic,), r.claim_id, payload))

    def _plan(
        self, store: ParticipantStore, events: Sequence[Ev], out: Outcome, dead: list[Dead]
    ) -> Plan:
        """One transaction for the batch; after it, the cache, the metrics and the publish."""
        pipe = self.pipe

        async def commit(store: ParticipantStore, cp: Checkpoint) -> list[PendingEvent]:
            return await store.commit_participants(
                cp, out.rows, out.decisions, out.outbox, out.employer()
            )

        async def committed(pending: list[PendingEvent]) -> None:
            for partition, states in out.states.items():
                self.cache.committed(partition, states)
            pipe.metrics.state_cache_entries.set(len(self.cache))
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
        for posting in out.checks:
            for c in posting.lines:
                m.contributions_checked.labels(c.program.value, c.result).inc()
                if c.months_late:
                    m.contributions_late.labels(c.program.value).inc()
                if c.penalty:
                    m.contribution_penalties.labels(c.program.value).inc(c.penalty)
        for o in out.obligations:
            m.employer_obligations.labels(o.program, o.kind).inc()
            m.employer_obligation_amount.labels(o.program, o.kind).inc(o.amount)
        for _row, program in out.reimbursements:
            m.reimbursements.labels(program).inc()
        now = time.time()
        for program, outcome, reasons, produced_at in out.decided:
            m.decisions.labels(program, outcome).inc()
            for reason in reasons:
                m.rejections.labels(program, reason).inc()
            # From the claim reaching Kafka (its message timestamp) to its commit: the
            # service's own latency, whatever the claim's business date.
            m.decision_latency.labels(program).observe(max(now - produced_at, 0.0))
