"""The recorded assessment inputs read back to exactly what the rules were given."""

from __future__ import annotations

import json
import typing
from dataclasses import fields, is_dataclass
from datetime import date
from enum import Enum
from typing import Any

import pytest
from app_events import CLAIM, NIK, NOW, Sponsors, at, claim
from hypothesis import given, settings
from hypothesis import strategies as st

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.assessment_inputs import (
    AssessmentInputs,
    UnreadableInputs,
    decode_inputs,
    encode_inputs,
)
from services.app.translation import prior_claims, to_claim, to_coverage
from services.rules import (
    AccidentOutcome,
    AccidentType,
    Category,
    Child,
    Claim,
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


# -- the fast encoder against the generic walk it replaced ----------------------------------------


def generic_encode(
    claim: Claim, coverage: Coverage | None, prior_claims: tuple[PriorClaim, ...]
) -> str:
    """encode_inputs as it was: every dataclass walked by fields(), every value by isinstance."""

    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        return value

    def plain_coverage(c: Coverage) -> dict[str, Any]:
        out = {f.name: plain(getattr(c, f.name)) for f in fields(c) if f.name != "contributions"}
        out["contributions"] = [
            [
                m.period.isoformat(),
                m.wage_base,
                {a.program.value: a.amount for a in m.amounts},
                m.paid_on.isoformat(),
                # An under-paid month's programs, as a fifth element (#14); none: four.
                *([sorted(p.value for p in m.short)] if m.short else []),
            ]
            for m in c.contributions
        ]
        return out

    document = {
        "v": 1,
        "claim": plain(claim),
        "coverage": None if coverage is None else plain_coverage(coverage),
        "prior_claims": [plain(p) for p in prior_claims],
    }
    return json.dumps(document, separators=(",", ":"))


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.program.value)
@pytest.mark.parametrize("coverage", [COVERAGE, None], ids=["covered", "unknown"])
@pytest.mark.parametrize("prior", [PRIOR, ()], ids=["prior", "first"])
def test_the_inputs_are_written_byte_for_byte_as_the_generic_walk_wrote_them(
    claim: Claim, coverage: Coverage | None, prior: tuple[PriorClaim, ...]
) -> None:
    assert encode_inputs(claim, coverage, prior) == generic_encode(claim, coverage, prior)


def test_a_handler_s_recorded_inputs_are_those_the_generic_walk_wrote(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    (decision,) = handler.apply(CLAIM, claim(), covered, sponsors, at(6), NOW).decisions
    given_to_rules = to_claim(claim()), to_coverage(covered, sponsors), prior_claims(covered)
    assert decision["assessment_inputs"] == generic_encode(*given_to_rules)


def every_field(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances with every field drawn from its annotation, the defaulted ones too (a plain
    from_type leaves those at their defaults), nested dataclasses alike."""
    hints = typing.get_type_hints(cls)

    def strategy(hint: Any) -> st.SearchStrategy[Any]:
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple and is_dataclass(args[0]):
            return st.lists(every_field(args[0]), max_size=4).map(tuple)
        return st.from_type(hint)

    return st.builds(cls, **{f.name: strategy(hints[f.name]) for f in fields(cls)})


claims = st.one_of(*(every_field(t) for t in (JhtClaim, JkkClaim, JkmClaim, JpClaim)))


@settings(max_examples=200, deadline=None)
@given(
    claims,
    st.none() | every_field(Coverage),
    st.lists(every_field(PriorClaim), max_size=3).map(tuple),
)
def test_any_inputs_are_written_byte_for_byte_as_the_generic_walk_wrote_them(
    claim: Claim, coverage: Coverage | None, prior: tuple[PriorClaim, ...]
) -> None:
    assert encode_inputs(claim, coverage, prior) == generic_encode(claim, coverage, prior)
