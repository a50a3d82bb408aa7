"""JP pension formula: 1% × years × average indexed wage, clamped (PP 45/2015 Pasal 17-18)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

from services.rules.balance import Flow, closing, credit
from services.rules.categories import Program
from services.rules.coverage import Coverage
from services.rules.dates import month_start
from services.rules.money import round_down_to, round_up_to, to_rupiah
from services.rules.tables import RuleSet


def wage_cap(on: date, rules: RuleSet) -> int:
    """The JP wage cap in force on a date; it changes with March contributions (Pasal 29)."""
    return rules.amount("jp.wage_cap", on)


def next_cap(previous: int, gdp_factor: Fraction) -> int:
    """Next year's cap: previous × (1 + GDP growth), rounded down to Rp100 (Pasal 29; D)."""
    return round_down_to(previous * gdp_factor, 100)


def next_min_max(previous: int, inflation: Fraction) -> int:
    """Next year's min or max benefit: previous × (1 + inflation), up to Rp100 (Pasal 18; D)."""
    return round_up_to(previous * (1 + inflation), 100)


def index_factor(year: int, to_year: int, rules: RuleSet) -> Fraction:
    """Revaluation of year ``year``'s wage to ``to_year``: Π (1 + CPI inflation) over the years
    from ``year`` to ``to_year`` − 1. A year without its own inflation row counts as 0% (U)."""
    factor = Fraction(1)
    for y in range(year, to_year):
        factor *= growth(y, rules)
    return factor


def growth(year: int, rules: RuleSet) -> Fraction:
    """1 + that year's CPI inflation, or 1 for a year without its own row."""
    day = date(year, 12, 31)
    row = rules.row("jp.inflation", day)
    return 1 + rules.rate("jp.inflation", day) if row.effective.year == year else Fraction(1)


def _index_factors(years: Iterable[int], to_year: int, rules: RuleSet) -> dict[int, Fraction]:
    """index_factor(y, to_year) for each of `years`, from one pass back from `to_year`: each
    year's factor is the next year's times its own growth (the same exact product)."""
    wanted = set(years)
    factors, factor = {}, Fraction(1)
    for y in range(to_year - 1, min(wanted, default=to_year) - 1, -1):
        factor *= growth(y, rules)
        factors[y] = factor
    return {y: factors.get(y, Fraction(1)) for y in wanted}


def average_indexed_wage(coverage: Coverage, until: date, rules: RuleSet) -> Fraction:
    """Average monthly wage over the JP-paid months up to ``until``, each capped at the cap of
    its month and revalued to ``until``'s year (Pasal 17)."""
    last = month_start(until)
    months = {
        month_start(c.period): c.wage_base
        for c in coverage.contributions
        if c.amount_for(Program.JP) > 0 and month_start(c.period) <= last
    }
    if not months:
        return Fraction(0)
    # Capped wages added up per year, then revalued once per year: the same exact sum as
    # revaluing each month, without an index factor (a loop over years) for every month.
    capped: dict[int, int] = {}
    for m, wage in months.items():
        capped[m.year] = capped.get(m.year, 0) + min(wage, wage_cap(m, rules))
    factors = _index_factors(capped, until.year, rules)
    total = sum((wages * factors[year] for year, wages in capped.items()), Fraction(0))
    return total / len(months)


def monthly_pension(
    months: int, average: Fraction, share: Fraction, on: date, rules: RuleSet
) -> tuple[int, int]:
    """(unclamped, clamped) monthly amount: 1% × months/12 × average × share, rounded half up,
    then clamped to the year's minimum and maximum (Pasal 17-18)."""
    raw = to_rupiah(rules.rate("jp.accrual_rate", on) * Fraction(months, 12) * average * share)
    low, high = rules.amount("jp.benefit_min", on), rules.amount("jp.benefit_max", on)
    return raw, min(max(raw, low), high)


def lump_sum(coverage: Coverage, until: date, valuation: date, rules: RuleSet) -> int:
    """Accumulated JP contributions plus returns (Pasal 16), credited like JHT (rate U)."""
    last = month_start(until)
    flows = [
        Flow(month_start(c.period), amount)
        for c in coverage.contributions
        if (amount := c.amount_for(Program.JP)) > 0 and month_start(c.period) <= last
    ]
    lines = credit(
        flows, valuation, lambda year: rules.rate("jp.lump_sum.development_rate", date(year, 1, 1))
    )
    return closing(lines)
