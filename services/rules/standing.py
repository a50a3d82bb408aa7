"""A participant's standing on a date: enrollment, paid months, lapse, arrears, density."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from services.rules.categories import Program
from services.rules.coverage import Coverage
from services.rules.dates import add_months, month_start, months_between


def first_start(coverage: Coverage, program: Program) -> date | None:
    """The first day the participant was ever enrolled in ``program``."""
    starts = [p.start for p in coverage.periods if p.program == program]
    return min(starts) if starts else None


def enrolled_on(coverage: Coverage, program: Program, day: date) -> bool:
    """Whether a period of ``program`` covers ``day`` and coverage had not ended before it."""
    ended = coverage.ended_on is not None and coverage.ended_on < day
    return not ended and any(p.program == program and p.covers(day) for p in coverage.periods)


def own_paid_months(coverage: Coverage, program: Program, paid_by: date | None) -> frozenset[date]:
    """Months whose contribution for ``program`` was paid in full on or before ``paid_by``
    (None: ever). An under-paid month is unpaid until the rest arrives."""
    return frozenset(
        month_start(c.period)
        for c in coverage.contributions
        if c.paid_for(program) and (paid_by is None or c.paid_on <= paid_by)
    )


def sponsored_months(coverage: Coverage, program: Program) -> frozenset[date]:
    """Months a sponsor funded for ``program``: a funding period counts as paid months."""
    months: set[date] = set()
    for funding in coverage.sponsor_funding:
        if program in funding.programs:
            first = month_start(funding.start)
            months.update(
                add_months(first, n) for n in range(months_between(first, funding.end) + 1)
            )
    return frozenset(months)


def paid_months(coverage: Coverage, program: Program, paid_by: date | None) -> frozenset[date]:
    """Own paid months plus sponsored months."""
    return own_paid_months(coverage, program, paid_by) | sponsored_months(coverage, program)


def unpaid_months_before(
    coverage: Coverage, program: Program, day: date, paid_by: date | None
) -> int | None:
    """Unpaid months from the last paid month up to ``day``'s month (None: nothing paid)."""
    event_month = month_start(day)
    paid = [m for m in paid_months(coverage, program, paid_by) if m <= event_month]
    return months_between(max(paid), event_month) if paid else None


def last_paid_is_sponsored(
    coverage: Coverage, program: Program, day: date, paid_by: date | None
) -> bool:
    """Whether the last paid month up to ``day`` was funded only by a sponsor."""
    event_month = month_start(day)
    own = [m for m in own_paid_months(coverage, program, paid_by) if m <= event_month]
    funded = [m for m in sponsored_months(coverage, program) if m <= event_month]
    return bool(funded) and (not own or max(funded) > max(own))


def months_due_before(coverage: Coverage, program: Program, day: date) -> tuple[date, ...]:
    """Enrolled months of ``program`` whose contribution was due (15th of the next month) before
    ``day``, oldest first (due date per PP 44/2015, PP 45/2015, PP 46/2015)."""
    return tuple(
        m for m in _months_due(coverage, program, day) if _enrolled_in_month(coverage, program, m)
    )


def months_in_arrears(coverage: Coverage, program: Program, day: date) -> tuple[date, ...]:
    """The months due before ``day`` (``months_due_before``) not paid in full by ``day``: unpaid
    or under-paid (PP 44/2015), oldest first."""
    paid = own_paid_months(coverage, program, day)
    return tuple(
        m
        for m in _months_due(coverage, program, day)
        if m not in paid and _enrolled_in_month(coverage, program, m)  # the cheaper test first
    )


def arrears_months(coverage: Coverage, program: Program, day: date) -> int:
    """Enrolled months whose contribution was due (15th of the next month) before ``day`` but
    was not paid by ``day`` (PP 44/2015; due date per PP 44/2015, PP 45/2015, PP 46/2015)."""
    return len(months_in_arrears(coverage, program, day))


def _months_due(coverage: Coverage, program: Program, day: date) -> Iterator[date]:
    """Months from the first enrollment in ``program`` whose due date is before ``day``."""
    start = first_start(coverage, program)
    if start is None:
        return
    first = month_start(start)
    for n in range(months_between(start, day) + 1):
        month = add_months(first, n)
        if add_months(month, 1).replace(day=15) < day:
            yield month


def _enrolled_in_month(coverage: Coverage, program: Program, month: date) -> bool:
    month_end = add_months(month, 1).toordinal() - 1
    return any(
        p.program == program
        and p.start.toordinal() <= month_end
        and (p.end is None or p.end >= month)
        for p in coverage.periods
    )


def contribution_months(coverage: Coverage, program: Program, until: date) -> int:
    """Masa iur: distinct months paid (own or sponsored) up to ``until``'s month."""
    last = month_start(until)
    return sum(1 for m in paid_months(coverage, program, None) if m <= last)


def membership_months(coverage: Coverage, program: Program, until: date) -> int:
    """Months of enrollment in ``program`` up to ``until``'s month, counting each month once."""
    months: set[date] = set()
    for period in coverage.periods:
        if period.program == program and period.start <= until:
            end = until if period.end is None else min(period.end, until)
            first = month_start(period.start)
            months.update(add_months(first, n) for n in range(months_between(first, end) + 1))
    return len(months)
