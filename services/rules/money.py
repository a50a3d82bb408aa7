"""Whole-Rupiah arithmetic: exact fractions inside, one explicit rounding step at the end."""

# No regulation states how a percentage of a wage is rounded to whole Rupiah, so every amount is
# computed exactly (fractions.Fraction, never float) and rounded once, half up, unless a rule names
# another rounding: the JP wage cap rounds down to Rp100 and the JP minimum/maximum round up to
# Rp100 (both derived from the series published under PP 45/2015 Pasal 29 and Pasal 18, which
# set the indexing but not the rounding).

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def to_rupiah(amount: Fraction | int) -> int:
    """Round an exact amount to whole Rupiah, half up (x.5 → x+1)."""
    # floor(n/d + 1/2) in integers (an int is n/1; a Fraction's d is positive): the same value
    # as (Fraction(amount) + Fraction(1, 2)) // 1 without building three Fractions a call.
    n, d = amount.numerator, amount.denominator
    return (2 * n + d) // (2 * d)


def round_down_to(amount: Fraction | int, step: int) -> int:
    """Round down to a multiple of ``step`` (JP wage cap: down to Rp100, PP 45/2015 Pasal 29)."""
    value = Fraction(amount)
    return int(value // step) * step


def round_up_to(amount: Fraction | int, step: int) -> int:
    """Round up to a multiple of ``step`` (JP min/max benefit: up to Rp100, PP 45/2015 Pasal 18)."""
    value = Fraction(amount)
    return int(-((-value) // step)) * step


def rupiah_text(amount: int) -> str:
    """Whole Rupiah for formula text, e.g. 50_000_000 → 'Rp50,000,000' (never via float)."""
    return f"Rp{amount:,}"


def percent_text(rate: Fraction) -> str:
    """A rate as a percent string for formula text, e.g. Fraction(89, 10000) → '0.89%'."""
    value = Decimal(rate.numerator) / Decimal(rate.denominator) * 100
    return f"{value.normalize():f}%"
