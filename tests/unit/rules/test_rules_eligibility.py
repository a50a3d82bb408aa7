"""Eligibility shared by programs: scope, entitlement, BPU lapse, sponsor funding, provenance."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rules_factories import coverage, jkk_claim, months

from services.rules import (
    Approved,
    Category,
    Coverage,
    Heir,
    HeirRelation,
    JkmClaim,
    JpClaim,
    PensionKind,
    PriorClaim,
    Program,
    Rejected,
    SponsorFunding,
    assess,
    default_rules,
    may_hold,
)

BPU_PROGRAMS = (Program.JKK, Program.JKM, Program.JHT)
HEIRS = (Heir("Siti", HeirRelation.SPOUSE),)


def bpu_paid(first: date, count: int, late_days: int = 0) -> Coverage:
    contributions = months(
        first, count, 1_000_000, {Program.JKK: 10_000, Program.JKM: 6_800}, late_days
    )
    return coverage(Category.BPU, BPU_PROGRAMS, start=date(2020, 1, 1), contributions=contributions)


def reasons(decision: object) -> tuple[str, ...]:
    assert isinstance(decision, Rejected), decision
    return tuple(decision.reasons)


def test_a_bpu_may_not_claim_jp() -> None:
    claim = JpClaim("P-1", date(2024, 1, 1), date(2024, 2, 1), PensionKind.OLD_AGE)
    assert reasons(assess(claim, coverage(Category.BPU, BPU_PROGRAMS), ())) == (
        "category_not_entitled",
    )
    assert not may_hold(Category.JAKON, Program.JHT)


def test_events_before_july_2015_are_out_of_scope() -> None:
    assert reasons(assess(jkk_claim(day=date(2015, 6, 30)), coverage(), ())) == ("out_of_scope",)


def test_a_bpu_three_months_unpaid_is_still_covered() -> None:
    cov = bpu_paid(date(2023, 1, 1), 11)  # paid through Nov 2023, accident in Feb 2024
    assert isinstance(assess(jkk_claim(day=date(2024, 2, 20)), cov, ()), Approved)


def test_a_bpu_four_months_unpaid_has_lapsed() -> None:
    cov = bpu_paid(date(2023, 1, 1), 11)
    assert reasons(assess(jkk_claim(day=date(2024, 3, 20)), cov, ())) == ("coverage_lapsed",)


def test_a_bpu_who_never_paid_is_not_covered() -> None:
    cov = coverage(Category.BPU, BPU_PROGRAMS)
    decision = assess(jkk_claim(), cov, ())
    assert reasons(decision) == ("coverage_lapsed",)
    assert isinstance(decision, Rejected)
    assert "nothing paid" in {c.detail for c in decision.provenance.checks}


def test_a_bpu_payment_made_after_the_event_does_not_cover_it() -> None:
    cov = bpu_paid(date(2023, 1, 1), 15, late_days=200)  # every month paid ~7 months late
    assert reasons(assess(jkk_claim(day=date(2023, 5, 3)), cov, ())) == ("coverage_lapsed",)


def test_late_payments_count_when_configuration_says_so() -> None:
    rules = default_rules().with_overrides({"bpu.payment_after_event_counts": True})
    cov = bpu_paid(date(2023, 1, 1), 15, late_days=200)
    assert isinstance(assess(jkk_claim(day=date(2023, 5, 3)), cov, (), rules), Approved)


def sponsored(end: date, renewed: bool = False) -> Coverage:
    funding = [SponsorFunding("DKI", date(2024, 1, 1), end, (Program.JKK, Program.JKM))]
    if renewed:
        funding.append(
            SponsorFunding("DKI", date(2025, 1, 1), date(2025, 12, 31), (Program.JKK, Program.JKM))
        )
    return coverage(
        Category.BPU, BPU_PROGRAMS, start=date(2024, 1, 1), sponsor_funding=tuple(funding)
    )


def test_sponsored_months_count_as_paid() -> None:
    assert isinstance(
        assess(jkk_claim(day=date(2024, 6, 3)), sponsored(date(2024, 12, 31)), ()), Approved
    )


def test_sponsored_coverage_ends_with_the_funded_period() -> None:
    decision = assess(jkk_claim(day=date(2025, 1, 3)), sponsored(date(2024, 12, 31)), ())
    assert reasons(decision) == ("coverage_lapsed",)


def test_a_renewed_sponsorship_keeps_coverage() -> None:
    cov = sponsored(date(2024, 12, 31), renewed=True)
    assert isinstance(assess(jkk_claim(day=date(2025, 1, 3)), cov, ()), Approved)


def test_own_payments_after_sponsorship_give_the_usual_three_month_grace() -> None:
    base = sponsored(date(2024, 6, 30))
    own = months(date(2024, 7, 1), 1, 1_000_000, {Program.JKK: 10_000})
    cov = replace(base, contributions=own)
    assert isinstance(assess(jkk_claim(day=date(2024, 10, 3)), cov, ()), Approved)


def test_every_decision_names_the_rule_set_version_and_its_checks() -> None:
    decision = assess(jkk_claim(), coverage(), ())
    assert decision.provenance.rule_set_version == default_rules().version
    assert decision.provenance.rules_date == date(2024, 3, 4)
    assert all(c.passed for c in decision.provenance.checks if c.reason is not None)


def test_a_rejection_lists_every_failed_reason_once() -> None:
    cov = coverage(Category.BPU, BPU_PROGRAMS, ended_on=date(2020, 1, 1))
    prior = (
        PriorClaim("K-0", Program.JKM, date(2024, 1, 1), "DEATH", True),
        PriorClaim("K-1", Program.JKM, date(2024, 1, 1), "DEATH", True),
    )
    claim = JkmClaim("K-2", date(2024, 1, 1), date(2024, 2, 1), HEIRS, payee="Siti")
    decision = assess(claim, cov, prior)
    assert reasons(decision) == ("not_enrolled", "coverage_lapsed", "duplicate_claim")


def test_a_jkk_claim_from_someone_never_in_jkk_is_not_enrolled() -> None:
    cov = coverage(programs=(Program.JHT,))
    assert reasons(assess(jkk_claim(), cov, ())) == ("not_enrolled",)


def test_sponsor_funding_for_other_programs_does_not_cover_jkk() -> None:
    funding = (SponsorFunding("DKI", date(2024, 1, 1), date(2024, 12, 31), (Program.JKM,)),)
    cov = coverage(Category.BPU, BPU_PROGRAMS, sponsor_funding=funding)
    assert reasons(assess(jkk_claim(day=date(2024, 6, 3)), cov, ())) == ("coverage_lapsed",)
