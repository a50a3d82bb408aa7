"""Contribution postings of claimants: the months posted for each, and each month's
ContributionPosted record (its terms worked out once per cohort, wage level and month)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from random import Random

from simulator import events as ev
from simulator.claims import ClaimDraft
from simulator.contributions import amounts, monthly_wage
from simulator.identity import office_time
from simulator.model import Person, Record, ScenarioSpec


class ContributionPostings:
    """The contributions of one generation pass, drawn from the pass's own random generator."""

    def __init__(self, spec: ScenarioSpec, rng: Random) -> None:
        self.spec, self.rng = spec, rng
        # Contribution terms repeat across claimants: (cohort, wage level, month) -> terms.
        self._terms: dict[tuple[str, int, int], _Terms] = {}

    def window(self, p: Person, claims: list[ClaimDraft]) -> tuple[int, int]:
        """Months (year*12+month-1) of contributions posted for a claimant, both ends included."""
        last = min(
            min(d.event_date for d in claims),
            min((d.ended[0] for d in claims if d.ended), default=date.max),
        )
        end = last.year * 12 + last.month - 1
        first = p.enrolled_on.year * 12 + p.enrolled_on.month - 1
        assert p.plan is not None
        # PU JKK and JKm claimants too: their employers are current, and a shortened history
        # would read as years of arrears and make every such claim employer-first (#14).
        pu = p.cohort.category == "PU"
        full = (
            p.plan.program == "JP"
            or (pu and p.plan.program in ("JKK", "JKM"))
            or (p.plan.program == "JHT" and pu and self.spec.full_history_for_pu_jht)
        )
        return (first if full else max(first, end - self.spec.contribution_months + 1)), end

    def record(self, p: Person, month: int) -> Record:
        """The ContributionPosted record of a claimant for a month (year*12+month-1)."""
        key = (p.cohort.cohort_id, p.wage_permille, month)
        terms = self._terms.get(key) or self._terms.setdefault(key, _month_terms(p, month))
        period, paid_days, wage, pairs = terms
        rnd = self.rng.random
        paid, office_open = paid_days[int(rnd() * len(paid_days))]
        at = office_open + timedelta(seconds=int(rnd() * 8 * 3600))
        return ev.contribution(
            self.rng,
            p,
            period,
            wage,
            p.cohort.payer,
            paid,
            [{"program": prog, "amount": amount} for prog, amount in pairs],
            at,
        )


_Terms = tuple[str, tuple[tuple[date, datetime], ...], int, tuple[tuple[str, int], ...]]
"""(period "YYYY-MM", possible (paid day, 08:00 WIB that day), wage base, (program, amount))."""


def _month_terms(p: Person, month: int) -> _Terms:
    """Programs in force, wage and amounts for a month (enrolment is always on a 1st)."""
    year, mon, c = month // 12, month % 12 + 1, p.cohort
    first = date(year, mon, 1)
    programs = tuple(
        prog
        for prog in ("JHT", "JKK", "JKM", "JP")
        if (since := c.since(prog, p.enrolled_on)) is not None and since <= first
    )
    wage = monthly_wage(c, p.wage_permille, year)
    # PU pay by the 15th of the next month, BPU by the 15th of the same month (domain §2.2).
    paid = date(year + mon // 12, mon % 12 + 1, 4) if c.category == "PU" else date(year, mon, 3)
    days = tuple(paid + timedelta(days=k) for k in range(10))
    return (
        f"{year:04d}-{mon:02d}",
        tuple((d, office_time(d, _OPENING)) for d in days),
        wage,
        amounts(c, programs, wage, year, mon),
    )


class _Opening(Random):
    """A stand-in generator whose draws are always 0: office_time() then gives 08:00 WIB."""

    def random(self) -> float:
        return 0.0


_OPENING = _Opening()
