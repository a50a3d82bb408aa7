"""Savings balances with yearly development crediting (JHT, PP 46/2015; JP lump sums, PP 45/2015).

The crediting method reproduces the BPJS Jamsostek Cell simulation (2024); no regulation found.
Rounding (the same simulation): each year's development is rounded to the sen (1/100 Rupiah), half
up, and the balance keeps its sen from year to year; it is rounded once, to whole Rupiah, half
up, when it leaves the rules (``closing``). The simulation publishes its year-end balances with
sen and is reproduced exactly only this way; rounding every year to whole Rupiah drifts by Rp1
within five years. No regulation states a rounding rule, so this follows the publication (U).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from services.rules.money import to_rupiah

SEN_PER_RUPIAH = 100


@dataclass(frozen=True)
class Flow:
    """Money into (+) or out of (−) the balance, dated by the first day of its month."""

    month: date
    amount: int


@dataclass(frozen=True)
class YearLine:
    """One year of crediting, in Rupiah with sen (Decimal, 2 places): opening balance, net
    flows, development credited, closing balance."""

    year: int
    opening: Decimal
    flows: Decimal
    development: Decimal
    closing: Decimal


def development(
    opening: Decimal | int, flows: Iterable[Flow], rate: Fraction, months: int = 12
) -> Decimal:
    """Development for a year, or its first ``months`` months: B × r × m/12 + Σ c_k × r ×
    (m − k)/12, k = 0 for January (BPJS simulation method), rounded half up to the sen."""
    opening_sen = to_rupiah(Fraction(opening) * SEN_PER_RUPIAH)  # exact for 2-place amounts
    return _rupiah(_development_sen(opening_sen, flows, rate, months))


def credit(
    flows: Iterable[Flow], valuation: date, rate_for_year: Callable[[int], Fraction]
) -> tuple[YearLine, ...]:
    """Credit flows year by year up to ``valuation``: full years at year end, the valuation year
    pro rata for its elapsed months. Flows after the valuation month are ignored. The balance
    keeps its sen from year to year (see the module docstring)."""
    kept = sorted((f for f in flows if f.month <= valuation), key=lambda f: f.month)
    if not kept:
        return ()
    by_year: dict[int, list[Flow]] = {}
    for f in kept:  # one pass, not one per year: a claimant has years of monthly flows
        by_year.setdefault(f.month.year, []).append(f)
    lines: list[YearLine] = []
    balance = 0  # sen, exact: integers, never a float or a rounded Rupiah
    for year in range(kept[0].month.year, valuation.year + 1):
        in_year = by_year.get(year, [])
        months = valuation.month - 1 if year == valuation.year else 12
        dev = _development_sen(balance, in_year, rate_for_year(year), months)
        net = SEN_PER_RUPIAH * sum(f.amount for f in in_year)
        after = balance + net + dev
        lines.append(YearLine(year, _rupiah(balance), _rupiah(net), _rupiah(dev), _rupiah(after)))
        balance = after
    return tuple(lines)


def closing(lines: tuple[YearLine, ...]) -> int:
    """The balance after the last credited year in whole Rupiah, rounded once, half up (0 when
    nothing was ever paid)."""
    return to_rupiah(Fraction(lines[-1].closing)) if lines else 0


def _development_sen(opening_sen: int, flows: Iterable[Flow], rate: Fraction, months: int) -> int:
    weighted = opening_sen * months + SEN_PER_RUPIAH * sum(
        f.amount * max(months - (f.month.month - 1), 0) for f in flows
    )
    return to_rupiah(rate * weighted / 12)  # half up, in whole sen


def _rupiah(sen: int) -> Decimal:
    """Whole sen as Rupiah with 2 places (exact: Decimal holds the digits, not a float)."""
    return Decimal(sen).scaleb(-2)
