"""The JP pension over time (services/rules/pension.py): indexation, clamp, due day, who follows."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.rules import default_rules
from services.rules.claims import HeirRelation
from services.rules.money import to_rupiah
from services.rules.pension import (
    Beneficiary,
    Pension,
    aged_out_after,
    apply_change,
    children_in_age,
    due_on,
    index_factor,
    monthly_amount,
    pays,
    successor_pension,
)

RULES = default_rules()
SPOUSE = Beneficiary("SITI", HeirRelation.SPOUSE)
CHILD_A = Beneficiary("ADI", HeirRelation.CHILD, date(2005, 3, 10))
CHILD_B = Beneficiary("BUDI", HeirRelation.CHILD, date(2008, 7, 1))
CHILD_C = Beneficiary("CITRA", HeirRelation.CHILD, date(2010, 1, 5))
PARENT = Beneficiary("IBU", HeirRelation.PARENT)


def own(base: int = 1_000_000, year: int = 2024) -> Pension:
    return Pension("C1", "OLD_AGE", base, year, date(year, 7, 1), None)


def test_january_indexes_by_the_prior_year_s_cpi_inflation() -> None:
    p = own()
    assert monthly_amount(p, date(2024, 12, 1), RULES) == 1_000_000
    # 2024 inflation 1.57% (BPS), applied from January 2025: Rp1,015,700 exactly.
    assert monthly_amount(p, date(2025, 1, 1), RULES) == 1_015_700
    # and 2025's 2.92% from January 2026, on the exact chain, rounded once half up.
    assert monthly_amount(p, date(2026, 1, 1), RULES) == to_rupiah(
        1_000_000 * Fraction(10157, 10000) * Fraction(10292, 10000)
    )
    assert index_factor(2024, date(2024, 12, 1), RULES) == 1


def test_the_amount_is_clamped_to_the_month_s_minimum_and_maximum() -> None:
    assert monthly_amount(own(base=100_000), date(2024, 8, 1), RULES) == 393_500  # 2024 minimum
    assert monthly_amount(own(base=100_000), date(2025, 8, 1), RULES) == 399_700  # 2025 minimum
    assert monthly_amount(own(base=9_000_000), date(2024, 8, 1), RULES) == 4_718_200  # maximum


def test_a_month_is_due_on_its_first_working_day() -> None:
    assert due_on(date(2025, 1, 1), RULES) == date(2025, 1, 2)  # 1 Jan is New Year's Day
    assert due_on(date(2024, 12, 1), RULES) == date(2024, 12, 2)  # 1 Dec 2024 was a Sunday
    assert due_on(date(2025, 7, 1), RULES) == date(2025, 7, 1)  # a Tuesday


def test_the_payroll_pays_only_inside_the_pension_s_months() -> None:
    p = Pension("C1", "OLD_AGE", 1_000_000, 2024, date(2024, 7, 1), date(2025, 2, 1))
    assert not pays(p, date(2024, 6, 1), RULES)
    assert pays(p, date(2024, 7, 1), RULES) and pays(p, date(2025, 2, 1), RULES)
    assert not pays(p, date(2025, 3, 1), RULES)


def test_the_pensioner_s_death_starts_the_widow_s_pension_the_month_after() -> None:
    effect = apply_change(
        own(), "PENSIONER_DIED", date(2025, 3, 17), (SPOUSE, CHILD_A), None, RULES
    )
    assert effect.last_month == date(2025, 3, 1) and effect.rejection is None
    assert effect.successor is not None and effect.successor.kind == "WIDOW_WIDOWER"
    widow = successor_pension(own(), effect.successor, "C1/WIDOW_WIDOWER", date(2025, 4, 1), RULES)
    # 50% of the formula (unconfirmed share), same base year: indexed as the pensioner's was.
    assert widow.base == 500_000 and widow.base_year == 2024
    assert widow.payroll_from == date(2025, 4, 1)
    assert monthly_amount(widow, date(2025, 4, 1), RULES) == 507_850


def test_without_a_spouse_up_to_two_children_in_age_then_a_parent_follow() -> None:
    kids = apply_change(
        own(), "PENSIONER_DIED", date(2025, 3, 1), (CHILD_A, CHILD_B, CHILD_C), None, RULES
    )
    assert kids.successor is not None and kids.successor.kind == "CHILD"
    assert kids.successor.beneficiaries == (CHILD_A, CHILD_B)  # jp.max_children = 2
    parent = apply_change(own(), "PENSIONER_DIED", date(2025, 3, 1), (PARENT,), None, RULES)
    assert parent.successor is not None and parent.successor.kind == "PARENT"
    nobody = apply_change(own(), "PENSIONER_DIED", date(2025, 3, 1), (), None, RULES)
    assert nobody.successor is None and nobody.last_month == date(2025, 3, 1)


def test_a_widow_who_remarries_hands_over_to_the_children_on_record() -> None:
    widow = Pension(
        "C1/WIDOW_WIDOWER", "WIDOW_WIDOWER", 500_000, 2024, date(2025, 4, 1), None,
        (SPOUSE, CHILD_A),
    )  # fmt: skip
    effect = apply_change(widow, "SURVIVOR_REMARRIED", date(2025, 9, 2), (), None, RULES)
    assert effect.last_month == date(2025, 9, 1)
    assert effect.successor is not None and effect.successor.kind == "CHILD"
    assert effect.successor.beneficiaries == (CHILD_A,)


def test_a_child_pension_ends_at_23_and_when_the_last_child_leaves() -> None:
    p = Pension("C1/CHILD", "CHILD", 500_000, 2024, date(2025, 4, 1), None, (CHILD_A, CHILD_B))
    # ADI turns 23 on 10 Mar 2028: paid through March 2028, BUDI on.
    assert children_in_age(p.beneficiaries, date(2028, 4, 1), RULES) == (CHILD_B,)
    # BUDI turns 23 on 1 Jul 2031: July is not paid, so the pension ends after June.
    assert aged_out_after(p, date(2031, 6, 1), RULES) is None
    assert aged_out_after(p, date(2031, 7, 1), RULES) == date(2031, 6, 1)
    assert not pays(p, date(2031, 7, 1), RULES) and pays(p, date(2031, 6, 1), RULES)
    left = apply_change(p, "CHILD_LEFT", date(2026, 5, 5), (), "adi", RULES)
    assert left.beneficiaries == (CHILD_B,) and left.last_month is None
    last = apply_change(
        Pension("C1/CHILD", "CHILD", 1, 2024, date(2025, 4, 1), None, (CHILD_B,)),
        "CHILD_LEFT", date(2026, 5, 5), (), "BUDI", RULES,
    )  # fmt: skip
    assert last.last_month == date(2026, 5, 1)


def test_a_change_that_does_not_apply_is_rejected_with_its_code() -> None:
    assert apply_change(own(), "CHILD_LEFT", date(2025, 1, 1), (), "X", RULES).rejection == (
        "not_applicable"
    )
    ended = Pension("C1", "OLD_AGE", 1, 2024, date(2024, 7, 1), date(2025, 1, 1))
    assert apply_change(ended, "PENSIONER_DIED", date(2025, 1, 1), (), None, RULES).rejection == (
        "pension_ended"
    )
    child = Pension("C1/CHILD", "CHILD", 1, 2024, date(2025, 4, 1), None, (CHILD_A,))
    assert apply_change(child, "CHILD_LEFT", date(2025, 5, 1), (), "ZED", RULES).rejection == (
        "unknown_child"
    )
    assert apply_change(own(), "PENSIONER_DIED", date(2023, 1, 1), (), None, RULES).rejection == (
        "before_start"
    )
