"""Expected contributions by category and the comparison with what was posted."""

from __future__ import annotations

from datetime import date

import pytest

from services.rules import Category, Program, ProgramAmount, RuleSet
from services.rules.contribution_check import (
    PaymentStatus,
    compare,
    compare_posted,
    due_date,
    within_range,
)
from services.rules.contributions import (
    bpu,
    expected,
    jakon_by_contract,
    total_by_program,
)

DAY = date(2024, 6, 1)


def test_jakon_illustration_for_a_1bn_contract_uses_marginal_tiers(rules: RuleSet) -> None:
    assert [s.amount for s in jakon_by_contract(1_000_000_000, DAY, rules)] == [1_540_000, 210_000]


def test_a_jakon_contract_above_5bn_reaches_the_last_tier(rules: RuleSet) -> None:
    jkk = jakon_by_contract(6_000_000_000, DAY, rules)[0].amount
    assert jkk == 1_540_000 + 4_400_000 + 900_000


def test_jakon_with_a_known_wage_pays_1_74_and_0_30_percent(rules: RuleSet) -> None:
    shares = expected(Category.JAKON, frozenset({Program.JKK}), 4_000_000, DAY, rules)
    assert [s.amount for s in shares] == [69_600]


def test_bpu_jkk_is_capped_at_207_000(rules: RuleSet) -> None:
    assert bpu(frozenset({Program.JKK}), 50_000_000, DAY, rules)[0].amount == 207_000
    assert expected(Category.BPU, frozenset({Program.JKK}), 500_000, DAY, rules)[0].amount == (
        10_000
    )


def test_pu_without_a_risk_class_cannot_price_jkk(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="risk class"):
        expected(Category.PU, frozenset({Program.JKK}), 5_000_000, DAY, rules)
    with pytest.raises(ValueError, match="PMI"):
        expected(Category.PMI, frozenset({Program.JKK}), 5_000_000, DAY, rules)


def test_under_and_over_payment_are_flagged_per_program(rules: RuleSet) -> None:
    want = total_by_program(expected(Category.PU, frozenset(Program), 10_000_000, DAY, rules, 3))
    posted = (
        ProgramAmount(Program.JHT, 570_000),
        ProgramAmount(Program.JKK, 80_000),
        ProgramAmount(Program.JKM, 30_001),
    )
    result = compare_posted(posted, want)
    assert {p: c.status for p, c in result.items()} == {
        Program.JHT: PaymentStatus.EXACT,
        Program.JKK: PaymentStatus.UNDERPAID,
        Program.JKM: PaymentStatus.OVERPAID,
        Program.JP: PaymentStatus.UNDERPAID,
    }
    assert result[Program.JP].difference == -300_000
    assert compare(30_001, 30_000, tolerance=1).status is PaymentStatus.EXACT


def test_a_chosen_pmi_jht_amount_is_checked_against_its_range() -> None:
    assert within_range(40_000, 50_000, 600_000).status is PaymentStatus.UNDERPAID
    assert within_range(700_000, 50_000, 600_000).difference == 100_000
    assert within_range(100_000, 50_000, 600_000).status is PaymentStatus.EXACT


def test_contributions_are_due_on_the_15th_of_the_next_month() -> None:
    assert due_date(date(2024, 11, 1)) == date(2024, 12, 15)
    assert due_date(date(2024, 12, 1)) == date(2025, 1, 15)
