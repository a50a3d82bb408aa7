"""Use case: JKK and JKm scholarships paid school year by school year (PP 44/2015 jo PP 82/2019:
"paid yearly"; at most two children, a maximum per level, until the child is 23).

A decision still states each child's whole entitlement (its `<P>_SCHOLARSHIP_CHILD_<n>`
component: the published amounts). The claim's own instruction pays the decision's total less
those components; each child's scholarship becomes a row, and each school year one instruction,
`scholarship:<claim_id>:<child>:<YYYY>`: the school years already begun when the claim settles go
with the settlement (same due date), each later one with the payroll of the month it starts
(services/rules/scholarship.schedule). A ScholarshipStopped (the yearly check, marriage, work,
death) stops the school years that start after it. Pure: the adapter writes what these return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.app.followups import INSTRUCTION
from services.app.settlement import Encode, payment_instruction
from services.rules import RuleSet
from services.rules.claims import SchoolLevel
from services.rules.dates import month_start
from services.rules.scholarship import SchoolYear, schedule

_CHILD = re.compile(r"(JKK|JKM)_SCHOLARSHIP_CHILD_(\d+)")

REJECTIONS = {
    "unknown_scholarship": "no scholarship of this claim and child is on record",
    "already_stopped": "the scholarship has already stopped",
}


def scholarship_key(claim_id: str, child: int, year: date) -> str:
    return f"scholarship:{claim_id}:{child}:{year:%Y}"


@dataclass(frozen=True)
class ScholarshipRow:
    claim_id: str
    child: int
    program: str
    birth_date: date
    level: SchoolLevel
    first_school_year: date
    decided_on: date
    entitlement: int
    payee: Mapping[str, str]
    stopped_on: date | None = None

    def years(self, rules: RuleSet) -> tuple[SchoolYear, ...]:
        """The school years it pays, before any stop."""
        return schedule(self.level, self.first_school_year, self.birth_date, self.decided_on, rules)


def scholarships_from_decision(decision: Mapping[str, Any]) -> tuple[ScholarshipRow, ...]:
    """The by-level scholarships of an approved JKK or JKm decision paid by BPJS (an employer-
    first claim's are the employer's to pay). A decision made before school years were
    scheduled (no `first_school_year` input) has none: its instruction pays them whole."""
    if decision["outcome"] != "APPROVED" or decision["payable_by"] != "BPJS":
        return ()
    found = []
    for c in decision["components"]:
        m = _CHILD.fullmatch(c["code"])
        given = c["inputs"]
        if m is None or "first_school_year" not in given or "birth_date" not in given:
            continue
        found.append(
            ScholarshipRow(
                decision["claim_id"],
                int(m.group(2)),
                m.group(1),
                date.fromisoformat(given["birth_date"]),
                SchoolLevel(given["level"]),
                date.fromisoformat(given["first_school_year"]),
                decision["event_date"],
                int(c["amount"]),
                dict(decision["payee"]),
            )
        )
    return tuple(found)


def deferred(rows: Sequence[ScholarshipRow]) -> int:
    """What leaves the claim's own instruction: the scholarships, paid by school year."""
    return sum(r.entitlement for r in rows)


@dataclass(frozen=True)
class YearInstruction:
    claim_id: str
    child: int
    program: str
    instruction_id: str
    idempotency_key: str
    school_year: date
    amount: int
    due_date: date
    payload: bytes

    @property
    def period(self) -> date:
        return self.school_year


def year_instructions(
    rows: Sequence[ScholarshipRow],
    due_through: date,
    rules: RuleSet,
    encode: Encode,
    now: datetime,
    due: date,
    since: date | None = None,
) -> list[YearInstruction]:
    """The instructions of every school year that starts in [since, due_through] (all up to it
    when `since` is None: a settlement pays the years already begun), not stopped before it
    started, due on `due`."""
    made = []
    for r in rows:
        for y in r.years(rules):
            if y.start > due_through or (since is not None and y.start < since):
                continue
            if r.stopped_on is not None and y.start > r.stopped_on:
                continue
            key = scholarship_key(r.claim_id, r.child, y.start)
            record = payment_instruction(key, r.claim_id, r.program, r.payee, y.amount, due, now)
            made.append(
                YearInstruction(
                    r.claim_id, r.child, r.program, record["instruction_id"], key, y.start,
                    y.amount, due, encode(INSTRUCTION, record),
                )
            )  # fmt: skip
    return made


def month_years(
    rows: Sequence[ScholarshipRow], month: date, rules: RuleSet, encode: Encode, now: datetime,
    due: date,
) -> list[YearInstruction]:  # fmt: skip
    """The payroll of `month`: the school years that start in it."""
    first = month_start(month)
    return year_instructions(rows, first, rules, encode, now, due, since=first)


@dataclass(frozen=True)
class ScholarshipStopRow:
    event_id: str
    claim_id: str
    child: int
    reason: str
    effective_date: date


def scholarship_stop_row(r: Mapping[str, Any]) -> ScholarshipStopRow:
    return ScholarshipStopRow(
        r["event_id"], r["claim_id"], r["child"], r["reason"], r["effective_date"]
    )
