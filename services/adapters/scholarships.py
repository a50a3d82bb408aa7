"""Scholarships by school year in PostgreSQL: the rows a settlement starts with the school years
already begun, the payroll's school years of a month, and the branches' ScholarshipStopped."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

import asyncpg

from services.app.scholarships import (
    ScholarshipRow,
    ScholarshipStopRow,
    YearInstruction,
    month_years,
)
from services.app.settlement import Encode
from services.rules import RuleSet
from services.rules.claims import SchoolLevel

# Scholarships or pensions per payroll transaction: a month of 100,000 commits in 20 steps,
# each idempotent (a crash between two re-runs only the rest: the keys already written stay).
CHUNK = 5_000

_INSERT_PERIODIC = (
    "INSERT INTO payment_outbox (instruction_id, claim_id, idempotency_key, payload, program,"
    " amount, due_date, period) SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
    " $4::bytea[], $5::text[], $6::bigint[], $7::date[], $8::date[])"
    " ON CONFLICT DO NOTHING RETURNING instruction_id, amount"
)


class Periodic(Protocol):
    """An instruction the payroll writes for a period: a pension month or a school year."""

    @property
    def instruction_id(self) -> str: ...
    @property
    def claim_id(self) -> str: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def program(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def due_date(self) -> date: ...
    @property
    def period(self) -> date: ...


async def insert_periodic(conn: asyncpg.Connection, made: Sequence[Periodic]) -> dict[str, int]:
    """Write payroll instructions once each (their key is unique): instruction id -> amount of
    those written now."""
    if not made:
        return {}
    rows = await conn.fetch(
        _INSERT_PERIODIC,
        [m.instruction_id for m in made], [m.claim_id for m in made],
        [m.idempotency_key for m in made], [m.payload for m in made],
        [m.program for m in made], [m.amount for m in made], [m.due_date for m in made],
        [m.period for m in made],
    )  # fmt: skip
    return {r["instruction_id"]: r["amount"] for r in rows}


async def insert_scholarships(
    conn: asyncpg.Connection, grants: Sequence[ScholarshipRow], begun: Sequence[YearInstruction]
) -> None:
    """A settlement's scholarships and the school years already begun, in its transaction."""
    if grants:
        await conn.executemany(
            "INSERT INTO scholarships (claim_id, child, program, birth_date, level,"
            " first_school_year, decided_on, entitlement, payee) VALUES"
            " ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb) ON CONFLICT (claim_id, child) DO NOTHING",
            [
                (g.claim_id, g.child, g.program, g.birth_date, g.level.value,
                 g.first_school_year, g.decided_on, g.entitlement, json.dumps(dict(g.payee)))
                for g in grants
            ],
        )  # fmt: skip
    await insert_periodic(conn, begun)


def _row(r: Mapping[str, Any]) -> ScholarshipRow:
    payee = r["payee"]
    return ScholarshipRow(
        r["claim_id"], r["child"], r["program"], r["birth_date"], SchoolLevel(r["level"]),
        r["first_school_year"], r["decided_on"], r["entitlement"],
        json.loads(payee) if isinstance(payee, str) else dict(payee), r["stopped_on"],
    )  # fmt: skip


async def pay_school_years(
    pool: asyncpg.Pool, month: date, rules: RuleSet, encode: Encode, due: date
) -> tuple[int, int, int]:
    """The school years that start in `month`, in chunks of CHUNK scholarships, each chunk one
    transaction: (years the month pays, instructions written now, Rupiah written now)."""
    paid = written = amount = 0
    after: tuple[str, int] = ("", 0)
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT claim_id, child, program, birth_date, level, first_school_year,"
                " decided_on, entitlement, payee, stopped_on FROM scholarships"
                " WHERE (claim_id, child) > ($1, $2) AND first_school_year <= $3"
                " AND (stopped_on IS NULL OR stopped_on >= $3)"
                " ORDER BY claim_id, child LIMIT $4",
                after[0], after[1], month, CHUNK,
            )  # fmt: skip
            if not rows:
                return paid, written, amount
            after = (rows[-1]["claim_id"], rows[-1]["child"])
            made = month_years(
                [_row(r) for r in rows], month, rules, encode, datetime.now(UTC), due
            )
            new = await insert_periodic(conn, made)
            paid, written = paid + len(made), written + len(new)
            amount += sum(new.values())


async def apply_stop(conn: asyncpg.Connection, r: ScholarshipStopRow) -> str | None:
    """One ScholarshipStopped, once (event_id): the rejection code, or None when applied."""
    seen = await conn.fetchval("SELECT 1 FROM scholarship_changes WHERE event_id = $1", r.event_id)
    if seen is not None:
        return "duplicate"
    stopped = await conn.fetchrow(
        "SELECT stopped_on FROM scholarships WHERE claim_id = $1 AND child = $2 FOR UPDATE",
        r.claim_id, r.child,
    )  # fmt: skip
    rejection = (
        "unknown_scholarship" if stopped is None
        else "already_stopped" if stopped["stopped_on"] is not None else None
    )  # fmt: skip
    if rejection is None:
        await conn.execute(
            "UPDATE scholarships SET stopped_on = $3, stop_reason = $4"
            " WHERE claim_id = $1 AND child = $2",
            r.claim_id, r.child, r.effective_date, r.reason,
        )  # fmt: skip
    await conn.execute(
        "INSERT INTO scholarship_changes (event_id, claim_id, child, reason, effective_date,"
        " outcome, rejection) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        r.event_id, r.claim_id, r.child, r.reason, r.effective_date,
        "APPLIED" if rejection is None else "REJECTED", rejection,
    )  # fmt: skip
    return rejection
