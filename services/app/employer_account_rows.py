"""One employer's account as the store reads it for `claims employer`: its contribution checks
per month and program, its participants and its obligations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class ContributionMonthRow:
    """An employer's contribution checks for one month and program, summed over its
    participants; each participant's month as its last posting (by payment date) left it."""

    period: date
    program: str
    participants: int  # participants with a posting for the month
    postings: int
    posted: int  # Rupiah posted for the month (the checks' month_posted)
    expected: int | None  # Rupiah due on the posted wage bases (None: none could be priced)
    exact: int  # participants' months: paid exactly
    underpaid: int
    shortfall: int  # Rupiah missing from the under-paid months
    overpaid: int
    excess: int  # Rupiah paid beyond what was due
    not_checked: int
    late: int  # participants' months with a posting after the due date
    penalty: int  # late penalties recorded, Rupiah


@dataclass(frozen=True)
class EmployerObligationRow:
    """What an employer owes on a claim, and whether its reimbursement was issued."""

    obligation_id: str
    kind: str
    claim_id: str
    kpj: str
    program: str
    amount: int
    status: str
    reimbursement_amount: int | None
    reimbursement_due_on: date | None
    recorded_at: datetime


@dataclass(frozen=True)
class EmployerAccountRows:
    """One employer (NPP) as PostgreSQL holds it, read in one snapshot: its contribution checks
    per month and program, its participants' states (kpj -> state) and its obligations."""

    months: tuple[ContributionMonthRow, ...]
    participants: dict[str, dict[str, Any]]
    obligations: tuple[EmployerObligationRow, ...]

    def __bool__(self) -> bool:
        return bool(self.months or self.participants or self.obligations)
