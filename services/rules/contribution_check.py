"""Compare a posted contribution with the expected one; late penalties (domain.md §2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.rules.categories import Program
from services.rules.coverage import ProgramAmount
from services.rules.money import to_rupiah
from services.rules.tables import RuleSet


class PaymentStatus(StrEnum):
    """How a posted contribution compares with the expected one."""

    EXACT = "EXACT"
    UNDERPAID = "UNDERPAID"
    OVERPAID = "OVERPAID"


@dataclass(frozen=True)
class Comparison:
    """Posted vs expected; ``difference`` = posted − expected (negative when underpaid)."""

    status: PaymentStatus
    posted: int
    expected: int
    difference: int


def compare(posted: int, expected: int, tolerance: int = 0) -> Comparison:
    """Flag under- or over-payment beyond ``tolerance`` Rupiah (rounding slack; default 0)."""
    diff = posted - expected
    status = (
        PaymentStatus.EXACT
        if abs(diff) <= tolerance
        else PaymentStatus.UNDERPAID
        if diff < 0
        else PaymentStatus.OVERPAID
    )
    return Comparison(status, posted, expected, diff)


def within_range(posted: int, low: int, high: int) -> Comparison:
    """For a chosen amount (PMI optional JHT Rp50,000-600,000): exact when inside the range."""
    if posted < low:
        return Comparison(PaymentStatus.UNDERPAID, posted, low, posted - low)
    if posted > high:
        return Comparison(PaymentStatus.OVERPAID, posted, high, posted - high)
    return Comparison(PaymentStatus.EXACT, posted, posted, 0)


def due_date(period: date) -> date:
    """PU contributions are due by the 15th of the following month (PP 44/45/46 of 2015)."""
    following = date(period.year + period.month // 12, period.month % 12 + 1, 15)
    return following


def late_penalty(arrears: int, months_late: int, on: date, rules: RuleSet) -> int:
    """Employer's late penalty: 2% of the contributions due per month late (PP 44/2015,
    45/2015, 46/2015), half up."""
    rate = rules.rate("contribution.late_penalty.monthly_rate", on)
    return to_rupiah(rate * arrears * max(months_late, 0))


def compare_posted(
    posted: tuple[ProgramAmount, ...], expected: dict[Program, int], tolerance: int = 0
) -> dict[Program, Comparison]:
    """Per program, the posted amount (ContributionPosted.amounts) against the expected one."""
    programs = {a.program for a in posted} | set(expected)
    return {
        p: compare(sum(a.amount for a in posted if a.program is p), expected.get(p, 0), tolerance)
        for p in Program
        if p in programs
    }
