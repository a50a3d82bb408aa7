"""Compare a posted contribution with the expected one; late penalties (PP 44/45/46 of 2015)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.rules.categories import Category, Program
from services.rules.contributions import expected, total_by_program
from services.rules.coverage import ProgramAmount
from services.rules.money import to_rupiah
from services.rules.tables import MissingRule, RuleSet


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


NOT_CHECKED = "NOT_CHECKED"
"""A posting the rules cannot price (PMI per placement phase, PU JKK without a risk class)."""


@dataclass(frozen=True)
class ProgramCheck:
    """One program of one posting, judged on the month's postings so far (this one included):
    a top-up that completes a short month is EXACT, and the month is then paid.

    ``difference`` = month_posted − expected (negative when under-paid). ``penalty`` is owed on
    the part of this posting that paid what was due, for each month late."""

    program: Program
    posted: int
    month_posted: int
    expected: int | None
    result: str
    difference: int
    months_late: int
    penalty: int
    detail: str


@dataclass(frozen=True)
class PostingCheck:
    """A ContributionPosted judged against what was due for its month."""

    due_on: date | None
    paid_on: date
    programs: tuple[ProgramCheck, ...]

    @property
    def short(self) -> frozenset[Program]:
        """Programs whose month is still under-paid after this posting."""
        return frozenset(c.program for c in self.programs if c.result == PaymentStatus.UNDERPAID)


def months_late(due_on: date, paid_on: date, partial_month_counts: bool = True) -> int:
    """Months after the due date: each month or part of one (15 Feb due, paid 16 Feb: 1; paid
    16 Mar: 2). With ``partial_month_counts`` off, only whole months count (paid 16 Mar: 1)."""
    if paid_on <= due_on:
        return 0
    whole = (paid_on.year - due_on.year) * 12 + paid_on.month - due_on.month
    if paid_on.day <= due_on.day:
        whole -= 1
    return whole + 1 if partial_month_counts else max(whole, 0)


def month_due_date(category: Category, period: date) -> date | None:
    """PU and Jakon: the 15th of the following month (PP 44/45/46 of 2015; Jakon assumed the
    same, U). BPU: the 15th of the same month (gridstar, S). PMI: per placement phase, None."""
    if category in (Category.PU, Category.JAKON):
        return due_date(period)
    if category is Category.BPU:
        return period.replace(day=15)
    return None


MonthDue = tuple[dict[Program, int] | None, str]
"""(contribution due per program, or None with why it cannot be priced)."""


def month_due(
    category: Category,
    programs_in_force: frozenset[Program],
    risk_class: int | None,
    period: date,
    wage_base: int,
    rules: RuleSet,
) -> MonthDue:
    """The contribution due for a month per program, employer and worker shares added up."""
    if category is Category.PMI:
        return None, "PMI contributions are due per placement phase; the posting names none"
    if category is Category.PU and risk_class is None and Program.JKK in programs_in_force:
        return None, "no JKK risk class recorded for the employer"
    try:
        shares = expected(category, programs_in_force, wage_base, period, rules, risk_class)
    except MissingRule as e:  # e.g. a month before the 2015 regime: the posting still counts
        return None, f"no contribution rule in force for {period:%Y-%m}: {e}"
    return total_by_program(shares), ""


def check_posting(
    category: Category,
    programs_in_force: frozenset[Program],
    risk_class: int | None,
    period: date,
    wage_base: int,
    posted: dict[Program, int],
    month_posted: dict[Program, int],
    paid_on: date,
    rules: RuleSet,
    due: MonthDue | None = None,
) -> PostingCheck:
    """Judge one posting, program by program, against the contribution due for its month: on the
    posting's wage base, the category's rates, the employer's JKK risk class and the JP wage
    cap in force on the first day of the month (services/rules/contributions.expected). A
    program the participant was not enrolled in that month is due nothing (OVERPAID by all of
    it). A month paid after its due date owes the late penalty (PU only; 2% a month, PP 44/2015,
    45/2015, 46/2015). ``due``: month_due's answer when the caller has it (it repeats across
    the participants of one employer and month)."""
    due_on = month_due_date(category, period)
    if due is None:
        due = month_due(category, programs_in_force, risk_class, period, wage_base, rules)
    due_by_program, why = due
    try:
        tolerance = rules.amount("contribution.check.tolerance", period)
        penalises = _penalty_applies(category, period, rules)
        partial = rules.flag("contribution.late_penalty.partial_month_counts", period)
    except MissingRule as e:
        if due_by_program is not None:
            due_by_program, why = None, f"no contribution rule in force for {period:%Y-%m}: {e}"
        tolerance, penalises, partial = 0, False, True
    late = 0 if due_on is None else months_late(due_on, paid_on, partial)
    checks = []
    for program in sorted(posted):
        amount, so_far = posted[program], month_posted[program]
        if due_by_program is None:
            checks.append(ProgramCheck(program, amount, so_far, None, NOT_CHECKED, 0, 0, 0, why))
            continue
        owed = due_by_program.get(program, 0)
        c = compare(so_far, owed, tolerance)
        paid_due = min(amount, max(owed - (so_far - amount), 0))
        penalty = late_penalty(paid_due, late, period, rules) if penalises and late else 0
        detail = f"{program} {so_far} posted for {period:%Y-%m} against {owed} due"
        if program not in programs_in_force:
            detail += f" (not enrolled in {program} that month)"
        if late:
            detail += f"; paid {paid_on}, {late} month(s) after {due_on}"
        checks.append(
            ProgramCheck(program, amount, so_far, owed, c.status.value, c.difference, late,
                         penalty, detail)
        )  # fmt: skip
    return PostingCheck(due_on, paid_on, tuple(checks))


def _penalty_applies(category: Category, on: date, rules: RuleSet) -> bool:
    if category is Category.PU:
        return True
    if category is Category.BPU:
        return rules.flag("contribution.late_penalty.bpu", on)
    if category is Category.JAKON:
        return rules.flag("contribution.late_penalty.jakon", on)
    return False
