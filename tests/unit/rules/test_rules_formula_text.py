"""Formula texts are built from the rule values looked up, so an override shows in them."""

from __future__ import annotations

from datetime import date

import pytest
from rules_factories import coverage, jkk_claim, months

from services.rules import (
    AccidentOutcome,
    Approved,
    Component,
    DisabilityItem,
    JhtClaim,
    JhtGround,
    JpClaim,
    PensionKind,
    Program,
    RuleSet,
    assess,
    default_rules,
)
from services.rules.deadlines import late_interest
from services.rules.jht import payout
from services.rules.tax import lump_sum_tax

DAY = date(2024, 3, 4)
JP_START = date(2015, 7, 1)


def component(decision: object, code: str) -> Component:
    assert isinstance(decision, Approved), decision
    (found,) = (c for c in decision.components if c.code == code)
    return found


def jkk(outcome: AccidentOutcome, rules: RuleSet, **extra: object) -> Approved:
    decision = assess(jkk_claim(outcome, **extra), coverage(), (), rules)
    assert isinstance(decision, Approved), decision
    return decision


def old_age_pension(rules: RuleSet) -> Component:
    paid = months(JP_START, 180, 5_000_000, {Program.JP: 150_000})
    cov = coverage(start=JP_START, birth=date(1970, 1, 1), contributions=paid)
    claim = JpClaim("P-1", date(2030, 7, 1), date(2030, 7, 1), PensionKind.OLD_AGE)
    return component(assess(claim, cov, (), rules), "JP_OLD_AGE_MONTHLY")


@pytest.mark.parametrize(
    ("outcome", "code", "formula"),
    [
        (AccidentOutcome.TOTAL_DISABILITY, "JKK_TOTAL_DISABILITY", "70% × 80 × wage"),
        (AccidentOutcome.DEATH, "JKK_DEATH", "max(60% × 80 × wage, JKm lump sum)"),
    ],
)
def test_the_default_jkk_formulas_read_as_the_regulation_states_them(
    rules: RuleSet, outcome: AccidentOutcome, code: str, formula: str
) -> None:
    assert component(jkk(outcome, rules), code).formula == formula


def test_the_default_stmb_and_pension_and_tax_formulas_show_the_default_values(
    rules: RuleSet,
) -> None:
    stmb = component(jkk(AccidentOutcome.RECOVERED, rules, incapacity_days=400), "JKK_STMB")
    assert stmb.formula == "wage/30 × (days ≤ 360 × 100% + days > 360 × 50%)"
    assert old_age_pension(rules).formula.startswith("clamp(1% × months/12 × ")
    assert lump_sum_tax(80_000_000, DAY, rules).formula == "−5% × max(gross − Rp50,000,000, 0)"


def test_an_overridden_total_disability_rate_and_multiplier_show_in_the_formula() -> None:
    rules = default_rules().with_json_overrides(
        '{"jkk.total_disability.rate": 0.75, "jkk.months_multiplier": 72}'
    )
    found = component(jkk(AccidentOutcome.TOTAL_DISABILITY, rules), "JKK_TOTAL_DISABILITY")
    assert found.formula == "75% × 72 × wage"
    assert found.amount == 270_000_000  # 75% × 72 × 5m


def test_an_overridden_death_rate_shows_in_the_formula() -> None:
    rules = default_rules().with_json_overrides('{"jkk.death.rate": 0.625}')
    found = component(jkk(AccidentOutcome.DEATH, rules), "JKK_DEATH")
    assert found.formula == "max(62.5% × 80 × wage, JKm lump sum)"
    assert found.amount == 250_000_000


def test_without_the_jkm_floor_the_death_formula_no_longer_names_it() -> None:
    rules = default_rules().with_json_overrides(
        '{"jkk.death.at_least_jkm_lump_sum": false, "jkk.months_multiplier": 50}'
    )
    found = component(jkk(AccidentOutcome.DEATH, rules, wage=100_000), "JKK_DEATH")
    assert found.formula == "60% × 50 × wage"
    assert found.amount == 3_000_000


def test_overridden_stmb_days_and_rates_show_in_the_formula() -> None:
    rules = default_rules().with_json_overrides(
        '{"jkk.stmb.days_per_month": 31, "jkk.stmb.full_pay_days": 180,'
        ' "jkk.stmb.full_rate": "0.9", "jkk.stmb.later_rate": 0.375}'
    )
    found = component(jkk(AccidentOutcome.RECOVERED, rules, incapacity_days=200), "JKK_STMB")
    assert found.formula == "wage/31 × (days ≤ 180 × 90% + days > 180 × 37.5%)"


def test_an_overridden_multiplier_shows_in_the_partial_disability_formula() -> None:
    rules = default_rules().with_json_overrides('{"jkk.months_multiplier": 72}')
    items = (DisabilityItem("SIGHT_ONE_EYE"),)
    decision = jkk(AccidentOutcome.PARTIAL_DISABILITY, rules, disabilities=items)
    assert component(decision, "JKK_PARTIAL_DISABILITY").formula == "35% × 72 × wage"


def test_an_overridden_jp_accrual_rate_shows_in_the_pension_formula() -> None:
    rules = default_rules().with_json_overrides('{"jp.accrual_rate": 0.0125}')
    formula = old_age_pension(rules).formula
    assert formula == "clamp(1.25% × months/12 × average indexed wage × share, min, max) per month"


def test_an_overridden_lump_sum_tax_shows_its_rate_and_whole_rupiah_threshold() -> None:
    rules = default_rules().with_json_overrides(
        '{"tax.lump_sum.threshold": 60000000, "tax.lump_sum.rate_above": 0.075}'
    )
    tax = lump_sum_tax(80_000_000, DAY, rules)
    assert tax.formula == "−7.5% × max(gross − Rp60,000,000, 0)"
    assert tax.amount == -1_500_000


def test_an_overridden_partial_withdrawal_rate_shows_in_the_formula() -> None:
    rules = default_rules().with_json_overrides('{"jht.partial_10.rate": 0.125}')
    claim = JhtClaim("J-1", DAY, DAY, JhtGround.PARTIAL_10)
    part, _tax = payout(claim, 10_000_000, rules)
    assert (part.formula, part.amount) == ("12.5% × balance", 1_250_000)


def test_an_overridden_late_interest_rate_shows_in_the_formula() -> None:
    rules = default_rules().with_json_overrides('{"late_interest.JKK.daily_rate": 0.005}')
    found = late_interest(Program.JKK, 1_000_000, DAY, date(2024, 3, 6), rules)
    assert found.formula == "0.5% × benefit × calendar days late"
