"""Simulated JKK partial-disability claims name items the rules' disability table knows."""

from __future__ import annotations

from datetime import date
from random import Random

from services.rules import DisabilityItem, default_rules
from services.rules.jkk_disability import item_problems, partial_disability, table_code
from simulator import DISABILITY_CODES
from simulator.claims_jkk import _disabilities
from simulator.reference import FUNCTIONAL_DISABILITY_CODES

RULES = default_rules()


def test_every_simulated_disability_code_is_a_row_of_the_rules_table() -> None:
    unknown = [c for c in DISABILITY_CODES if f"jkk.disability.{c}" not in RULES.tables]
    assert unknown == []


def test_codes_that_may_lose_function_are_simulated_codes() -> None:
    assert set(FUNCTIONAL_DISABILITY_CODES) <= set(DISABILITY_CODES)


def test_a_left_handed_participant_s_arm_codes_swap_to_codes_the_table_knows() -> None:
    for code in DISABILITY_CODES:
        swapped = table_code(DisabilityItem(code), left_handed=True)
        assert f"jkk.disability.{swapped}" in RULES.tables, code


def test_generated_disability_items_are_priced_by_the_rules_without_problems() -> None:
    seen: set[str] = set()
    for seed in range(300):
        items = tuple(
            DisabilityItem(d["item"], d["function_lost_percent"])
            for d in _disabilities(Random(seed))
        )
        seen.update(i.item for i in items)
        assert item_problems(items, RULES) == []
        component = partial_disability(items, seed % 2 == 0, 5_000_000, date(2025, 1, 6), RULES)
        assert component.amount > 0
    assert seen == set(DISABILITY_CODES)
