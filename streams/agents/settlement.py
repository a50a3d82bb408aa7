"""settlement-<program>: one agent per program settles its approved claims once each, and
writes the payment instruction to the payment outbox, in one transaction with its positions.
An approved JP pension also starts its pension there, and a JKK or JKm scholarship its
school years (those already begun paid with the claim), for the monthly payroll."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.app import payroll, scholarships, settlement
from services.app.ports import SettlementStore
from services.app.records import Checkpoint, SettlementRow
from services.rules.dates import month_start
from streams.delivery.batches import Ev, Plan, position
from streams.pipeline import Pipeline


class Settlement:
    def __init__(self, pipe: Pipeline, program: str) -> None:
        self.pipe = pipe
        self.program = program
        self.consumer = f"settlement-{program.lower()}"

    def to_row(self, record: dict[str, Any], event: Ev) -> SettlementRow:
        pipe, now = self.pipe, datetime.now(UTC)
        if self.program == "JP":
            row = settlement.settlement_row(
                record, position(event), pipe.codec.encode, pipe.rules, now
            )
            pension = payroll.pension_from_decision(record)
            return row if pension is None else replace(row, pension=pension)
        grants = scholarships.scholarships_from_decision(record)
        if not grants:
            return settlement.settlement_row(
                record, position(event), pipe.codec.encode, pipe.rules, now
            )
        row = settlement.settlement_row(
            record, position(event), pipe.codec.encode, pipe.rules, now,
            instruction_amount=record["total"] - scholarships.deferred(grants),
        )  # fmt: skip
        begun = scholarships.year_instructions(
            grants, month_start(row.complete_on), pipe.rules, pipe.codec.encode, now, row.due_date
        )
        return replace(row, scholarships=grants, scholarship_years=tuple(begun))

    async def prepare(self, store: SettlementStore, events: Sequence[Ev]) -> Plan:
        decoded, dead = self.pipe.decode_rows(events, self.to_row)
        rows = [row for _, row in decoded]

        async def commit(store: SettlementStore, cp: Checkpoint) -> list[str]:
            return await store.settle(self.consumer, rows, cp)

        async def committed(fresh: list[str]) -> None:
            m, program = self.pipe.metrics, self.program
            settled = set(fresh)
            now = datetime.now(UTC)
            for event, row in decoded:
                if row.claim_id in settled:
                    m.settled.labels(program).inc()
                    m.settled_amount.labels(program).inc(row.amount)
                sent = datetime.fromtimestamp(event.message.timestamp, UTC)
                m.settlement_latency.labels(program).observe(max((now - sent).total_seconds(), 0))

        return Plan(commit, dead, committed)
