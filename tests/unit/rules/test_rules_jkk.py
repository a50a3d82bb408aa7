"""JKK: eligibility, expiry, arrears, consistency and each benefit component."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rules_factories import coverage, jkk_claim, months

from services.rules import (
    AccidentOutcome,
    Approved,
    Category,
    Child,
    DisabilityItem,
    PayableBy,
    PriorClaim,
    Program,
    ReasonCode,
    Rejected,
    SchoolLevel,
    TransportCost,
    TransportMode,
    assess,
)

JKK_PAID = {Program.JKK: 44_500}


def components(decision: object) -> dict[str, int]:
    assert isinstance(decision, Approved), decision
    return {c.code: c.amount for c in decision.components}


def reasons(decision: object) -> tuple[str, ...]:
    assert isinstance(decision, Rejected), decision
    return tuple(decision.reasons)


def test_medical_costs_are_paid_as_billed_without_a_cap() -> None:
    claim = jkk_claim(medical_costs=987_654_321)
    assert components(assess(claim, coverage(), ())) == {"JKK_MEDICAL": 987_654_321}


def test_transport_is_capped_per_mode() -> None:
    claim = jkk_claim(
        transport=(
            TransportCost(TransportMode.LAND, 3_000_000),
            TransportCost(TransportMode.LAND, 4_000_000),
            TransportCost(TransportMode.SEA, 1_000_000),
            TransportCost(TransportMode.AIR, 12_000_000),
        )
    )
    assert components(assess(claim, coverage(), ())) == {
        "JKK_TRANSPORT_LAND": 5_000_000,
        "JKK_TRANSPORT_SEA": 1_000_000,
        "JKK_TRANSPORT_AIR": 10_000_000,
    }


def test_stmb_pays_full_wage_per_day_within_the_first_year() -> None:
    claim = jkk_claim(incapacity_days=45)
    assert components(assess(claim, coverage(), ()))["JKK_STMB"] == 7_500_000


def test_stmb_rounds_half_up_to_whole_rupiah() -> None:
    claim = jkk_claim(wage=1_000_001, incapacity_days=15)  # 500,000.5
    assert components(assess(claim, coverage(), ()))["JKK_STMB"] == 500_001


def test_a_left_handed_worker_losing_the_left_arm_gets_the_right_arm_percentage() -> None:
    items = (DisabilityItem("ARM_LEFT_FROM_SHOULDER"),)
    right = jkk_claim(AccidentOutcome.PARTIAL_DISABILITY, disabilities=items)
    left = replace(right, left_handed=True)
    assert components(assess(right, coverage(), ()))["JKK_PARTIAL_DISABILITY"] == 140_000_000
    assert components(assess(left, coverage(), ()))["JKK_PARTIAL_DISABILITY"] == 160_000_000


def test_loss_of_function_scales_the_table_percentage() -> None:
    items = (DisabilityItem("NOSE", function_lost_percent=50),)
    claim = jkk_claim(AccidentOutcome.PARTIAL_DISABILITY, disabilities=items)
    assert components(assess(claim, coverage(), ()))["JKK_PARTIAL_DISABILITY"] == 60_000_000


def test_partial_disabilities_add_up_but_never_beyond_total_disability() -> None:
    items = (DisabilityItem("SIGHT_BOTH_EYES"), DisabilityItem("HEARING_BOTH_EARS"))
    claim = jkk_claim(AccidentOutcome.PARTIAL_DISABILITY, disabilities=items)
    decision = assess(claim, coverage(), ())
    assert components(decision)["JKK_PARTIAL_DISABILITY"] == 280_000_000
    assert isinstance(decision, Approved)
    assert decision.components[0].confidence == "U"


def test_death_is_never_less_than_the_jkm_lump_sum() -> None:
    decision = assess(jkk_claim(AccidentOutcome.DEATH, wage=100_000), coverage(), ())
    assert components(decision)["JKK_DEATH"] == 20_000_000


def test_total_disability_pays_periodic_benefit_and_scholarships_for_two_children() -> None:
    kids = tuple(Child(date(2015 + n, 1, 1), SchoolLevel.NONE) for n in range(3))
    decision = assess(jkk_claim(AccidentOutcome.TOTAL_DISABILITY, children=kids), coverage(), ())
    found = components(decision)
    assert found["JKK_PERIODIC"] == 12_000_000
    assert found["JKK_SCHOLARSHIP_CHILD_1"] == found["JKK_SCHOLARSHIP_CHILD_2"] == 87_000_000
    assert "JKK_SCHOLARSHIP_CHILD_3" not in found


def test_children_aged_23_or_more_get_no_scholarship() -> None:
    kids = (Child(date(1990, 1, 1), SchoolLevel.UNIVERSITY),)
    found = components(assess(jkk_claim(AccidentOutcome.DEATH, children=kids), coverage(), ()))
    assert not any(code.startswith("JKK_SCHOLARSHIP") for code in found)


def test_a_claim_more_than_five_years_after_the_accident_is_expired() -> None:
    claim = replace(jkk_claim(), submitted_on=date(2029, 3, 5))
    assert reasons(assess(claim, coverage(), ())) == (ReasonCode.CLAIM_EXPIRED,)


def test_before_pp82_a_claim_expired_after_two_years() -> None:
    claim = replace(jkk_claim(day=date(2017, 3, 4)), submitted_on=date(2019, 3, 5))
    assert reasons(assess(claim, coverage(), ())) == ("claim_expired",)


def test_an_accident_outside_the_jkk_enrollment_is_not_enrolled() -> None:
    cov = coverage(ended_on=date(2024, 1, 31))
    assert reasons(assess(jkk_claim(), cov, ())) == ("not_enrolled",)


def test_employer_more_than_three_months_in_arrears_pays_first() -> None:
    paid = months(date(2016, 1, 1), 93, 5_000_000, JKK_PAID)  # through Sep 2023
    decision = assess(jkk_claim(), coverage(contributions=paid), ())
    assert isinstance(decision, Approved)
    assert decision.payable_by is PayableBy.EMPLOYER_FIRST


def test_employer_up_to_three_months_in_arrears_leaves_bpjs_paying() -> None:
    paid = months(date(2016, 1, 1), 95, 5_000_000, JKK_PAID)  # through Nov 2023
    decision = assess(jkk_claim(), coverage(contributions=paid), ())
    assert isinstance(decision, Approved)
    assert decision.payable_by is PayableBy.BPJS


def test_benefits_use_the_reported_wage_when_the_claim_states_more() -> None:
    paid = months(date(2016, 1, 1), 100, 4_000_000, JKK_PAID)
    decision = assess(jkk_claim(AccidentOutcome.TOTAL_DISABILITY), coverage(contributions=paid), ())
    assert components(decision)["JKK_TOTAL_DISABILITY"] == 224_000_000
    assert isinstance(decision, Approved)
    assert not {c.name: c.passed for c in decision.provenance.checks}["wage_as_reported"]


def test_the_declared_wage_is_the_reported_wage_when_nothing_was_posted() -> None:
    cov = coverage(declared_wage=3_000_000)
    decision = assess(jkk_claim(AccidentOutcome.TOTAL_DISABILITY), cov, ())
    assert components(decision)["JKK_TOTAL_DISABILITY"] == 168_000_000


def test_inconsistent_input_is_an_invalid_claim() -> None:
    bad = [
        jkk_claim(medical_costs=-1),
        jkk_claim(AccidentOutcome.PARTIAL_DISABILITY),
        jkk_claim(disabilities=(DisabilityItem("NOSE"),)),
        jkk_claim(AccidentOutcome.PARTIAL_DISABILITY, disabilities=(DisabilityItem("TAIL"),)),
        jkk_claim(
            AccidentOutcome.PARTIAL_DISABILITY,
            disabilities=(DisabilityItem("NOSE", function_lost_percent=120),),
        ),
        replace(jkk_claim(), reported_stage1_on=date(2024, 3, 1)),
        replace(jkk_claim(), reported_stage2_on=date(2024, 3, 3)),
    ]
    assert {reasons(assess(c, coverage(), ())) for c in bad} == {("invalid_claim",)}


def test_a_death_already_paid_as_jkm_cannot_be_paid_as_jkk() -> None:
    prior = (PriorClaim("K-9", Program.JKM, date(2024, 3, 4), "DEATH", True),)
    assert reasons(assess(jkk_claim(AccidentOutcome.DEATH), coverage(), prior)) == (
        "duplicate_claim",
    )


def test_the_same_accident_outcome_approved_before_is_a_duplicate() -> None:
    prior = (PriorClaim("C-0", Program.JKK, date(2024, 3, 4), "RECOVERED", True),)
    assert reasons(assess(jkk_claim(), coverage(), prior)) == ("duplicate_claim",)


def test_reassessing_the_same_claim_id_is_not_a_duplicate() -> None:
    prior = (PriorClaim("C-1", Program.JKK, date(2024, 3, 4), "RECOVERED", True),)
    assert isinstance(assess(jkk_claim(), coverage(), prior), Approved)


def test_a_rejected_prior_claim_does_not_make_a_duplicate() -> None:
    prior = (PriorClaim("C-0", Program.JKK, date(2024, 3, 4), "RECOVERED", False),)
    assert isinstance(assess(jkk_claim(), coverage(), prior), Approved)


def test_jakon_workers_have_no_arrears_rule() -> None:
    cov = coverage(Category.JAKON, (Program.JKK, Program.JKM))
    decision = assess(jkk_claim(AccidentOutcome.TOTAL_DISABILITY), cov, ())
    assert isinstance(decision, Approved) and decision.payable_by is PayableBy.BPJS
