"""JP: old-age pension or lump sum, disability and survivor conditions, min/max clamps."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_factories import coverage, months

from services.rules import (
    Approved,
    Category,
    ContributionMonth,
    Coverage,
    Heir,
    HeirRelation,
    JpClaim,
    PensionKind,
    PriorClaim,
    Program,
    Rejected,
    RuleSet,
    assess,
    default_rules,
)
from services.rules.dates import add_months
from services.rules.jp_formula import average_indexed_wage, index_factor, monthly_pension

JP_START = date(2015, 7, 1)


def history(
    count: int, wage: int = 5_000_000, first: date = JP_START
) -> tuple[ContributionMonth, ...]:
    return months(first, count, wage, {Program.JP: wage * 3 // 100})


SURVIVOR = {
    PensionKind.WIDOW_WIDOWER: Heir("Siti", HeirRelation.SPOUSE),
    PensionKind.CHILD: Heir("Budi", HeirRelation.CHILD),
    PensionKind.PARENT: Heir("Ani", HeirRelation.PARENT),
}


def claim(kind: PensionKind, day: date) -> JpClaim:
    """A JP claim; a survivor pension's claimant is its survivor, and the payee."""
    if kind in SURVIVOR:
        return JpClaim("P-1", day, day, kind, (SURVIVOR[kind],), SURVIVOR[kind].name)
    return JpClaim("P-1", day, day, kind)


def only(decision: object) -> tuple[str, int]:
    assert isinstance(decision, Approved), decision
    (component,) = decision.components
    return component.code, component.amount


def reasons(decision: object) -> tuple[str, ...]:
    assert isinstance(decision, Rejected), decision
    return tuple(decision.reasons)


def test_fifteen_years_at_retirement_age_bring_a_monthly_pension() -> None:
    cov = coverage(start=JP_START, birth=date(1970, 1, 1), contributions=history(180))
    code, amount = only(assess(claim(PensionKind.OLD_AGE, date(2030, 7, 1)), cov, ()))
    assert code == "JP_OLD_AGE_MONTHLY"
    assert 750_000 <= amount <= 1_500_000


def test_fewer_than_fifteen_years_bring_a_lump_sum_instead() -> None:
    cov = coverage(start=JP_START, birth=date(1965, 1, 1), contributions=history(100))
    code, amount = only(assess(claim(PensionKind.OLD_AGE, date(2024, 2, 1)), cov, ()))
    assert code == "JP_LUMP_SUM" and amount > 100 * 150_000


def test_old_age_pension_waits_for_the_retirement_age_in_force_that_year() -> None:
    cov = coverage(start=JP_START, birth=date(1966, 6, 1), contributions=history(100))
    assert reasons(assess(claim(PensionKind.OLD_AGE, date(2025, 1, 1)), cov, ())) == (
        "age_not_reached",
    )


def test_disability_with_dense_contributions_is_computed_on_fifteen_years() -> None:
    cov = coverage(start=date(2020, 1, 1), contributions=history(45, first=date(2020, 1, 1)))
    code, amount = only(assess(claim(PensionKind.DISABILITY, date(2023, 10, 1)), cov, ()))
    assert code == "JP_DISABILITY_MONTHLY" and amount >= 750_000


def test_disability_with_sparse_contributions_gets_a_lump_sum() -> None:
    cov = coverage(start=date(2018, 1, 1), contributions=history(30, first=date(2021, 1, 1)))
    assert only(assess(claim(PensionKind.DISABILITY, date(2023, 10, 1)), cov, ()))[0] == (
        "JP_LUMP_SUM"
    )


def test_disability_after_retirement_age_is_an_invalid_claim() -> None:
    cov = coverage(birth=date(1950, 1, 1), contributions=history(50))
    assert reasons(assess(claim(PensionKind.DISABILITY, date(2020, 1, 1)), cov, ())) == (
        "invalid_claim",
    )


def test_disability_needs_jp_coverage_on_the_event_date() -> None:
    cov = coverage(contributions=history(50), ended_on=date(2019, 1, 1))
    assert reasons(assess(claim(PensionKind.DISABILITY, date(2020, 1, 1)), cov, ())) == (
        "not_enrolled",
    )


def test_a_widow_gets_the_unconfirmed_half_share_after_a_dense_year() -> None:
    cov = coverage(
        start=date(2022, 1, 1), contributions=history(24, 2_000_000, first=date(2022, 1, 1))
    )
    decision = assess(claim(PensionKind.WIDOW_WIDOWER, date(2024, 1, 15)), cov, ())
    code, amount = only(decision)
    assert code == "JP_WIDOW_WIDOWER_MONTHLY" and amount == 393_500  # clamped up to the minimum
    assert isinstance(decision, Approved) and decision.components[0].confidence == "U"


def test_a_survivor_of_a_member_under_a_year_gets_a_lump_sum() -> None:
    cov = coverage(start=date(2023, 6, 1), contributions=history(7, first=date(2023, 6, 1)))
    assert only(assess(claim(PensionKind.CHILD, date(2024, 1, 15)), cov, ()))[0] == "JP_LUMP_SUM"


def test_a_lump_sum_with_nothing_paid_is_rejected_as_no_balance() -> None:
    cov = coverage(start=date(2023, 6, 1))
    assert reasons(assess(claim(PensionKind.PARENT, date(2024, 1, 15)), cov, ())) == ("no_balance",)


def test_a_pension_kind_starts_only_once() -> None:
    cov = coverage(start=JP_START, birth=date(1965, 1, 1), contributions=history(100))
    prior = (PriorClaim("P-0", Program.JP, date(2023, 2, 1), "OLD_AGE", True),)
    assert reasons(assess(claim(PensionKind.OLD_AGE, date(2024, 2, 1)), cov, prior)) == (
        "duplicate_claim",
    )


def test_the_monthly_pension_is_clamped_to_the_yearly_maximum(rules: RuleSet) -> None:
    assert monthly_pension(480, Fraction(20_000_000), Fraction(1), date(2024, 6, 1), rules) == (
        8_000_000,
        4_718_200,
    )


def test_wages_are_revalued_by_inflation_and_missing_years_count_as_zero(rules: RuleSet) -> None:
    assert index_factor(2024, 2026, rules) == Fraction("1.0157") * Fraction("1.0292")
    assert index_factor(2025, 2028, rules) == Fraction("1.0292")


def test_pu_without_jp_enrollment_is_not_enrolled() -> None:
    cov = coverage(Category.PU, (Program.JKK, Program.JKM), contributions=history(50))
    assert reasons(assess(claim(PensionKind.OLD_AGE, date(2040, 1, 1)), cov, ())) == (
        "not_enrolled",
        "age_not_reached",
    )


def test_the_average_indexed_wage_of_no_contributions_is_zero(rules: RuleSet) -> None:
    assert average_indexed_wage(coverage(), date(2024, 1, 1), rules) == 0


def revalued_month_by_month(cov: Coverage, until: date, rules: RuleSet) -> Fraction:
    """The average indexed wage as Pasal 17 words it: each month capped and revalued alone."""
    last = until.replace(day=1)
    paid = {
        c.period: c.wage_base
        for c in cov.contributions
        if c.amount_for(Program.JP) > 0 and c.period <= last
    }
    if not paid:
        return Fraction(0)
    total = sum(
        (
            min(wage, rules.amount("jp.wage_cap", m)) * index_factor(m.year, until.year, rules)
            for m, wage in paid.items()
        ),
        Fraction(0),
    )
    return total / len(paid)


@settings(max_examples=60, deadline=None)
@given(
    st.dates(date(2015, 7, 1), date(2030, 12, 1)),
    st.integers(0, 240),
    st.integers(0, 30_000_000),
    st.integers(0, 300),
)
def test_the_average_indexed_wage_is_the_average_of_each_month_revalued(
    first: date, count: int, wage: int, months_later: int
) -> None:
    rules = default_rules()
    cov = coverage(contributions=history(count, wage, first.replace(day=1)))
    until = add_months(first, months_later)
    assert average_indexed_wage(cov, until, rules) == revalued_month_by_month(cov, until, rules)
