"""The memory store's gauge reads: the same answers as gauges.py, from the settlements, the
decisions and the instructions published (tests/contracts holds both to one behaviour)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.app.records import DecisionRow, SettlementRow


class MemoryGauges:
    """Mixed into MemoryStore, which holds the state."""

    decisions: list[DecisionRow]
    settlements: dict[str, SettlementRow]
    paid: set[str]
    published: dict[str, tuple[int, int]]

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
