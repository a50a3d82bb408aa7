"""JHT: payout grounds, waiting period, partial withdrawals, balance and tax."""

from __future__ import annotations

from datetime import date
from typing import Any

from rules_factories import WIDOW, coverage, months

from services.rules import (
    Approved,
    Coverage,
    JhtClaim,
    JhtGround,
    PriorClaim,
    Program,
    Rejected,
    RuleSet,
    assess,
    default_rules,
)
from services.rules.tax import progressive_tax

NO_RETURN = default_rules().with_overrides({"jht.development_rate": "0"})
TEN_YEARS = months(date(2012, 1, 1), 120, 10_000_000, {Program.JHT: 570_000})  # 68.4m


def claim(
    ground: JhtGround,
    day: date = date(2024, 3, 1),
    submitted: date = date(2024, 6, 1),
    exit_date: date | None = None,
    claim_id: str = "J-1",
) -> JhtClaim:
    if ground is JhtGround.DEATH:  # the widow is the heir and the payee
        return JhtClaim(claim_id, day, submitted, ground, exit_date, WIDOW, WIDOW[0].name)
    return JhtClaim(claim_id, day, submitted, ground, exit_date)


def member(**extra: Any) -> Coverage:
    return coverage(
        start=date(2012, 1, 1), birth=date(1968, 1, 1), contributions=TEN_YEARS, **extra
    )


def reasons(decision: object) -> tuple[str, ...]:
    assert isinstance(decision, Rejected), decision
    return tuple(decision.reasons)


def test_a_full_payout_above_50m_is_taxed_5_percent_on_the_excess() -> None:
    decision = assess(claim(JhtGround.DEATH), member(), (), NO_RETURN)
    assert isinstance(decision, Approved)
    assert {c.code: c.amount for c in decision.components} == {
        "JHT_BALANCE": 68_400_000,
        "JHT_TAX_PPH21_FINAL": -920_000,
    }
    assert decision.total == 67_480_000


def test_a_balance_earns_development_at_the_yearly_rate() -> None:
    decision = assess(claim(JhtGround.DEATH), member(), ())
    assert isinstance(decision, Approved)
    assert decision.components[0].amount > 68_400_000


def test_age_56_pays_from_the_56th_birthday() -> None:
    assert isinstance(assess(claim(JhtGround.AGE_56), member(), (), NO_RETURN), Approved)
    young = member(birth_date=date(1980, 1, 1))
    assert reasons(assess(claim(JhtGround.AGE_56), young, (), NO_RETURN)) == ("age_not_reached",)


def test_resignation_waits_one_month_from_the_exit_date() -> None:
    early = claim(JhtGround.RESIGNATION, submitted=date(2024, 3, 20), exit_date=date(2024, 3, 1))
    ready = claim(JhtGround.RESIGNATION, submitted=date(2024, 4, 1), exit_date=date(2024, 3, 1))
    assert reasons(assess(early, member(), (), NO_RETURN)) == ("waiting_period_not_met",)
    assert isinstance(assess(ready, member(), (), NO_RETURN), Approved)


def test_termination_without_an_exit_date_counts_from_the_event_date() -> None:
    early = claim(JhtGround.TERMINATION, submitted=date(2024, 3, 15))
    assert reasons(assess(early, member(), (), NO_RETURN)) == ("waiting_period_not_met",)


def test_a_partial_withdrawal_pays_10_percent_less_progressive_tax() -> None:
    decision = assess(claim(JhtGround.PARTIAL_10), member(), (), NO_RETURN)
    assert isinstance(decision, Approved)
    assert [c.amount for c in decision.components] == [6_840_000, -342_000]


def test_a_partial_withdrawal_needs_ten_years_of_membership() -> None:
    short = member(periods=coverage(start=date(2016, 1, 1)).periods)
    assert reasons(assess(claim(JhtGround.PARTIAL_30), short, (), NO_RETURN)) == (
        "minimum_membership_not_met",
    )


def test_a_partial_withdrawal_is_allowed_only_while_still_a_member() -> None:
    gone = member(ended_on=date(2023, 12, 31))
    assert reasons(assess(claim(JhtGround.PARTIAL_10), gone, (), NO_RETURN)) == ("not_enrolled",)


def test_a_partial_withdrawal_is_allowed_once() -> None:
    prior = (PriorClaim("J-0", Program.JHT, date(2023, 1, 5), "PARTIAL_30", True, 1_000_000),)
    assert reasons(assess(claim(JhtGround.PARTIAL_10), member(), prior, NO_RETURN)) == (
        "partial_withdrawal_used",
    )


def test_an_earlier_withdrawal_reduces_the_balance_paid_later() -> None:
    prior = (PriorClaim("J-0", Program.JHT, date(2023, 1, 5), "PARTIAL_30", True, 20_000_000),)
    decision = assess(claim(JhtGround.LEFT_INDONESIA), member(), prior, NO_RETURN)
    assert isinstance(decision, Approved) and decision.components[0].amount == 48_400_000


def test_nothing_credited_means_no_balance() -> None:
    assert reasons(assess(claim(JhtGround.DEATH), coverage(), (), NO_RETURN)) == ("no_balance",)


def test_someone_never_in_jht_is_not_enrolled() -> None:
    cov = coverage(programs=(Program.JKK, Program.JKM), contributions=TEN_YEARS)
    assert reasons(assess(claim(JhtGround.DEATH), cov, (), NO_RETURN)) == ("not_enrolled",)


def test_the_same_ground_and_date_twice_is_a_duplicate() -> None:
    prior = (PriorClaim("J-0", Program.JHT, date(2024, 3, 1), "DEATH", True),)
    assert reasons(assess(claim(JhtGround.DEATH), member(), prior, NO_RETURN)) == (
        "duplicate_claim",
    )


def test_progressive_tax_walks_every_bracket(rules: RuleSet) -> None:
    day = date(2024, 1, 1)
    assert progressive_tax(600_000_000, day, rules).amount == -124_000_000
    assert progressive_tax(6_000_000_000, day, rules).amount == -1_794_000_000
