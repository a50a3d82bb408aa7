"""JKK permanent partial disability: table percent × 80 × wage (PP 44/2015 jo PP 82/2019)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.rules.claims import DisabilityItem
from services.rules.decision import Component, inputs
from services.rules.money import percent_text, to_rupiah
from services.rules.tables import Confidence, RuleSet

REGULATION = "PP 44/2015 jo PP 82/2019 Lampiran (table partially retrieved)"


def table_code(item: DisabilityItem, left_handed: bool) -> str:
    """The table row for an item; for left-handed people right and left arm rows swap."""
    if not left_handed:
        return item.item
    swapped = item.item.replace("_RIGHT_", "_TMP_").replace("_LEFT_", "_RIGHT_")
    return swapped.replace("_TMP_", "_LEFT_")


def item_problems(items: tuple[DisabilityItem, ...], rules: RuleSet) -> list[str]:
    """Items the table cannot price: unknown codes or a function-lost percent outside 0-100."""
    problems = [
        f"unknown disability item {i.item!r}"
        for i in items
        if f"jkk.disability.{i.item}" not in rules.tables
    ]
    problems += [
        f"function lost {i.function_lost_percent}% for {i.item!r} is outside 0-100"
        for i in items
        if i.function_lost_percent is not None and not 0 <= i.function_lost_percent <= 100
    ]
    return problems


def item_rate(item: DisabilityItem, left_handed: bool, day: date, rules: RuleSet) -> Fraction:
    """Anatomical loss: the table percent; loss of function: % function lost × table percent."""
    rate = rules.rate(f"jkk.disability.{table_code(item, left_handed)}", day)
    if item.function_lost_percent is None:
        return rate
    return rate * Fraction(item.function_lost_percent, 100)


def partial_disability(
    items: tuple[DisabilityItem, ...], left_handed: bool, wage: int, day: date, rules: RuleSet
) -> Component:
    """Permanent partial disability: Σ table% (capped at the total-disability 70%, U) × 80 ×
    wage, rounded half up (PP 44/2015 jo PP 82/2019)."""
    total = sum((item_rate(i, left_handed, day, rules) for i in items), Fraction(0))
    cap = rules.rate("jkk.partial_disability.max_percent", day)
    months = rules.amount("jkk.months_multiplier", day)
    rate = min(total, cap)
    return Component(
        "JKK_PARTIAL_DISABILITY",
        to_rupiah(rate * months * wage),
        f"{percent_text(rate)} × {months} × wage",
        REGULATION,
        inputs(
            items=",".join(table_code(i, left_handed) for i in items),
            wage=wage,
            table_percent=percent_text(total),
            capped_at=percent_text(cap),
        ),
        Confidence.SINGLE_SOURCE if total <= cap else Confidence.UNCONFIRMED,
    )
