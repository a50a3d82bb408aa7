"""payment-results: what the payment services report back marks instructions and settlements
paid or failed, once per result event, with the statutory late-payment interest, which goes out
as its own instruction (idempotency key "interest:<claim_id>") in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from services.app import settlement
from services.app.followups import FollowUps
from services.app.payment_rows import PaymentOutcome
from services.app.ports import PaymentStore
from services.app.records import Checkpoint
from streams.delivery.batches import Ev, Plan
from streams.pipeline import Pipeline


class PaymentResults:
    consumer = "payment-results"

    def __init__(self, pipe: Pipeline, followups: FollowUps) -> None:
        self.pipe = pipe
        self.interest = settlement.interest_fn(pipe.rules)
        self.followups = followups

    async def prepare(self, store: PaymentStore, events: Sequence[Ev]) -> Plan:
        decoded, dead = self.pipe.decode_rows(
            events, lambda r, _: settlement.payment_result_row(r), validate=True
        )
        rows = [row for _, row in decoded]

        async def commit(store: PaymentStore, cp: Checkpoint) -> list[PaymentOutcome]:
            return await store.apply_payment_results(rows, self.interest, cp, self.followups)

        async def committed(outcomes: list[PaymentOutcome]) -> None:
            m = self.pipe.metrics
            for o in outcomes:
                m.payments.labels(o.program, o.status).inc()
                m.late_interest.labels(o.program).inc(o.late_interest)
                if o.interest_instruction is not None:
                    m.instructions_issued.labels(o.program, "interest").inc()

        return Plan(commit, dead, committed)
