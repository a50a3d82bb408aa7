"""The recorded assessment inputs read back to exactly what the rules were given."""

from __future__ import annotations

import json
from datetime import date

import pytest
from app_events import CLAIM, NIK, NOW, Sponsors, at, claim

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.assessment_inputs import (
    AssessmentInputs,
    UnreadableInputs,
    decode_inputs,
    encode_inputs,
)
from services.rules import (
    AccidentOutcome,
    AccidentType,
    Category,
    Child,
    ContributionMonth,
    Coverage,
    DisabilityItem,
    EndReason,
    Heir,
    HeirRelation,
    JhtClaim,
    JhtGround,
    JkkClaim,
    JkmClaim,
    JpClaim,
    PensionKind,
    PriorClaim,
    Program,
    ProgramAmount,
    ProgramPeriod,
    SchoolLevel,
    SponsorFunding,
    TransportCost,
    TransportMode,
)

DAY = date(2025, 6, 2)
COVERAGE = Coverage(
    category=Category.PU,
    birth_date=date(1968, 5, 17),
    enrolled_on=date(2016, 1, 4),
    periods=(
        ProgramPeriod(Program.JHT, date(2016, 1, 1)),
        ProgramPeriod(Program.JKK, date(2016, 1, 1), date(2025, 5, 31)),
    ),
    contributions=(
        ContributionMonth(
            date(2025, 1, 1),
            5_000_000,
            (ProgramAmount(Program.JHT, 285_000), ProgramAmount(Program.JKK, 44_500)),
            date(2025, 2, 10),
        ),
        ContributionMonth(date(2025, 2, 1), 5_000_000, (), date(2025, 3, 11)),
    ),
    sponsor_funding=(
        SponsorFunding("pemprov-dki", date(2016, 3, 1), date(2017, 2, 28), (Program.JKK,)),
    ),
    declared_wage=5_000_000,
    jkk_risk_class=3,
    ended_on=date(2025, 5, 31),
    end_reason=EndReason.RESIGNED,
)
CLAIMS = [
    JhtClaim("C-JHT", DAY, date(2025, 7, 3), JhtGround.RESIGNATION, date(2025, 5, 31)),
    JkkClaim(
        "C-JKK",
        DAY,
        date(2025, 6, 12),
        AccidentType.COMMUTING,
        date(2025, 6, 3),
        4_500_000,
        AccidentOutcome.PARTIAL_DISABILITY,
        medical_costs=12_750_000,
        transport=(TransportCost(TransportMode.LAND, 350_000),),
        incapacity_days=21,
        disabilities=(DisabilityItem("SIGHT_ONE_EYE"), DisabilityItem("HEARING_ONE_EAR", 30)),
        left_handed=True,
        children=(Child(date(2016, 8, 17), SchoolLevel.SD),),
        reported_stage2_on=date(2025, 6, 11),
    ),
    JkmClaim(
        "C-JKM",
        DAY,
        date(2025, 6, 5),
        heirs=(Heir("BUDI SANTOSO", HeirRelation.SPOUSE),),
        children=(Child(date(2010, 2, 1), SchoolLevel.SMP),),
        during_placement=False,
    ),
    JpClaim("C-JP", DAY, date(2025, 6, 5), PensionKind.OLD_AGE),
]
PRIOR = (PriorClaim("C-0", Program.JHT, date(2020, 1, 2), "PARTIAL_10", True, 1_500_000),)


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.program.value)
def test_every_claim_type_reads_back_equal_with_its_coverage_and_prior_claims(claim) -> None:
    text = encode_inputs(claim, COVERAGE, PRIOR)
    assert decode_inputs(text) == AssessmentInputs(claim, COVERAGE, PRIOR)


def test_a_claim_of_a_kpj_never_enrolled_has_no_coverage() -> None:
    assert decode_inputs(encode_inputs(CLAIMS[0], None, ())) == AssessmentInputs(
        CLAIMS[0], None, ()
    )


def test_contribution_months_are_stored_compactly() -> None:
    document = json.loads(encode_inputs(CLAIMS[0], COVERAGE, ()))
    assert document["coverage"]["contributions"][0] == [
        "2025-01-01",
        5_000_000,
        {"JHT": 285_000, "JKK": 44_500},
        "2025-02-10",
    ]


def test_reformatted_json_still_reads_back(tmp_path) -> None:
    # PostgreSQL's jsonb re-orders keys and spacing; the content is what counts.
    text = encode_inputs(CLAIMS[1], COVERAGE, PRIOR)
    reordered = json.dumps(json.loads(text), sort_keys=True, indent=2)
    assert decode_inputs(reordered) == decode_inputs(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"v": 2, "claim": {}, "coverage": null, "prior_claims": []}',
        '{"v": 1, "claim": {"program": "JKN"}, "coverage": null, "prior_claims": []}',
        '{"v": 1, "claim": {"program": "JP", "claim_id": 1}, "coverage": null, "prior_claims": []}',
        "not json",
    ],
)
def test_inputs_that_do_not_read_back_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(UnreadableInputs):
        decode_inputs(text)


def test_a_decision_carries_its_inputs_and_they_hold_no_nik(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    (decision,) = handler.apply(CLAIM, claim(), covered, sponsors, at(6), NOW).decisions
    text = decision["assessment_inputs"]
    assert NIK not in text
    inputs = decode_inputs(text)
    assert inputs.claim.claim_id == decision["claim_id"]
    assert inputs.coverage is not None and len(inputs.coverage.contributions) == 5


def test_an_unknown_kpj_s_decision_records_inputs_without_coverage(
    handler: ParticipantEvents, sponsors: Sponsors
) -> None:
    (decision,) = handler.apply(CLAIM, claim(), None, sponsors, at(0), NOW).decisions
    assert decode_inputs(decision["assessment_inputs"]).coverage is None
