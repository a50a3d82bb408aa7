"""Savings balances with yearly development crediting (JHT; JP lump sums), domain.md §9 ex. 3."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.rules.money import to_rupiah


@dataclass(frozen=True)
class Flow:
    """Money into (+) or out of (−) the balance, dated by the first day of its month."""

    month: date
    amount: int


@dataclass(frozen=True)
class YearLine:
    """One year of crediting: opening balance, net flows, development credited, closing."""

    year: int
    opening: int
    flows: int
    development: int
    closing: int


def development(opening: int, flows: Iterable[Flow], rate: Fraction, months: int = 12) -> int:
    """Development for a year, or its first ``months`` months: B × r × m/12 + Σ c_k × r ×
    (m − k)/12, k = 0 for January (BPJS simulation method). Rounded half up once per year:
    no published rounding rule, so this is our convention (U)."""
    weighted = opening * months + sum(
        f.amount * max(months - (f.month.month - 1), 0) for f in flows
    )
    return to_rupiah(rate * weighted / 12)


def credit(
    flows: Iterable[Flow], valuation: date, rate_for_year: Callable[[int], Fraction]
) -> tuple[YearLine, ...]:
    """Credit flows year by year up to ``valuation``: full years at year end, the valuation year
    pro rata for its elapsed months. Flows after the valuation month are ignored."""
    kept = sorted((f for f in flows if f.month <= valuation), key=lambda f: f.month)
    if not kept:
        return ()
    by_year: dict[int, list[Flow]] = {}
    for f in kept:  # one pass, not one per year: a claimant has years of monthly flows
        by_year.setdefault(f.month.year, []).append(f)
    lines: list[YearLine] = []
    balance = 0
    for year in range(kept[0].month.year, valuation.year + 1):
        in_year = by_year.get(year, [])
        months = valuation.month - 1 if year == valuation.year else 12
        dev = development(balance, in_year, rate_for_year(year), months)
        net = sum(f.amount for f in in_year)
        lines.append(YearLine(year, balance, net, dev, balance + net + dev))
        balance += net + dev
    return tuple(lines)


def closing(lines: tuple[YearLine, ...]) -> int:
    """The balance after the last credited year (0 when nothing was ever paid)."""
    return lines[-1].closing if lines else 0
