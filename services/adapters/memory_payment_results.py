"""The memory store's payment results and account corrections: the same use cases as
payment_results.py, held in dicts (tests/contracts holds both to one behaviour)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from services.app.followups import FollowUps, NewInstruction
from services.app.payment_rows import (
    AccountCorrectionRow,
    CorrectionOutcome,
    PaymentOutcome,
    PaymentResultRow,
)
from services.app.records import (
    Checkpoint,
    OutboxItem,
    SettlementRow,
)


class MemoryPaymentResults:
    """Mixed into MemoryStore, which holds the state, the fencing and the instructions issued."""

    settlements: dict[str, SettlementRow]
    payments: list[PaymentResultRow]
    outbox: dict[str, OutboxItem]
    paid: set[str]
    failed: dict[str, str]
    issued_keys: dict[str, str]
    interest_instructions: set[str]
    corrections: dict[str, CorrectionOutcome]

    def _fence(self, cp: Checkpoint | None) -> None: ...
    def _advance(self, cp: Checkpoint | None) -> None: ...
    def _issue(self, i: NewInstruction) -> str | None: ...

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
