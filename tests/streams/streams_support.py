"""Fakes for the Faust agent tests: an in-memory store and a producer that records sends."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import fastavro
import faust

from services.app.records import (
    BatchMarkerRow,
    Checkpoint,
    DeadLetterRow,
    DecisionRow,
    OutboxEvent,
    OutboxItem,
    ParticipantRow,
    PaymentOutcome,
    PaymentResultRow,
    PendingEvent,
    SettlementRow,
    SponsorFundingRow,
)
from services.errors import Fenced, StoreError
from streams.app import Pipeline
from streams.codec import AvroCodec

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KEY = "k" * 32


def fixture(codec: AvroCodec, name: str, /, **overrides: Any) -> dict[str, Any]:
    """The v1 fixture of `name`, decoded as the codec decodes it, with fields replaced."""
    text = (SCHEMAS / "fixtures" / name / "v1.json").read_text(encoding="utf-8")
    one_line = json.dumps(json.loads(text))  # fastavro's JSON reader takes one record per line
    record = dict(
        next(iter(fastavro.json_reader(io.StringIO(one_line), codec.schema(name).schema)))
    )
    return {**record, **overrides}


@dataclass
class MemoryStore:
    """The PostgresStore methods the agents and the outbox relays call, held in lists.

    `fail` maps a method name to errors raised on its next calls (one per call), to drive the
    pipeline's error policy. A transaction checks everything before it changes anything, so a
    failed one leaves the store as it was (as PostgreSQL's rollback would).
    """

    participants: list[ParticipantRow] = field(default_factory=list)
    fundings: list[SponsorFundingRow] = field(default_factory=list)
    batches: list[BatchMarkerRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    settlements: dict[str, SettlementRow] = field(default_factory=dict)
    settle_calls: list[str] = field(default_factory=list)
    payments: list[PaymentResultRow] = field(default_factory=list)
    dead_letters: list[DeadLetterRow] = field(default_factory=list)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    published: dict[str, tuple[int, int]] = field(default_factory=dict)
    fail: dict[str, list[Exception]] = field(default_factory=dict)

    def _maybe_fail(self, op: str) -> None:
        errors = self.fail.get(op)
        if errors:
            raise errors.pop(0)

    positions: dict[tuple[str, str, int], int] = field(default_factory=dict)

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        # Nothing processed yet means "start at offset 0" (test_context numbers from 0).
        floor = {partition: -1 for partition in range(8)}
        recorded = {p: o for (c, t, p), o in self.positions.items() if (c, t) == (consumer, topic)}
        return {**floor, **recorded}

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, PendingEvent] = field(default_factory=dict)
    event_ids: int = 0
    commits: int = 0

    racing: Callable[[], None] | None = None  # runs as a transaction starts (another worker)

    def _fence(self, cp: Checkpoint | None) -> None:
        if self.racing is not None:
            self.racing()
        if cp is None:
            return
        for m in cp.marks:
            done = self.positions.get((cp.consumer, m.topic, m.partition))
            if done is not None and done >= m.first:
                raise Fenced(f"{m.topic}[{m.partition}] already at {done}")

    def _advance(self, cp: Checkpoint | None) -> None:
        if cp is None:
            return
        for m in cp.marks:
            key = (cp.consumer, m.topic, m.partition)
            self.positions[key] = max(self.positions.get(key, -1), m.last)
        self.commits += 1

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._maybe_fail("load_participants")
        return {k: json.loads(json.dumps(self.states[k])) for k in kpjs if k in self.states}

    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for f in self.fundings:
            if f.sponsor_id in sponsor_ids:
                out.setdefault(f.sponsor_id, {"fundings": []})["fundings"].append(
                    [f.period_start.isoformat(), f.period_end.isoformat(), list(f.programs),
                     f.cohort_id]
                )  # fmt: skip
        return out

    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
    ) -> list[PendingEvent]:
        self._maybe_fail("commit_participants")
        self._fence(checkpoint)
        if any(r.claim_id == "POISON" for r in decisions):
            raise StoreError("commit_participants: value too long for column")
        self._advance(checkpoint)
        self.participants.extend(rows)
        for r in rows:
            self.states[r.kpj] = json.loads(r.coverage_json)
        known = {d.claim_id for d in self.decisions}
        self.decisions.extend(d for d in decisions if d.claim_id not in known)
        pending = []
        for e in outbox:
            self.event_ids += 1
            pending.append(PendingEvent(self.event_ids, e.topics, e.key, e.payload))
            self.events[self.event_ids] = pending[-1]
        return pending

    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        self._maybe_fail("commit_sponsors")
        self._fence(checkpoint)
        self._advance(checkpoint)
        self.fundings.extend(fundings)
        self.batches.extend(markers)

    async def advance(self, checkpoint: Checkpoint) -> None:
        self._fence(checkpoint)
        self._advance(checkpoint)

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]:
        return list(self.events.values())[:limit]

    async def events_published(self, ids: Sequence[int]) -> None:
        for i in ids:
            self.events.pop(i, None)

    async def settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None = None
    ) -> list[str]:
        self._maybe_fail("settle")
        self._fence(checkpoint)
        if any(r.claim_id == "POISON" for r in rows):
            raise StoreError("settle: value too long for column")
        self._advance(checkpoint)
        self.settle_calls.append(consumer)
        fresh = [r.claim_id for r in rows if r.claim_id not in self.settlements]
        for r in rows:
            if r.claim_id in fresh:
                self.settlements[r.claim_id] = r
                self.outbox[r.instruction_id] = OutboxItem(
                    r.instruction_id, r.claim_id, r.instruction_payload
                )
        return fresh

    async def apply_payment_results(
        self,
        rows: Sequence[PaymentResultRow],
        interest: Callable[[str, int, date, date], tuple[int, int]],
        checkpoint: Checkpoint | None = None,
    ) -> list[PaymentOutcome]:
        self._fence(checkpoint)
        self._advance(checkpoint)
        self.payments.extend(rows)
        outcomes = []
        for r in rows:
            s = self.settlements.get(r.claim_id)
            if s is None:
                continue
            days, amount = (
                (0, 0)
                if r.paid_on is None
                else interest(s.program, s.amount, s.due_date, r.paid_on)
            )
            outcomes.append(PaymentOutcome(r.claim_id, s.program, r.status, days, amount))
        return outcomes

    async def record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None = None
    ) -> None:
        self._maybe_fail("record_dead_letters")
        self._fence(checkpoint)
        self._advance(checkpoint)
        self.dead_letters.extend(rows)

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        self._maybe_fail("outbox_pending")
        return [i for k, i in self.outbox.items() if k not in self.published][:limit]

    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None:
        for instruction_id, partition, offset in published:
            self.published.setdefault(instruction_id, (partition, offset))

    async def outbox_backlog(self) -> int:
        return len(self.outbox) - len(self.published)


@dataclass(frozen=True)
class Sent:
    topic: str
    key: str
    value: bytes


@dataclass(frozen=True)
class Meta:
    """What the broker acknowledges a send with (RecordMetadata's partition and offset)."""

    partition: int
    offset: int


class RecordingProducer:
    """Replaces Pipeline.send: records each send and acknowledges it at once."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Meta]:
        self.sent.append(Sent(topic, key, value))
        done: asyncio.Future[Meta] = asyncio.get_running_loop().create_future()
        done.set_result(Meta(0, len(self.sent) - 1))
        return done

    def to(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until `check()` holds: a sink-less agent acknowledges a value before applying it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the agent")
        await asyncio.sleep(0.005)


class Fatal(Exception):
    """What pipe.fatal raises in tests instead of stopping the process."""


@dataclass
class Worker:
    """The app and pipeline from build_app, with the fakes wired in."""

    app: faust.App
    pipe: Pipeline
    store: MemoryStore
    producer: RecordingProducer
    fatal: list[tuple[str, BaseException]]
