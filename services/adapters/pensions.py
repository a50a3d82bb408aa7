"""JP pensions in PostgreSQL: the pension a JP approval starts (written with its settlement), the
monthly payroll (one instruction per pension and month, in the payment outbox the relay
publishes), and the branches' PensionChanged, each applied once with its consumer position."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.adapters.pg_base import PoolUser
from services.adapters.positions import _advance
from services.adapters.scholarships import CHUNK, apply_stop, insert_periodic, pay_school_years
from services.app.payroll import (
    PayrollRun,
    PensionChangeOutcome,
    PensionChangeRow,
    PensionRow,
    beneficiaries_from,
    beneficiaries_json,
    decide_change,
    month_instructions,
)
from services.app.records import Checkpoint
from services.app.scholarships import ScholarshipStopRow
from services.app.settlement import Encode
from services.rules import RuleSet
from services.rules.dates import month_start
from services.rules.pension import Pension, aged_out_after, due_on

_SELECT_PENSIONS = (
    "SELECT pension_id, claim_id, participant_ref, kind, base_amount, base_year, payroll_from,"
    " last_month, payee, beneficiaries, follows, rule_set_version FROM pensions"
)
_INSERT_PENSION = (
    "INSERT INTO pensions (pension_id, claim_id, participant_ref, kind, base_amount, base_year,"
    " payroll_from, last_month, payee, beneficiaries, follows, rule_set_version)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10::jsonb,$11,$12)"
    " ON CONFLICT (pension_id) DO NOTHING"
)


def pension_args(row: PensionRow) -> tuple[Any, ...]:
    p = row.pension
    return (
        p.pension_id, row.claim_id, row.participant_ref, p.kind, p.base, p.base_year,
        p.payroll_from, p.last_month, json.dumps(dict(row.payee)), row.beneficiaries_json(),
        row.follows, row.rule_set_version,
    )  # fmt: skip


def _pension(r: Mapping[str, Any]) -> PensionRow:
    payee = r["payee"]
    return PensionRow(
        Pension(
            r["pension_id"],
            r["kind"],
            r["base_amount"],
            r["base_year"],
            r["payroll_from"],
            r["last_month"],
            beneficiaries_from(r["beneficiaries"]),
        ),
        r["claim_id"],
        r["participant_ref"],
        json.loads(payee) if isinstance(payee, str) else dict(payee),
        r["follows"],
        r["rule_set_version"],
    )


async def insert_pensions(conn: asyncpg.Connection, rows: Sequence[PensionRow]) -> None:
    """The pensions a settlement batch starts, in its transaction (a redelivered decision finds
    its pension there already)."""
    if rows:
        await conn.executemany(_INSERT_PENSION, [pension_args(r) for r in rows])


class Pensions(PoolUser):
    async def run_payroll(
        self, month: date, rules: RuleSet, encode: Encode, run_by: str
    ) -> PayrollRun:
        """Pay `month`: one instruction per pension in payment, in chunks of CHUNK
        pensions, each chunk one transaction. An instruction already written (an earlier run,
        a timer and a command at once) is left as it is, so no month is paid twice."""
        month = month_start(month)
        return await self._guard("run_payroll", self._run_payroll(month, rules, encode, run_by))

    async def _run_payroll(
        self, month: date, rules: RuleSet, encode: Encode, run_by: str
    ) -> PayrollRun:
        paid = written = ended = amount = written_amount = 0
        after = ""
        while True:
            async with self._tx() as conn:
                rows = await conn.fetch(
                    _SELECT_PENSIONS + " WHERE pension_id > $1"
                    " AND payroll_from <= $2 AND (last_month IS NULL OR last_month >= $2)"
                    " ORDER BY pension_id LIMIT $3 FOR UPDATE",
                    after, month, CHUNK,
                )  # fmt: skip
                if not rows:
                    break
                after = rows[-1]["pension_id"]
                pensions = [_pension(r) for r in rows]
                ended += await _end_aged_out(conn, pensions, month, rules)
                made = month_instructions(pensions, month, rules, encode, datetime.now(UTC))
                fresh = await insert_periodic(conn, made)
                paid += len(made)
                written += len(fresh)
                written_amount += sum(fresh.values())
        years, years_written, years_amount = await pay_school_years(
            self._pool, month, rules, encode, due_on(month, rules)
        )
        async with self._tx() as conn:
            amount = await conn.fetchval(
                "SELECT coalesce(sum(amount), 0)::bigint FROM payment_outbox"
                " WHERE purpose = 'pension' AND period = $1",
                month,
            )
            run = PayrollRun(
                month, paid, written, paid - written, amount, ended, written_amount,
                years, years_written, years_amount,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO payroll_runs (month, run_by, pensions_paid, written, already,"
                " amount, ended, scholarship_years, scholarships_written)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                month, run_by, run.pensions_paid, run.written, run.already, run.amount, ended,
                years, years_written,
            )  # fmt: skip
        return run

    async def first_payroll_months(self) -> tuple[date | None, date | None]:
        """The first month the payroll pays a pension, and the first it pays a school year
        (None: nothing of that kind yet)."""
        row = await self._guard(
            "first_payroll_months",
            self._pool.fetchrow(
                "SELECT (SELECT min(payroll_from) FROM pensions) AS pension,"
                " (SELECT (min(first_school_year) + interval '1 year')::date FROM scholarships)"
                " AS school_year"
            ),
        )
        return row["pension"], row["school_year"]

    async def payroll_instructions_pending(self) -> int:
        """Payroll instructions (pension months, school years) not yet PAID or FAILED."""
        n: int = await self._guard(
            "payroll_instructions_pending",
            self._pool.fetchval(
                "SELECT count(*) FROM payment_outbox WHERE purpose IN ('pension', 'scholarship')"
                " AND status = 'PENDING'"
            ),
        )
        return n

    async def payroll_month(self, month: date) -> list[dict[str, Any]]:
        """A month's payroll instructions per kind (a pension kind, or SCHOLARSHIP_<program>
        for the school years that start in it): how many, Rupiah, and how many are PAID,
        FAILED or PENDING (read only)."""
        rows = await self._guard(
            "payroll_month",
            self._pool.fetch(
                "SELECT CASE o.purpose WHEN 'pension' THEN p.kind"
                " ELSE 'SCHOLARSHIP_' || o.program END AS kind,"
                " count(*) AS instructions, sum(o.amount)::bigint AS amount,"
                " count(*) FILTER (WHERE o.status = 'PAID') AS paid,"
                " count(*) FILTER (WHERE o.status = 'FAILED') AS failed,"
                " count(*) FILTER (WHERE o.status = 'PENDING') AS pending"
                " FROM payment_outbox o LEFT JOIN pensions p ON o.purpose = 'pension'"
                " AND o.idempotency_key"
                " = 'pension:' || p.pension_id || ':' || to_char($1::date, 'YYYY-MM')"
                " WHERE o.purpose IN ('pension', 'scholarship') AND o.period = $1"
                " GROUP BY 1 ORDER BY 1",
                month_start(month),
            ),
        )
        return [dict(r) for r in rows]

    async def apply_benefit_changes(
        self,
        rows: Sequence[PensionChangeRow],
        rules: RuleSet,
        checkpoint: Checkpoint | None,
        stops: Sequence[ScholarshipStopRow] = (),
    ) -> list[PensionChangeOutcome]:
        """Apply each change once (event_id), to its claim's pension in payment or its child's
        scholarship, with the batch's positions, in one transaction."""
        if not rows and not stops and checkpoint is None:
            return []
        return await self._guard(
            "apply_benefit_changes", self._apply_changes(rows, rules, checkpoint, stops)
        )

    async def _apply_changes(
        self,
        rows: Sequence[PensionChangeRow],
        rules: RuleSet,
        checkpoint: Checkpoint | None,
        stops: Sequence[ScholarshipStopRow],
    ) -> list[PensionChangeOutcome]:
        outcomes = []
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            for r in sorted(rows, key=lambda r: r.claim_id):  # one lock order per batch
                outcome = await _apply_change(conn, r, rules)
                if outcome is not None:
                    outcomes.append(outcome)
            for stop in sorted(stops, key=lambda r: (r.claim_id, r.child)):
                rejection = await apply_stop(conn, stop)
                if rejection != "duplicate":
                    outcomes.append(
                        PensionChangeOutcome(stop.claim_id, "SCHOLARSHIP_STOPPED", rejection, None)
                    )
        return outcomes


async def _end_aged_out(
    conn: asyncpg.Connection, pensions: Sequence[PensionRow], month: date, rules: RuleSet
) -> int:
    """Child pensions whose every child passed the age limit before `month` end after the last
    month in age; recorded as a change of their own ('aged-out:<pension_id>')."""
    ended = 0
    for row in pensions:
        last = aged_out_after(row.pension, month, rules)
        if last is None:
            continue
        await conn.execute(
            "UPDATE pensions SET last_month = $2, end_reason = 'CHILD_AGE_LIMIT',"
            " updated_at = now() WHERE pension_id = $1",
            row.pension.pension_id, last,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO pension_changes (event_id, claim_id, pension_id, change,"
            " effective_date, outcome, detail) VALUES ($1,$2,$3,'CHILD_AGE_LIMIT',$4,'APPLIED',$5)"
            " ON CONFLICT (event_id) DO NOTHING",
            f"aged-out:{row.pension.pension_id}", row.claim_id, row.pension.pension_id, last,
            f"every child reached the age limit: CHILD pension paid through {last:%Y-%m}",
        )  # fmt: skip
        ended += 1
    return ended


async def _apply_change(
    conn: asyncpg.Connection, r: PensionChangeRow, rules: RuleSet
) -> PensionChangeOutcome | None:
    seen = await conn.fetchval("SELECT 1 FROM pension_changes WHERE event_id = $1", r.event_id)
    if seen is not None:
        return None  # applied already (a redelivery)
    running = await conn.fetchrow(
        _SELECT_PENSIONS + " WHERE claim_id = $1 AND last_month IS NULL FOR UPDATE",
        r.claim_id,
    )
    current = None if running is None else _pension(running)
    known = current is not None or await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pensions WHERE claim_id = $1)", r.claim_id
    )
    d = decide_change(current, bool(known), r, rules)
    if d.rejection is None and d.pension_id is not None:
        await conn.execute(
            "UPDATE pensions SET last_month = coalesce($2, last_month),"
            " end_reason = CASE WHEN $2::date IS NULL THEN end_reason ELSE $3 END,"
            " beneficiaries = coalesce($4::jsonb, beneficiaries), updated_at = now()"
            " WHERE pension_id = $1",
            d.pension_id, d.last_month, r.change,
            None if d.beneficiaries is None else beneficiaries_json(d.beneficiaries),
        )  # fmt: skip
        if d.successor is not None:
            await insert_pensions(conn, [d.successor])
    started = None if d.successor is None else d.successor.pension.pension_id
    await conn.execute(
        "INSERT INTO pension_changes (event_id, claim_id, pension_id, change, effective_date,"
        " outcome, rejection, detail, started_pension_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        r.event_id, r.claim_id, d.pension_id, r.change, r.effective_date,
        "APPLIED" if d.rejection is None else "REJECTED", d.rejection, d.detail, started,
    )  # fmt: skip
    return PensionChangeOutcome(r.claim_id, r.change, d.rejection, started)
