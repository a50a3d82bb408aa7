"""What BPJS still owes, per program and age: payment instructions not paid, by days past due.

Owed: every instruction whose payment is PENDING, or FAILED and not yet re-issued (a re-issued
one is owed through its re-issue, never twice): a claim's first instruction, its statutory late
interest and its re-issues. An employer-first claim owes nothing of BPJS's until its
reimbursement, which is published apart (event_outbox) and not counted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from services.rules import Program

PROGRAMS: Final = tuple(p.value for p in Program)
# Calendar days past the due date (the statutory deadline is in working days; the interest and
# an auditor's ageing are in days): a week, a month, and beyond.
BUCKETS: Final = ("not_due", "1-7", "8-30", "over_30")


def age_bucket(due: date, today: date) -> str:
    """`not_due` up to and including the due date (the last day to pay), then by days past it."""
    late = (today - due).days
    if late <= 0:
        return "not_due"
    if late <= 7:
        return "1-7"
    if late <= 30:
        return "8-30"
    return "over_30"


@dataclass(frozen=True)
class Owed:
    """Unpaid instructions of one program and age bucket: how many and how much (Rupiah)."""

    program: str
    bucket: str
    instructions: int
    amount: int


def aged(rows: Iterable[tuple[str, date, int, int]], today: date) -> list[Owed]:
    """(program, due date, instructions, amount) rows as one figure per program and bucket,
    every program and bucket present (zero when none), so a gauge reads 0 rather than nothing."""
    counts = {(p, b): [0, 0] for p in PROGRAMS for b in BUCKETS}
    for program, due, n, amount in rows:
        cell = counts.setdefault((program, age_bucket(due, today)), [0, 0])
        cell[0] += n
        cell[1] += amount
    return [Owed(p, b, n, amount) for (p, b), (n, amount) in counts.items()]
