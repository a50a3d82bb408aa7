"""The reads behind the worker's gauges, /readyz and /claims/{claim_id}: what is unpaid or owed
by due date, one claim's status, and whether PostgreSQL answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.adapters.pg_base import PoolUser


class GaugeReads(PoolUser):
    """The gauges port, each read one named query."""

    async def ping(self) -> None:
        """PostgreSQL answers (for /readyz)."""
        await self._guard("ping", self._pool.fetchval("SELECT 1"))

    async def unpaid_settlements(self) -> int:
        value = await self._guard(
            "unpaid_settlements",
            self._pool.fetchval(
                "SELECT count(*) FROM settlements s WHERE s.status = 'PENDING' AND NOT ("
                "s.payable_by = 'EMPLOYER_FIRST' AND NOT EXISTS (SELECT 1 FROM employer_obligations"
                " o WHERE o.claim_id = s.claim_id AND o.kind = 'BENEFIT_FIRST'"
                " AND o.status = 'REIMBURSEMENT_ISSUED'))"
            ),
        )
        return int(value)

    async def unpaid_by_due_date(self, until: date) -> list[tuple[str, date, int]]:
        """(program, due date, count) of settlements not yet paid and due on or before `until`."""
        rows = await self._guard(
            "unpaid_by_due_date",
            self._pool.fetch(
                "SELECT program, due_date, count(*) AS n FROM settlements s"
                " WHERE s.status <> 'PAID' AND NOT (s.payable_by = 'EMPLOYER_FIRST' AND NOT EXISTS"
                " (SELECT 1 FROM employer_obligations o WHERE o.claim_id = s.claim_id"
                " AND o.kind = 'BENEFIT_FIRST' AND o.status = 'REIMBURSEMENT_ISSUED'))"
                " AND due_date <= $1 GROUP BY program, due_date",
                until,
            ),
        )
        return [(r["program"], r["due_date"], int(r["n"])) for r in rows]

    async def owed_by_due_date(self) -> list[tuple[str, date, int, int]]:
        """(program, due date, instructions, Rupiah) of payment instructions not paid: PENDING,
        or FAILED and not re-issued (services/app/aged_unpaid.py)."""
        rows = await self._guard(
            "owed_by_due_date",
            self._pool.fetch(
                "SELECT o.program, o.due_date, count(*) AS n, sum(o.amount) AS amount"
                " FROM payment_outbox o WHERE o.status <> 'PAID' AND NOT EXISTS (SELECT 1"
                " FROM payment_outbox r WHERE r.replaces_instruction_id = o.instruction_id)"
                " GROUP BY o.program, o.due_date"
            ),
        )
        return [(r["program"], r["due_date"], int(r["n"]), int(r["amount"])) for r in rows]

    async def claim_status(self, claim_id: str) -> dict[str, Any] | None:
        """One claim's decision, settlement and instruction, joined (None: no such claim)."""
        row = await self._guard(
            "claim_status",
            self._pool.fetchrow(
                "SELECT c.claim_id, c.participant_ref, c.program, c.event_date, c.submitted_at,"
                " c.outcome, c.reasons, c.total, c.payable_by, c.rule_set_version, c.decision,"
                " s.status AS payment_status, s.due_date, s.paid_on, s.days_late,"
                " s.late_interest, s.failure_reason, o.published_at AS instruction_published_at"
                " FROM claims c LEFT JOIN settlements s USING (claim_id)"
                " LEFT JOIN payment_outbox o ON o.claim_id = c.claim_id AND o.purpose = 'claim'"
                " WHERE c.claim_id = $1",
                claim_id,
            ),
        )
        return None if row is None else dict(row)
