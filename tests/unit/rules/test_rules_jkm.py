"""JKm: death benefits by date, scholarships after 3 years, PMI, arrears, duplicates."""

from __future__ import annotations

from datetime import date

from rules_factories import coverage, months

from services.rules import (
    Approved,
    Category,
    Child,
    ContributionMonth,
    Heir,
    HeirRelation,
    JkmClaim,
    PayableBy,
    PriorClaim,
    Program,
    Rejected,
    SchoolLevel,
    assess,
    default_rules,
)

HEIRS = (Heir("Siti", HeirRelation.SPOUSE), Heir("Budi", HeirRelation.CHILD))
KIDS = (Child(date(2010, 1, 1), SchoolLevel.SMP),)
DEATH = date(2024, 5, 1)


def claim(**extra: object) -> JkmClaim:
    extra = {"payee": "Siti", **extra}  # the widow, first of HEIRS
    return JkmClaim("K-1", DEATH, date(2024, 5, 20), **extra)  # type: ignore[arg-type]


def paid(count: int, first: date = date(2020, 1, 1)) -> tuple[ContributionMonth, ...]:
    return months(first, count, 3_000_000, {Program.JKM: 9_000})


def codes(decision: object) -> dict[str, int]:
    assert isinstance(decision, Approved), decision
    return {c.code: c.amount for c in decision.components}


def test_three_years_of_contributions_bring_the_scholarship() -> None:
    cov = coverage(start=date(2020, 1, 1), contributions=paid(52))
    found = codes(assess(claim(heirs=HEIRS, children=KIDS), cov, ()))
    assert found["JKM_SCHOLARSHIP_CHILD_1"] == 3 * 2_000_000 + 9_000_000 + 60_000_000
    assert found["JKM_LUMP_SUM"] == 20_000_000


def test_less_than_three_years_means_no_scholarship_but_not_a_rejection() -> None:
    cov = coverage(start=date(2023, 1, 1), contributions=paid(15, date(2023, 1, 1)))
    decision = assess(claim(heirs=HEIRS, children=KIDS), cov, ())
    assert sum(codes(decision).values()) == 42_000_000
    assert isinstance(decision, Approved)
    failed = [c.name for c in decision.provenance.checks if not c.passed]
    assert failed == ["scholarship_minimum_contributions"]


def test_pmi_months_of_membership_count_towards_the_scholarship() -> None:
    cov = coverage(Category.PMI, (Program.JKK, Program.JKM), start=date(2020, 1, 1))
    assert "JKM_SCHOLARSHIP_CHILD_1" in codes(assess(claim(heirs=HEIRS, children=KIDS), cov, ()))


def test_before_pp82_the_scholarship_was_a_flat_12m_after_five_years() -> None:
    cov = coverage(start=date(2016, 1, 1), contributions=paid(40, date(2016, 1, 1)))
    old = JkmClaim("K-1", date(2019, 6, 1), date(2019, 7, 1), HEIRS, KIDS, payee="Siti")
    assert "JKM_SCHOLARSHIP" not in codes(assess(old, cov, ()))
    rules = default_rules().with_overrides({"jkm.scholarship.min_contribution_months": 36})
    assert codes(assess(old, cov, (), rules))["JKM_SCHOLARSHIP"] == 12_000_000


def test_without_heirs_only_the_funeral_cost_is_paid() -> None:
    assert codes(assess(claim(children=KIDS), coverage(contributions=paid(52)), ())) == {
        "JKM_FUNERAL": 10_000_000
    }


def test_only_a_pmi_can_die_during_placement() -> None:
    decision = assess(claim(heirs=HEIRS, during_placement=True), coverage(), ())
    assert isinstance(decision, Rejected) and decision.reasons == ("invalid_claim",)


def test_a_pmi_dying_before_placement_gets_the_standard_42m() -> None:
    cov = coverage(Category.PMI, (Program.JKK, Program.JKM))
    decision = assess(claim(heirs=HEIRS), cov, ())
    assert isinstance(decision, Approved) and decision.total == 42_000_000


def test_a_death_paid_as_jkk_death_cannot_be_paid_again_as_jkm() -> None:
    prior = (PriorClaim("C-1", Program.JKK, DEATH, "DEATH", True),)
    decision = assess(claim(heirs=HEIRS), coverage(), prior)
    assert isinstance(decision, Rejected) and decision.reasons == ("duplicate_claim",)


def test_an_earlier_jkk_recovery_does_not_block_jkm() -> None:
    prior = (PriorClaim("C-1", Program.JKK, date(2021, 1, 1), "RECOVERED", True),)
    assert isinstance(assess(claim(heirs=HEIRS), coverage(), prior), Approved)


def test_employer_arrears_beyond_three_months_make_the_employer_pay_first() -> None:
    cov = coverage(start=date(2020, 1, 1), contributions=paid(40))
    decision = assess(claim(heirs=HEIRS), cov, ())
    assert isinstance(decision, Approved) and decision.payable_by is PayableBy.EMPLOYER_FIRST


def test_the_unconfirmed_jkm_arrears_rule_can_be_switched_off() -> None:
    rules = default_rules().with_overrides({"jkm.employer_first.applies": False})
    cov = coverage(start=date(2020, 1, 1), contributions=paid(40))
    decision = assess(claim(heirs=HEIRS), cov, (), rules)
    assert isinstance(decision, Approved) and decision.payable_by is PayableBy.BPJS
