"""Each posted contribution judged against the month's contribution due (#14)."""

from __future__ import annotations

from datetime import date

import pytest
from rules_factories import coverage, jkk_claim, months

from services.rules import AccidentOutcome, Approved, Category, Program, RuleSet, assess
from services.rules.contribution_check import (
    PostingCheck,
    ProgramCheck,
    check_posting,
    month_due,
    months_late,
)
from services.rules.standing import arrears_months

ALL = frozenset(Program)
JUNE = date(2025, 6, 1)
# Wage Rp5,000,000, JKK class III (0.89%), June 2025 (JP cap 10,547,400 from March 2025): JKK
# 44,500; JKm 15,000; JHT 285,000 (3.7% + 2%); JP 150,000 (2% + 1%). domain.md §2.1.
DUE = {Program.JKK: 44_500, Program.JKM: 15_000, Program.JHT: 285_000, Program.JP: 150_000}


def judge(
    rules: RuleSet,
    posted: dict[Program, int],
    paid: date,
    month_posted: dict[Program, int] | None = None,
    category: Category = Category.PU,
    programs_in_force: frozenset[Program] = ALL,
    risk_class: int | None = 3,
) -> PostingCheck:
    return check_posting(
        category, programs_in_force, risk_class, JUNE, 5_000_000, posted,
        month_posted or posted, paid, rules,
    )  # fmt: skip


def by_program(check: PostingCheck) -> dict[Program, ProgramCheck]:
    return {c.program: c for c in check.programs}


def test_the_month_due_is_the_published_rates_on_the_wage(rules: RuleSet) -> None:
    due, why = month_due(Category.PU, ALL, 3, JUNE, 5_000_000, rules)
    assert (due, why) == (DUE, "")


def test_the_jp_share_stops_at_the_wage_cap_of_the_month(rules: RuleSet) -> None:
    # domain.md §9 ex. 1 note: wage 10m under the 2023 cap 9,559,600 → JP 286,788.
    due, _ = month_due(Category.PU, frozenset({Program.JP}), 1, date(2023, 6, 1), 10_000_000, rules)
    assert due == {Program.JP: 286_788}


def test_an_exact_posting_on_time_owes_nothing(rules: RuleSet) -> None:
    check = judge(rules, DUE, date(2025, 7, 15))
    assert {c.result for c in check.programs} == {"EXACT"}
    assert check.due_on == date(2025, 7, 15)
    assert {(c.months_late, c.penalty, c.difference) for c in check.programs} == {(0, 0, 0)}
    assert check.short == frozenset()


def test_an_under_and_an_over_payment_are_named_with_their_difference(rules: RuleSet) -> None:
    posted = {**DUE, Program.JHT: 250_000, Program.JP: 160_000}
    c = by_program(judge(rules, posted, date(2025, 7, 10)))
    assert (c[Program.JHT].result, c[Program.JHT].difference) == ("UNDERPAID", -35_000)
    assert (c[Program.JP].result, c[Program.JP].difference) == ("OVERPAID", 10_000)
    assert c[Program.JKK].result == "EXACT"
    assert judge(rules, posted, date(2025, 7, 10)).short == {Program.JHT}
    assert "JHT 250000 posted for 2025-06 against 285000 due" in c[Program.JHT].detail


def test_a_top_up_that_completes_the_month_is_exact(rules: RuleSet) -> None:
    """Judged on the month's postings so far: the second posting of 35,000 completes 285,000."""
    check = judge(rules, {Program.JHT: 35_000}, date(2025, 7, 12), {Program.JHT: 285_000})
    assert by_program(check)[Program.JHT].result == "EXACT"
    assert check.short == frozenset()


def test_a_program_not_in_force_that_month_is_all_over_payment(rules: RuleSet) -> None:
    check = judge(
        rules, {Program.JP: 150_000}, date(2025, 7, 1), programs_in_force=frozenset({Program.JHT})
    )
    jp = by_program(check)[Program.JP]
    assert (jp.expected, jp.result, jp.difference) == (0, "OVERPAID", 150_000)
    assert "not enrolled in JP" in jp.detail


@pytest.mark.parametrize(
    ("paid", "late"),
    [
        (date(2025, 7, 15), 0),
        (date(2025, 7, 16), 1),
        (date(2025, 8, 15), 1),
        (date(2025, 8, 16), 2),
        (date(2026, 1, 2), 6),
    ],
)
def test_each_month_or_part_of_one_after_the_15th_counts(paid: date, late: int) -> None:
    assert months_late(date(2025, 7, 15), paid) == late


def test_a_late_month_owes_two_percent_a_month_of_what_it_paid_that_was_due(
    rules: RuleSet,
) -> None:
    # domain.md §9 ex. 8: Rp10,000,000 of arrears × 2% = Rp200,000 a month late. Here JHT
    # 285,000 paid 2 months late: 2 × 2% × 285,000 = 11,400.
    c = by_program(judge(rules, DUE, date(2025, 8, 20)))
    assert (c[Program.JHT].months_late, c[Program.JHT].penalty) == (2, 11_400)
    assert c[Program.JKK].penalty == 1_780  # 2 × 2% × 44,500
    assert "2 month(s) after 2025-07-15" in c[Program.JHT].detail


def test_the_published_penalty_example(rules: RuleSet) -> None:
    from services.rules.contribution_check import late_penalty

    assert late_penalty(10_000_000, 1, JUNE, rules) == 200_000


def test_bpu_is_due_by_the_15th_of_the_same_month_and_pays_no_penalty(rules: RuleSet) -> None:
    programs = frozenset({Program.JKK, Program.JKM, Program.JHT})
    check = check_posting(
        Category.BPU, programs, None, JUNE, 1_000_000,
        {Program.JKK: 10_000, Program.JKM: 6_800, Program.JHT: 20_000},
        {Program.JKK: 10_000, Program.JKM: 6_800, Program.JHT: 20_000},
        date(2025, 8, 1), rules,
    )  # fmt: skip
    assert check.due_on == date(2025, 6, 15)
    assert {c.result for c in check.programs} == {"EXACT"}  # §9 ex. 6: 10,000 + 6,800 + 20,000
    assert {(c.months_late, c.penalty) for c in check.programs} == {(2, 0)}


def test_pmi_and_a_pu_employer_without_risk_class_are_not_checked(rules: RuleSet) -> None:
    pmi = judge(rules, {Program.JKK: 37_500}, date(2025, 7, 1), category=Category.PMI)
    assert [(c.result, c.expected) for c in pmi.programs] == [("NOT_CHECKED", None)]
    assert "placement phase" in pmi.programs[0].detail
    bare = judge(rules, {Program.JKK: 44_500}, date(2025, 7, 1), risk_class=None)
    assert bare.programs[0].result == "NOT_CHECKED"


def test_an_under_paid_month_is_in_arrears_until_the_rest_arrives() -> None:
    paid = months(date(2024, 1, 1), 12, 5_000_000, {Program.JKK: 44_500})
    short = tuple(
        m.__class__(m.period, m.wage_base, m.amounts, m.paid_on, frozenset({Program.JKK}))
        if m.period.month in (10, 11, 12) else m
        for m in paid
    )  # fmt: skip
    day = date(2025, 1, 20)
    since = date(2024, 1, 1)
    assert arrears_months(coverage(start=since, contributions=paid), Program.JKK, day) == 0
    assert arrears_months(coverage(start=since, contributions=short), Program.JKK, day) == 3


def test_a_jkk_death_on_an_under_reported_wage_bills_the_employer_the_gap() -> None:
    """48 × the reported wage is paid; the employer owes 48 × (true − reported) for the lump sum
    (PP 44/2015; domain.md §3.2), per wage-based component; funeral and the like differ by 0."""
    paid = months(date(2016, 1, 1), 100, 4_000_000, {Program.JKK: 35_600})
    claim = jkk_claim(AccidentOutcome.DEATH, wage=5_000_000)
    decision = assess(claim, coverage(contributions=paid), ())
    assert isinstance(decision, Approved)
    owed = {c.code: c.amount for c in decision.employer_shortfall}
    paid_lines = {c.code: c.amount for c in decision.components}
    assert paid_lines["JKK_DEATH"] == 48 * 4_000_000
    assert owed == {"JKK_DEATH": 48 * 1_000_000}
    assert "JKK_FUNERAL" not in owed
    line = decision.employer_shortfall[0]
    assert dict(line.inputs) == {"true_wage": "5000000", "reported_wage": "4000000"}
    assert "under-reported" in line.regulation


def test_no_shortfall_when_the_wage_was_reported_in_full() -> None:
    paid = months(date(2016, 1, 1), 100, 5_000_000, {Program.JKK: 44_500})
    decision = assess(jkk_claim(AccidentOutcome.DEATH), coverage(contributions=paid), ())
    assert isinstance(decision, Approved) and decision.employer_shortfall == ()


def test_a_month_before_the_2015_regime_is_recorded_as_not_checked(rules: RuleSet) -> None:
    """A Jamsostek-era posting still counts in the ledger; no rule prices it, so it is flagged."""
    check = check_posting(
        Category.PU, ALL, 3, date(2015, 3, 1), 5_000_000, {Program.JHT: 285_000},
        {Program.JHT: 285_000}, date(2015, 4, 10), rules,
    )  # fmt: skip
    (jht,) = check.programs
    assert (jht.result, jht.expected, jht.penalty) == ("NOT_CHECKED", None, 0)
    assert "no contribution rule in force for 2015-03" in jht.detail
