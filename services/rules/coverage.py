"""A participant's coverage: enrollment periods, contribution history, sponsor funding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.rules.categories import Category, Program


class EndReason(StrEnum):
    """Why coverage ended (bpjs.enrollment.EndReason)."""

    RESIGNED = "RESIGNED"
    TERMINATED = "TERMINATED"
    CONTRACT_ENDED = "CONTRACT_ENDED"
    DIED = "DIED"
    LEFT_INDONESIA = "LEFT_INDONESIA"
    SPONSOR_ENDED = "SPONSOR_ENDED"
    OTHER = "OTHER"


@dataclass(frozen=True)
class ProgramPeriod:
    """Enrollment in one program from ``start`` to ``end`` inclusive (None: still enrolled)."""

    program: Program
    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls inside this period."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class ProgramAmount:
    """The amount paid for one program in one contribution month."""

    program: Program
    amount: int


@dataclass(frozen=True)
class ContributionMonth:
    """One posted contribution: ``period`` is the first day of the month it pays for."""

    period: date
    wage_base: int
    amounts: tuple[ProgramAmount, ...]
    paid_on: date
    short: frozenset[Program] = frozenset()
    """Programs paid less than due this month: not paid for coverage until the rest arrives
    (rule contribution.short_month_counts_as_paid; services/rules/contribution_check)."""

    def paid_for(self, program: Program) -> bool:
        """Paid in full for ``program``: something posted and the month not short."""
        return self.amount_for(program) > 0 and program not in self.short

    def amount_for(self, program: Program) -> int:
        """The amount paid for ``program`` this month (0 if none)."""
        total = 0
        for a in self.amounts:  # a loop, not sum(genexpr): called per month per claim
            if a.program is program:
                total += a.amount
        return total


@dataclass(frozen=True)
class SponsorFunding:
    """A sponsor (e.g. a province) funding this participant from ``start`` to ``end`` inclusive."""

    sponsor_id: str
    start: date
    end: date
    programs: tuple[Program, ...]


@dataclass(frozen=True)
class Coverage:
    """Everything the rules need to know about a participant, as of the claim."""

    category: Category
    birth_date: date
    enrolled_on: date
    periods: tuple[ProgramPeriod, ...]
    contributions: tuple[ContributionMonth, ...] = ()
    sponsor_funding: tuple[SponsorFunding, ...] = ()
    declared_wage: int = 0
    jkk_risk_class: int | None = None
    ended_on: date | None = None
    end_reason: EndReason | None = None
