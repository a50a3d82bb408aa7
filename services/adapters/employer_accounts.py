"""Employer accounts in PostgreSQL: the contribution checks, obligations and reimbursements a
participant batch writes, and the one-snapshot read behind `claims employer NPP`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from services.adapters.pg_base import PoolUser
from services.app.employer_account_rows import (
    ContributionMonthRow,
    EmployerAccountRows,
    EmployerObligationRow,
)
from services.app.records import (
    ContributionCheckRow,
    EmployerEffects,
)

_POSTING_COLUMNS = (
    "event_id",
    "kpj",
    "participant_ref",
    "employer_npp",
    "category",
    "period",
    "wage_base",
    "paid_on",
    "due_on",
    "months_late",
    "programs",
    "posted",
    "month_posted",
    "expected",
    "results",
    "differences",
    "penalties",
    "details",
    "rule_set_version",
)
# Built from the fixed column list above, never from input: no injection vector.
_INSERT_POSTINGS = (
    "INSERT INTO contribution_postings ("  # noqa: S608
    + ", ".join(_POSTING_COLUMNS)
    + ") SELECT "
    + ", ".join(_POSTING_COLUMNS)
    + " FROM contribution_postings_in ON CONFLICT (event_id) DO NOTHING"
)
_INSERT_OBLIGATION = (
    "INSERT INTO employer_obligations (obligation_id, kind, claim_id, employer_npp, kpj,"
    " participant_ref, program, amount, components, reason, regulation)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10,$11) ON CONFLICT (obligation_id) DO NOTHING"
)
_REIMBURSE = (
    "UPDATE employer_obligations SET status = 'REIMBURSEMENT_ISSUED',"
    " reimbursement_instruction_id = $2, reimbursement_amount = $3, reimbursement_due_on = $4,"
    " reimbursed_after = $5, updated_at = now() WHERE obligation_id = $1 AND status = 'OPEN'"
)


async def _write_employer(conn: asyncpg.Connection, effects: EmployerEffects) -> None:
    """Contribution checks, obligations, then reimbursements (an obligation is always written
    in an earlier or the same batch as its reimbursement: both come from one participant's
    events, in order)."""
    if effects.checks:  # COPY into a staging table (array columns), then one insert
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS contribution_postings_in"
            " (LIKE contribution_postings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await conn.copy_records_to_table(
            "contribution_postings_in",
            columns=_POSTING_COLUMNS,
            records=_posting_records(effects.checks),
        )
        await conn.execute(_INSERT_POSTINGS)
    if effects.obligations:
        await conn.executemany(
            _INSERT_OBLIGATION,
            [
                (o.obligation_id, o.kind, o.claim_id, o.employer_npp, o.kpj, o.participant_ref,
                 o.program, o.amount, o.components_json, o.reason, o.regulation)
                for o in effects.obligations
            ],
        )  # fmt: skip
    if effects.reimbursements:
        await conn.executemany(
            _REIMBURSE,
            [
                (r.obligation_id, r.instruction_id, r.amount, r.due_on, r.cleared_by)
                for r in effects.reimbursements
            ],
        )


def _posting_records(rows: Sequence[ContributionCheckRow]) -> list[tuple[Any, ...]]:
    """COPY records. Postings of the same terms share one tuple of lines (EmployerAccounts
    caches its judgements), so their eight array columns are made once per batch."""
    arrays: dict[int, tuple[list[Any], ...]] = {}
    out = []
    for r in rows:
        lines = r.lines
        columns = arrays.get(id(lines))  # the tuples live as long as `rows`
        if columns is None:
            columns = arrays[id(lines)] = (
                [c.program.value for c in lines], [c.posted for c in lines],
                [c.month_posted for c in lines], [c.expected for c in lines],
                [c.result for c in lines], [c.difference for c in lines],
                [c.penalty for c in lines], [c.detail for c in lines],
            )  # fmt: skip
        out.append(
            (r.event_id, r.kpj, r.participant_ref, r.employer_npp, r.category, r.period,
             r.wage_base, r.paid_on, r.due_on, r.months_late, *columns, r.rule_set_version)
        )  # fmt: skip
    return out


class EmployerAccountStore(PoolUser):
    """The employer account port (read only; PostgreSQL alone implements it)."""

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
