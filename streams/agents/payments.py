"""payment-results: what the payment services report back marks settlements paid or failed,
once per result event, with the statutory late-payment interest."""

from __future__ import annotations

from collections.abc import Sequence

from services.adapters.postgres import PostgresStore
from services.app import settlement
from services.app.records import Checkpoint, PaymentOutcome
from streams.delivery import Ev, Plan
from streams.pipeline import Pipeline


class PaymentResults:
    consumer = "payment-results"

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe
        self.interest = settlement.interest_fn(pipe.rules)

    async def prepare(self, store: PostgresStore, events: Sequence[Ev]) -> Plan:
        decoded, dead = self.pipe.decode_rows(
            events, lambda r, _: settlement.payment_result_row(r), validate=True
        )
        rows = [row for _, row in decoded]

        async def commit(store: PostgresStore, cp: Checkpoint) -> list[PaymentOutcome]:
            return await store.apply_payment_results(rows, self.interest, cp)

        async def committed(outcomes: list[PaymentOutcome]) -> None:
            m = self.pipe.metrics
            for o in outcomes:
                m.payments.labels(o.program, o.status).inc()
                m.late_interest.labels(o.program).inc(o.late_interest)

        return Plan(commit, dead, committed)
