"""What the employer side of a participant's events produces (services/app/employer_accounts.py):
obligations and reimbursements with the records to publish, their kinds, namespace and citations,
and the programs a participant was enrolled in during a month."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.app.records import ObligationRow, ReimbursementRow
from services.rules import Program

OBLIGATION_NS = uuid.UUID("a4c1e7f2-5b3d-4e8a-9c6f-1d2e3f4a5b6c")
BENEFIT_FIRST, WAGE_SHORTFALL = "BENEFIT_FIRST", "WAGE_SHORTFALL"
EMPLOYER_FIRST_REG = (
    "PP 44/2015 jo PP 82/2019 (employer in arrears pays first; BPJS reimburses it after the"
    " arrears are settled)"
)
SHORTFALL_REG = "PP 44/2015 (benefits on the reported wage; the employer owes the shortfall)"
PROGRAMS_BY_NAME = {p.value: p for p in Program}


@dataclass(frozen=True)
class Obligation:
    """An obligation row and its EmployerObligationRecorded record (to publish)."""

    row: ObligationRow
    record: dict[str, Any]


@dataclass(frozen=True)
class Reimbursement:
    """A reimbursement row and its PaymentInstruction record (to publish)."""

    row: ReimbursementRow
    instruction: dict[str, Any]
    claim_id: str
    program: str


def programs_in_force(state: Mapping[str, Any], period: str) -> frozenset[Program]:
    """Programs the participant was enrolled in on any day of the month ``period`` ("YYYY-MM").
    ISO dates compare as text: a span overlaps the month when it starts by "YYYY-MM-31" and
    has not ended before "YYYY-MM-01"."""
    first, last = f"{period}-01", f"{period}-31"
    return frozenset(
        PROGRAMS_BY_NAME[p]
        for p, spans in state["programs"].items()
        if any(s <= last and (e is None or e >= first) for s, e in spans)
    )
