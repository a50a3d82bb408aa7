"""Builders for coverage and claims used across the rules tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from services.rules import (
    AccidentOutcome,
    AccidentType,
    Category,
    ContributionMonth,
    Coverage,
    Heir,
    HeirRelation,
    JkkClaim,
    Program,
    ProgramAmount,
    ProgramPeriod,
)
from services.rules.dates import add_months


def months(
    first: date, count: int, wage: int, programs: dict[Program, int], late_days: int = 0
) -> tuple[ContributionMonth, ...]:
    """``count`` monthly contributions from ``first``, each paid on the 10th of the next month."""
    result = []
    for n in range(count):
        period = add_months(first, n)
        paid = add_months(period, 1).replace(day=10)
        result.append(
            ContributionMonth(
                period,
                wage,
                tuple(ProgramAmount(p, a) for p, a in programs.items()),
                date.fromordinal(paid.toordinal() + late_days),
            )
        )
    return tuple(result)


def coverage(
    category: Category = Category.PU,
    programs: tuple[Program, ...] = tuple(Program),
    start: date = date(2016, 1, 1),
    birth: date = date(1980, 5, 17),
    contributions: tuple[ContributionMonth, ...] = (),
    **extra: Any,
) -> Coverage:
    """A participant enrolled in ``programs`` since ``start``."""
    periods = tuple(ProgramPeriod(p, start) for p in programs)
    base = Coverage(category, birth, start, periods, contributions)
    return replace(base, **extra)


def jkk_claim(
    outcome: AccidentOutcome = AccidentOutcome.RECOVERED,
    day: date = date(2024, 3, 4),
    wage: int = 5_000_000,
    **extra: Any,
) -> JkkClaim:
    """A JKK claim submitted a month after the accident; a death's heir statement names the
    widow, who is the payee, unless `extra` says otherwise."""
    if outcome is AccidentOutcome.DEATH:
        extra = {"heirs": WIDOW, "payee": WIDOW[0].name, **extra}
    return JkkClaim(
        "C-1", day, add_months(day, 1), AccidentType.WORKPLACE, day, wage, outcome, **extra
    )


WIDOW = (Heir("Siti", HeirRelation.SPOUSE),)
