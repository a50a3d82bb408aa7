"""Named reads of the settled state: what the worker, the reports, `claims status`, `claims
employer`, the bulk import and the dry run ask of PostgreSQL. No other module writes SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from services.adapters.pg_base import PoolUser
from services.app.records import (
    ContributionMonthRow,
    EmployerAccountRows,
    EmployerObligationRow,
    OutboxItem,
    PendingEvent,
)


class Queries(PoolUser):
    """The reads, each one named query (SQL stays in this adapter)."""

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        """The last offset `consumer` durably processed, per partition of `topic`."""
        rows = await self._guard(
            "processed_offsets",
            self._pool.fetch(
                'SELECT partition, "offset" FROM processed_offsets'
                " WHERE consumer = $1 AND topic = $2",
                consumer,
                topic,
            ),
        )
        return {int(r["partition"]): int(r["offset"]) for r in rows}

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The committed state of these participants (those never enrolled are left out)."""
        if not kpjs:
            return {}
        rows = await self._guard(
            "load_participants",
            self._pool.fetch(
                "SELECT kpj, coverage::text AS state FROM participants WHERE kpj = ANY($1::text[])",
                list(kpjs),
            ),
        )
        return {r["kpj"]: json.loads(r["state"]) for r in rows}

    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Funded periods per sponsor, as the adjudicator reads them: {"fundings": [[start, end,
        programs, cohort], ...]} sorted, one entry per (cohort, period start)."""
        if not sponsor_ids:
            return {}
        rows = await self._guard(
            "sponsor_fundings",
            self._pool.fetch(
                "SELECT sponsor_id, period_start, period_end, programs, cohort_id"
                " FROM sponsor_fundings WHERE sponsor_id = ANY($1::text[])",
                list(sponsor_ids),
            ),
        )
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            out.setdefault(r["sponsor_id"], {"fundings": []})["fundings"].append(
                [
                    r["period_start"].isoformat(),
                    r["period_end"].isoformat(),
                    list(r["programs"]),
                    r["cohort_id"],
                ]
            )
        for found in out.values():
            found["fundings"].sort()
        return out

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]:
        """Outbox records a worker committed but did not publish (it died first), oldest first."""
        rows = await self._guard(
            "events_pending",
            self._pool.fetch(
                "SELECT id, topics, key, payload FROM event_outbox"
                " WHERE created_at < now() - make_interval(secs => $2) ORDER BY id LIMIT $1",
                limit,
                older_than_s,
            ),
        )
        return [
            PendingEvent(r["id"], tuple(r["topics"]), r["key"], bytes(r["payload"])) for r in rows
        ]

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        rows = await self._guard(
            "outbox_pending",
            self._pool.fetch(
                "SELECT instruction_id, claim_id, payload FROM payment_outbox"
                " WHERE published_at IS NULL ORDER BY created_at, instruction_id LIMIT $1",
                limit,
            ),
        )
        return [OutboxItem(r["instruction_id"], r["claim_id"], bytes(r["payload"])) for r in rows]

    async def outbox_backlog(self) -> int:
        value = await self._guard(
            "outbox_backlog",
            self._pool.fetchval("SELECT count(*) FROM payment_outbox WHERE published_at IS NULL"),
        )
        return int(value)

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

    # -- operations: readiness, gauges, status ----------------------------------------------------

    async def ping(self) -> None:
        """PostgreSQL answers (for /readyz)."""
        await self._guard("ping", self._pool.fetchval("SELECT 1"))

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

    # -- an employer's account (`claims employer NPP`) --------------------------------------------

    async def employer_account(self, npp: str, on: date) -> EmployerAccountRows:
        """One employer's contribution checks paid by `on` (per month and program), its
        participants' states and its obligations, in one READ ONLY snapshot: the arrears
        worked out from the states and the checks beside them describe the same moment."""
        return await self._guard("employer_account", self._employer_account(npp, on))

    async def _employer_account(self, npp: str, on: date) -> EmployerAccountRows:
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            months = await conn.fetch(_EMPLOYER_CONTRIBUTIONS, npp, on)
            states = await conn.fetch(_EMPLOYER_PARTICIPANTS, npp)
            obligations = await conn.fetch(_EMPLOYER_OBLIGATIONS, npp)
        return EmployerAccountRows(
            months=tuple(ContributionMonthRow(**dict(r)) for r in months),
            participants={r["kpj"]: json.loads(r["state"]) for r in states},
            obligations=tuple(EmployerObligationRow(**dict(r)) for r in obligations),
        )

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

# Per participant, month and program: its postings summed, and the month as the last posting
# (latest payment date; then the latest batch, then the larger running total) judged it.
_EMPLOYER_CONTRIBUTIONS = """
WITH checks AS (
    SELECT * FROM contribution_checks WHERE employer_npp = $1 AND paid_on <= $2
), month AS (
    SELECT kpj, period, program, count(*) AS postings, sum(penalty) AS penalty,
           max(months_late) AS months_late
      FROM checks GROUP BY kpj, period, program
), last AS (
    SELECT DISTINCT ON (kpj, period, program) kpj, period, program, month_posted, expected,
           result, difference
      FROM checks ORDER BY kpj, period, program, paid_on DESC, checked_at DESC, month_posted DESC
)
SELECT period, program, count(*) AS participants, sum(m.postings)::bigint AS postings,
       sum(l.month_posted)::bigint AS posted, sum(l.expected)::bigint AS expected,
       count(*) FILTER (WHERE l.result = 'EXACT') AS exact,
       count(*) FILTER (WHERE l.result = 'UNDERPAID') AS underpaid,
       coalesce(sum(-l.difference) FILTER (WHERE l.result = 'UNDERPAID'), 0)::bigint AS shortfall,
       count(*) FILTER (WHERE l.result = 'OVERPAID') AS overpaid,
       coalesce(sum(l.difference) FILTER (WHERE l.result = 'OVERPAID'), 0)::bigint AS excess,
       count(*) FILTER (WHERE l.result = 'NOT_CHECKED') AS not_checked,
       count(*) FILTER (WHERE m.months_late > 0) AS late,
       sum(m.penalty)::bigint AS penalty
  FROM month m JOIN last l USING (kpj, period, program)
 GROUP BY period, program ORDER BY period, program
"""

_EMPLOYER_PARTICIPANTS = (
    "SELECT kpj, coverage::text AS state FROM participants WHERE employer_npp = $1 ORDER BY kpj"
)

_EMPLOYER_OBLIGATIONS = (
    "SELECT obligation_id, kind, claim_id, kpj, program, amount, status, reimbursement_amount,"
    " reimbursement_due_on, recorded_at FROM employer_obligations WHERE employer_npp = $1"
    " ORDER BY recorded_at, claim_id, kind"
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
