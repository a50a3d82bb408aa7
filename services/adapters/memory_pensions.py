"""The memory store's JP pensions: the same use cases as services/adapters/pensions.py, held in
dicts (tests/contracts holds both to one behaviour)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from services.app.followups import NewInstruction
from services.app.payroll import (
    PayrollRun,
    PensionChangeOutcome,
    PensionChangeRow,
    PensionRow,
    decide_change,
    month_instructions,
)
from services.app.records import Checkpoint
from services.app.scholarships import ScholarshipStopRow
from services.rules import RuleSet
from services.rules.dates import month_start
from services.rules.pension import aged_out_after


class MemoryPensions:
    """Mixed into MemoryStore, which holds the state and the fencing."""

    pensions: dict[str, PensionRow]
    pension_changes: dict[str, PensionChangeOutcome]
    pension_months: dict[str, int]  # idempotency key -> amount

    def _fence(self, checkpoint: Checkpoint | None) -> None: ...
    def _advance(self, checkpoint: Checkpoint | None) -> None: ...
    def _issue(self, i: NewInstruction) -> str | None: ...

    def _start_pensions(self, rows: Sequence[PensionRow]) -> None:
        for r in rows:
            self.pensions.setdefault(r.pension.pension_id, r)

    async def apply_benefit_changes(
        self,
        rows: Sequence[PensionChangeRow],
        rules: RuleSet,
        checkpoint: Checkpoint | None,
        stops: Sequence[ScholarshipStopRow] = (),
    ) -> list[PensionChangeOutcome]:
        self._fence(checkpoint)
        self._advance(checkpoint)
        outcomes = []
        for r in sorted(rows, key=lambda r: r.claim_id):
            if r.event_id in self.pension_changes:
                continue  # applied already
            chain = [p for p in self.pensions.values() if p.claim_id == r.claim_id]
            current = next((p for p in chain if p.pension.last_month is None), None)
            d = decide_change(current, bool(chain), r, rules)
            if d.rejection is None and current is not None:
                p = current.pension
                p = replace(p, last_month=d.last_month or p.last_month)
                if d.beneficiaries is not None:
                    p = replace(p, beneficiaries=d.beneficiaries)
                self.pensions[p.pension_id] = replace(current, pension=p)
                if d.successor is not None:
                    self._start_pensions([d.successor])
            started = None if d.successor is None else d.successor.pension.pension_id
            outcome = PensionChangeOutcome(r.claim_id, r.change, d.rejection, started)
            self.pension_changes[r.event_id] = outcome
            outcomes.append(outcome)
        for stop in stops:  # scholarships live in PostgreSQL only: none is known here
            if stop.event_id not in self.pension_changes:
                o = PensionChangeOutcome(
                    stop.claim_id, "SCHOLARSHIP_STOPPED", "unknown_scholarship", None
                )
                self.pension_changes[stop.event_id] = o
                outcomes.append(o)
        return outcomes

    async def run_payroll(
        self,
        month: date,
        rules: RuleSet,
        encode: Callable[[str, Mapping[str, Any]], bytes],
        run_by: str,
    ) -> PayrollRun:
        month = month_start(month)
        ended = 0
        for pid, row in list(self.pensions.items()):
            last = aged_out_after(row.pension, month, rules)
            if last is not None:
                self.pensions[pid] = replace(row, pension=replace(row.pension, last_month=last))
                ended += 1
        rows = sorted(self.pensions.values(), key=lambda r: r.pension.pension_id)
        made = month_instructions(rows, month, rules, encode, datetime.now(UTC))
        written = written_amount = 0
        for m in made:
            issued = self._issue(
                NewInstruction(
                    m.instruction_id, m.claim_id, m.idempotency_key, "JP", m.amount, m.due_date,
                    None, m.payload,
                )
            )  # fmt: skip
            if issued is not None:
                self.pension_months[m.idempotency_key] = m.amount
                written += 1
                written_amount += m.amount
        amount = sum(m.amount for m in made)
        return PayrollRun(
            month, len(made), written, len(made) - written, amount, ended, written_amount
        )
