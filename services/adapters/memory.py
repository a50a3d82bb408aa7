"""An in-memory store: the worker's store port without PostgreSQL, for tests and fakes.

It keeps PostgreSQL's promises that the agents rely on (tests/contracts runs one suite against
both): positions fence a batch applied elsewhere, a failed transaction changes nothing,
a claim settles once, a payment result applies once, a published instruction stays published.
`fail` maps a method name to errors raised on its next calls (one per call), `racing` runs as a
transaction starts (another worker), so tests can drive the pipeline's error policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.adapters.memory_gauges import MemoryGauges
from services.adapters.memory_participants import MemoryParticipants
from services.adapters.memory_payment_results import MemoryPaymentResults
from services.adapters.memory_pensions import MemoryPensions
from services.app.followups import NewInstruction
from services.app.payment_rows import (
    CorrectionOutcome,
    PaymentResultRow,
)
from services.app.payroll import PensionChangeOutcome, PensionRow
from services.app.ports import WorkerStore
from services.app.records import (
    BatchMarkerRow,
    Checkpoint,
    ContributionCheckRow,
    DeadLetterRow,
    DecisionRow,
    LegacyDeadLetter,
    ObligationRow,
    OutboxItem,
    ParticipantRow,
    PendingEvent,
    ReimbursementRow,
    SettlementRow,
    SponsorFundingRow,
)
from services.errors import Fenced
from services.sealing import Sealed


@dataclass
class MemoryStore(MemoryParticipants, MemoryPaymentResults, MemoryGauges, MemoryPensions):
    """The worker's store port (services/app/ports.py WorkerStore) held in lists and dicts.

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
    paid: set[str] = field(default_factory=set)
    contribution_checks: dict[str, ContributionCheckRow] = field(default_factory=dict)
    obligations: dict[str, ObligationRow] = field(default_factory=dict)
    reimbursed: dict[str, ReimbursementRow] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # claim id -> its FAILED instruction
    issued_keys: dict[str, str] = field(default_factory=dict)  # follow-up id -> idempotency key
    interest_instructions: set[str] = field(default_factory=set)
    corrections: dict[str, CorrectionOutcome] = field(default_factory=dict)
    pensions: dict[str, PensionRow] = field(default_factory=dict)
    pension_changes: dict[str, PensionChangeOutcome] = field(default_factory=dict)
    pension_months: dict[str, int] = field(default_factory=dict)
    positions: dict[tuple[str, str, int], int] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, PendingEvent] = field(default_factory=dict)
    event_ids: int = 0
    commits: int = 0

    racing: Callable[[], None] | None = None  # runs as a transaction starts (another worker)

    def _maybe_fail(self, op: str) -> None:
        errors = self.fail.get(op)
        if errors:
            raise errors.pop(0)

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        return {p: o for (c, t, p), o in self.positions.items() if (c, t) == (consumer, topic)}

    def _check(self, rows: Sequence[DecisionRow] | Sequence[SettlementRow]) -> None:
        """What PostgreSQL's constraints would refuse (none modelled here; tests add some)."""

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

    async def advance(self, checkpoint: Checkpoint) -> None:
        self._fence(checkpoint)
        self._advance(checkpoint)

    async def settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None = None
    ) -> list[str]:
        self._maybe_fail("settle")
        self._fence(checkpoint)
        self._check(rows)
        self._advance(checkpoint)
        self.settle_calls.append(consumer)
        fresh: list[str] = []
        for r in rows:  # a claim delivered twice in one batch settles once
            if r.claim_id not in self.settlements:
                fresh.append(r.claim_id)
                self.settlements[r.claim_id] = r
                if r.instruction_payload is not None:  # None: employer-first, no instruction
                    self.outbox[r.instruction_id] = OutboxItem(
                        r.instruction_id, r.claim_id, r.instruction_payload
                    )
                if r.pension is not None:
                    self._start_pensions([r.pension])
                for y in r.scholarship_years:  # the school years already begun
                    self._issue(
                        NewInstruction(
                            y.instruction_id, y.claim_id, y.idempotency_key, y.program,
                            y.amount, y.due_date, None, y.payload,
                        )
                    )  # fmt: skip
        if checkpoint is None:  # positions from the rows themselves, as PostgreSQL records them
            for r in rows:
                key = (consumer, r.position.topic, r.position.partition)
                self.positions[key] = max(self.positions.get(key, -1), r.position.offset)
        return fresh

    def _issue(self, i: NewInstruction) -> str | None:
        if any(k == i.idempotency_key for k in self.issued_keys.values()):
            return None  # issued once per idempotency key
        self.issued_keys[i.instruction_id] = i.idempotency_key
        self.outbox[i.instruction_id] = OutboxItem(i.instruction_id, i.claim_id, i.payload)
        return i.instruction_id

    async def record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None = None
    ) -> None:
        self._maybe_fail("record_dead_letters")
        self._fence(checkpoint)
        self._advance(checkpoint)
        self.dead_letters.extend(rows)

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]:
        return list(self.events.values())[:limit]

    async def events_published(self, ids: Sequence[int]) -> None:
        for i in ids:
            self.events.pop(i, None)

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        self._maybe_fail("outbox_pending")
        return [i for k, i in self.outbox.items() if k not in self.published][:limit]

    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None:
        for instruction_id, partition, offset in published:
            self.published.setdefault(instruction_id, (partition, offset))

    async def outbox_backlog(self) -> int:
        return len(self.outbox) - len(self.published)

    async def migrate(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None

    async def legacy_dead_letters(self, limit: int) -> list[LegacyDeadLetter]:
        return []  # a memory store never held pre-0003 rows

    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None:
        raise NotImplementedError("a memory store has no legacy dead letters to reseal")


def _implements_the_port(store: MemoryStore) -> WorkerStore:
    return store  # mypy checks here that MemoryStore has every method of WorkerStore
