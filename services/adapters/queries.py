"""Named reads for the tools: the summary `claims run` prints, who the bulk import finds
enrolled, and the dry run's decided claims, read only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.adapters.pg_base import PoolUser


class Queries(PoolUser):
    """The tools' reads, each one named query (SQL stays in this adapter)."""

    # -- the run summary ---------------------------------------------------------------------------

    async def run_summary(self) -> dict[str, list[dict[str, Any]]]:
        """What `claims run` prints: claims, settlements, rejection reasons, participants,
        enrollment batches and dead letters, counted."""
        return {name: await self._rows(name, sql) for name, sql in _SUMMARY.items()}

    async def _rows(self, op: str, sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._guard(op, self._pool.fetch(sql, *args))]

    # -- the bulk import ------------------------------------------------------------------------

    async def enrolled(
        self, kpjs: Sequence[str], participant_refs: Sequence[str]
    ) -> list[tuple[str, str, str | None]]:
        """(kpj, participant_ref, batch_id) of everyone enrolled under one of these KPJs or NIK
        pseudonyms (never a clear NIK)."""
        rows = await self._guard(
            "enrolled",
            self._pool.fetch(
                "SELECT kpj, participant_ref, batch_id FROM participants"
                " WHERE kpj = ANY($1::text[]) OR participant_ref = ANY($2::text[])",
                list(kpjs),
                list(participant_refs),
            ),
        )
        return [(r["kpj"], r["participant_ref"], r["batch_id"]) for r in rows]

    # -- the dry run (read only) ------------------------------------------------------------------

    async def decided_claims(
        self,
        start: date,
        end: date,
        program: str | None,
        after: tuple[date, str],
        limit: int,
    ) -> list[dict[str, Any]]:
        """Decided claims whose event date is in [start, end], after `after` (event date, claim
        id) in that order: one keyset page, read in a READ ONLY transaction."""
        return await self.read_only(_DECIDED_CLAIMS, start, end, program, *after, limit)

    async def read_only(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """A query in a READ ONLY transaction: PostgreSQL itself refuses any write (the dry
        run's guard; tests prove it with a DELETE)."""
        return await self._guard("read_only", self._read_only(sql, *args))

    async def _read_only(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            return [dict(r) for r in await conn.fetch(sql, *args)]


_DECIDED_CLAIMS = (
    "SELECT claim_id, program, event_date, outcome, reasons, total, rule_set_version, decision,"
    " assessment_inputs FROM claims"
    " WHERE event_date BETWEEN $1 AND $2 AND ($3::text IS NULL OR program = $3)"
    " AND (event_date, claim_id) > ($4, $5)"
    " ORDER BY event_date, claim_id LIMIT $6"
)


# A settlement BPJS still has to pay is pending and not an employer-first claim still waiting for
# the employer's arrears (its one instruction, the reimbursement, is not issued yet): those have
# no statutory deadline for BPJS, the employer pays the worker (services/app/employer_accounts.py).
# The clause is written out in each query below (no SQL is built from strings).
_SUMMARY = {
    "claims": "SELECT program, outcome, count(*) AS n, coalesce(sum(total), 0) AS amount"
    " FROM claims GROUP BY program, outcome",
    "settled": "SELECT program, count(*) AS n, coalesce(sum(amount), 0) AS amount,"
    " count(*) FILTER (WHERE status = 'PAID') AS paid,"
    " count(*) FILTER (WHERE status = 'FAILED') AS failed,"
    " count(*) FILTER (WHERE days_late > 0) AS late,"
    " coalesce(sum(late_interest), 0) AS interest,"
    " count(*) FILTER (WHERE payable_by = 'EMPLOYER_FIRST') AS employer_first,"
    " count(*) FILTER (WHERE s.status = 'PENDING' AND s.payable_by = 'EMPLOYER_FIRST'"
    " AND NOT EXISTS (SELECT 1 FROM employer_obligations o WHERE o.claim_id = s.claim_id"
    " AND o.kind = 'BENEFIT_FIRST' AND o.status = 'REIMBURSEMENT_ISSUED')) AS awaiting_employer"
    " FROM settlements s GROUP BY program",
    "reasons": "SELECT program, unnest(reasons) AS reason, count(*) AS n FROM claims"
    " WHERE outcome = 'REJECTED' GROUP BY 1, 2 ORDER BY 1, 3 DESC",
    "participants": "SELECT category, count(*) AS n FROM participants GROUP BY category ORDER BY 1",
    "batches": "SELECT b.batch_id, b.expected_count, count(p.kpj) AS applied"
    " FROM enrollment_batches b LEFT JOIN participants p ON p.batch_id = b.batch_id"
    " GROUP BY b.batch_id, b.expected_count ORDER BY 1",
    "dead_letters": "SELECT error_class, count(*) AS n FROM dead_letters"
    " GROUP BY 1 ORDER BY 2 DESC",
    # The event and the first field at fault: InvalidEvent's message starts "<schema>: <field>=".
    "dead_letter_causes": "SELECT error_class, split_part(error_message, ':', 1) AS event,"
    " CASE WHEN error_class IN ('InvalidEvent', 'KeyMismatch')"
    " THEN split_part(split_part(error_message, ': ', 2), '=', 1) END AS field, count(*) AS n"
    " FROM dead_letters GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3",
    "contributions": "SELECT count(DISTINCT event_id) AS postings, count(*) AS lines,"
    " count(DISTINCT employer_npp) AS employers,"
    " count(*) FILTER (WHERE result = 'EXACT') AS exact,"
    " count(*) FILTER (WHERE result = 'UNDERPAID') AS under,"
    " count(*) FILTER (WHERE result = 'OVERPAID') AS over,"
    " count(*) FILTER (WHERE result = 'NOT_CHECKED') AS not_checked,"
    " coalesce(-sum(difference) FILTER (WHERE result = 'UNDERPAID'), 0) AS under_amount,"
    " coalesce(sum(difference) FILTER (WHERE result = 'OVERPAID'), 0) AS over_amount,"
    " count(*) FILTER (WHERE months_late > 0) AS late,"
    " coalesce(sum(penalty), 0) AS penalty FROM contribution_checks",
    "obligations": "SELECT kind, status, count(*) AS n, coalesce(sum(amount), 0) AS amount,"
    " count(DISTINCT employer_npp) AS employers"
    " FROM employer_obligations GROUP BY 1, 2 ORDER BY 1, 2",
    # Instructions beyond a claim's first (#15): the late interest and re-issues after a payee
    # correction; and the corrections, re-issued or rejected.
    "followups": "SELECT purpose, count(*) AS n, coalesce(sum(amount), 0) AS amount,"
    " count(*) FILTER (WHERE status = 'PAID') AS paid FROM payment_outbox"
    " WHERE purpose <> 'claim' GROUP BY 1 ORDER BY 1",
    "corrections": "SELECT outcome, coalesce(rejection, '') AS rejection, count(*) AS n"
    " FROM account_corrections GROUP BY 1, 2 ORDER BY 1, 2",
}
