"""An in-memory store: the worker's store port without PostgreSQL, for tests and fakes.

It keeps PostgreSQL's promises that the agents rely on (tests/contracts runs one suite against
both): positions fence a batch applied elsewhere, a failed transaction changes nothing,
a claim settles once, a payment result applies once, a published instruction stays published.
`fail` maps a method name to errors raised on its next calls (one per call), `racing` runs as a
transaction starts (another worker), so tests can drive the pipeline's error policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.adapters.memory_pensions import MemoryPensions
from services.app.followups import FollowUps, NewInstruction
from services.app.payroll import PensionChangeOutcome, PensionRow
from services.app.ports import WorkerStore
from services.app.records import (
    NO_EMPLOYER_EFFECTS,
    AccountCorrectionRow,
    BatchMarkerRow,
    Checkpoint,
    ContributionCheckRow,
    CorrectionOutcome,
    DeadLetterRow,
    DecisionRow,
    EmployerEffects,
    LegacyDeadLetter,
    ObligationRow,
    OutboxEvent,
    OutboxItem,
    ParticipantRow,
    PaymentOutcome,
    PaymentResultRow,
    PendingEvent,
    ReimbursementRow,
    SettlementRow,
    SponsorFundingRow,
)
from services.errors import Fenced
from services.sealing import Sealed


@dataclass
class MemoryStore(MemoryPensions):
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

    def _maybe_fail(self, op: str) -> None:
        errors = self.fail.get(op)
        if errors:
            raise errors.pop(0)

    positions: dict[tuple[str, str, int], int] = field(default_factory=dict)

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        return {p: o for (c, t, p), o in self.positions.items() if (c, t) == (consumer, topic)}

    def _check(self, rows: Sequence[DecisionRow] | Sequence[SettlementRow]) -> None:
        """What PostgreSQL's constraints would refuse (none modelled here; tests add some)."""

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
        employer: EmployerEffects = NO_EMPLOYER_EFFECTS,
    ) -> list[PendingEvent]:
        self._maybe_fail("commit_participants")
        self._fence(checkpoint)
        self._check(decisions)
        self._advance(checkpoint)
        for c in employer.checks:  # a redelivered posting adds nothing
            self.contribution_checks.setdefault(c.event_id, c)
        for o in employer.obligations:
            self.obligations.setdefault(o.obligation_id, o)
        for m in employer.reimbursements:
            if o_ := self.obligations.get(m.obligation_id):  # only an open one, once
                self.reimbursed.setdefault(o_.obligation_id, m)
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

    async def apply_payment_results(
        self,
        rows: Sequence[PaymentResultRow],
        interest: Callable[[str, int, date, date], tuple[int, int]],
        checkpoint: Checkpoint | None = None,
        followups: FollowUps | None = None,
    ) -> list[PaymentOutcome]:
        self._fence(checkpoint)
        self._advance(checkpoint)
        outcomes = []
        for r in rows:
            if any(p.event_id == r.event_id for p in self.payments):
                continue  # this result event applied already
            self.payments.append(r)
            if r.instruction_id in self.interest_instructions:
                continue  # the interest's own payment: the settlement is paid already
            s = self.settlements.get(r.claim_id)
            if s is None or r.claim_id in self.paid:
                continue  # unknown claim or already paid: a later result never un-pays
            days, amount = (
                (0, 0)
                if r.status != "PAID" or r.paid_on is None or s.payable_by != "BPJS"
                else interest(s.program, s.first_amount, s.due_date, r.paid_on)
            )
            if r.status == "PAID":
                self.paid.add(r.claim_id)
                self.failed.pop(r.claim_id, None)
            else:
                self.failed[r.claim_id] = r.instruction_id
            issued = None
            paid = self.outbox.get(r.instruction_id)
            if amount > 0 and followups is not None and paid is not None and r.paid_on:
                issued = self._issue(followups.interest(paid.payload, amount, r.paid_on))
                if issued is not None:
                    self.interest_instructions.add(issued)
            outcomes.append(PaymentOutcome(r.claim_id, s.program, r.status, days, amount, issued))
        return outcomes

    def _issue(self, i: NewInstruction) -> str | None:
        if any(k == i.idempotency_key for k in self.issued_keys.values()):
            return None  # issued once per idempotency key
        self.issued_keys[i.instruction_id] = i.idempotency_key
        self.outbox[i.instruction_id] = OutboxItem(i.instruction_id, i.claim_id, i.payload)
        return i.instruction_id

    async def apply_account_corrections(
        self,
        rows: Sequence[AccountCorrectionRow],
        followups: FollowUps,
        checkpoint: Checkpoint | None = None,
    ) -> list[CorrectionOutcome]:
        self._fence(checkpoint)
        self._advance(checkpoint)
        outcomes = []
        for r in rows:
            if r.event_id in self.corrections:
                continue  # this correction applied already
            outcome = self._correct(r, followups)
            self.corrections[r.event_id] = outcome
            outcomes.append(outcome)
        return outcomes

    def _correct(self, r: AccountCorrectionRow, followups: FollowUps) -> CorrectionOutcome:
        s = self.settlements.get(r.claim_id)
        if s is None:
            return CorrectionOutcome(r.claim_id, None, None, "unknown_claim")
        if s.payable_by != "BPJS":
            return CorrectionOutcome(r.claim_id, s.program, None, "employer_first")
        failed = self.failed.pop(r.claim_id, None)
        if failed is None or failed not in self.outbox:
            rejection = "already_paid" if r.claim_id in self.paid else "payment_pending"
            return CorrectionOutcome(r.claim_id, s.program, None, rejection)
        n = 1 + sum(k.startswith(f"reissue:{r.claim_id}:") for k in self.issued_keys.values())
        made = followups.reissue(self.outbox[failed].payload, r, n, failed)
        return CorrectionOutcome(r.claim_id, s.program, self._issue(made), None)

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

    async def unpaid_settlements(self) -> int:
        return sum(1 for claim_id in self.settlements if claim_id not in self.paid)

    async def unpaid_by_due_date(self, until: date) -> list[tuple[str, date, int]]:
        counted: dict[tuple[str, date], int] = {}
        for s in self.settlements.values():
            if s.claim_id not in self.paid and s.due_date <= until:
                counted[(s.program, s.due_date)] = counted.get((s.program, s.due_date), 0) + 1
        return [(program, due, n) for (program, due), n in counted.items()]

    async def owed_by_due_date(self) -> list[tuple[str, date, int, int]]:
        owed: dict[tuple[str, date], list[int]] = {}
        for claim_id, s in self.settlements.items():
            if s.instruction_payload is not None and claim_id not in self.paid:
                cell = owed.setdefault((s.program, s.due_date), [0, 0])
                cell[0], cell[1] = cell[0] + 1, cell[1] + s.amount
        return [(p, d, n, a) for (p, d), (n, a) in owed.items()]

    async def ping(self) -> None:
        return None

    async def claim_status(self, claim_id: str) -> dict[str, Any] | None:
        """The columns PostgreSQL's claim_status joins, from the decisions and settlements."""
        d = next((d for d in self.decisions if d.claim_id == claim_id), None)
        if d is None:
            return None
        s = self.settlements.get(claim_id)
        published = s is not None and s.instruction_id in self.published
        return {
            "claim_id": d.claim_id,
            "participant_ref": d.participant_ref,
            "program": d.program,
            "event_date": d.event_date,
            "submitted_at": d.submitted_at,
            "outcome": d.outcome,
            "reasons": list(d.reasons),
            "total": d.total,
            "payable_by": d.payable_by,
            "rule_set_version": d.rule_set_version,
            "decision": d.decision_json,
            "payment_status": None
            if s is None
            else ("PAID" if claim_id in self.paid else "PENDING"),
            "due_date": None if s is None else s.due_date,
            "paid_on": None,
            "days_late": None,
            "late_interest": None,
            "failure_reason": None,
            "instruction_published_at": None if not published else "published",
        }

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
