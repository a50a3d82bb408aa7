"""Translation between events, the participant state and the rules' values; sponsor changes."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from enum import Enum
from typing import Any

import pytest
from app_events import (
    BATCH,
    CHANGED,
    CLAIM,
    ENDED,
    FUNDED,
    JHT_DETAIL,
    JKM_DETAIL,
    JP_DETAIL,
    KPJ,
    NIK,
    NOW,
    Sponsors,
    at,
    claim,
    fixture,
    instant,
)

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.participant_rows import participant_row
from services.app.records import BatchMarkerRow, SponsorFundingRow
from services.app.sponsor_events import sponsor_change
from services.app.translation import (
    claim_kind,
    prior_claims,
    sponsor_funding,
    to_claim,
    to_coverage,
)
from services.rules import (
    Category,
    ContributionMonth,
    EndReason,
    JhtClaim,
    JkkClaim,
    JkmClaim,
    JpClaim,
    PriorClaim,
    Program,
    ProgramAmount,
    ProgramPeriod,
    SponsorFunding,
)

DETAILS = {
    "JHT": JHT_DETAIL,
    "JKK": fixture(CLAIM)["detail"],
    "JKM": JKM_DETAIL,
    "JP": JP_DETAIL,
}
CLAIM_TYPES = {"JHT": JhtClaim, "JKK": JkkClaim, "JKM": JkmClaim, "JP": JpClaim}


def plain(value: Any) -> Any:
    """A rules value back in the event's shape: enums by value, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def detail_of(c: Any) -> dict[str, Any]:
    fields = plain(dataclasses.asdict(c))
    return {
        k: v
        for k, v in fields.items()
        if k not in ("claim_id", "event_date", "submitted_on", "program", "payee")
    }


@pytest.mark.parametrize("program", sorted(DETAILS))
def test_a_claim_event_translates_to_the_rules_claim_and_back(program: str) -> None:
    event = claim(f"KLM-{program}-1", program=program, detail=DETAILS[program])
    translated = to_claim(event)
    assert type(translated) is CLAIM_TYPES[program]
    assert (translated.claim_id, translated.program, translated.event_date) == (
        f"KLM-{program}-1",
        Program(program),
        date(2025, 6, 2),
    )
    assert detail_of(translated) == DETAILS[program]
    assert translated.payee == event["payee"]["name"]  # the account holder, matched to heirs


def test_the_claim_is_submitted_on_its_jakarta_date() -> None:
    late_evening_utc = claim(occurred_at=instant("2025-06-11T18:00"))
    assert to_claim(late_evening_utc).submitted_on == date(2025, 6, 12)
    assert to_claim(claim(occurred_at=instant("2025-06-12T16:59"))).submitted_on == date(
        2025, 6, 12
    )


def test_optional_claim_details_take_their_schema_defaults() -> None:
    detail = {k: v for k, v in DETAILS["JKK"].items() if k not in ("left_handed", "children")}
    translated = to_claim(claim(detail={**detail, "reported_stage2_on": None}))
    assert isinstance(translated, JkkClaim)
    assert (translated.left_handed, translated.children, translated.reported_stage2_on) == (
        False,
        (),
        None,
    )
    jkm = to_claim(claim(program="JKM", detail={"heirs": []}))
    assert isinstance(jkm, JkmClaim)
    assert (jkm.during_placement, jkm.children) == (False, ())


@pytest.mark.parametrize(
    ("program", "kind"),
    [("JHT", "RESIGNATION"), ("JKK", "PARTIAL_DISABILITY"), ("JKM", "DEATH"), ("JP", "OLD_AGE")],
)
def test_a_claims_kind_is_its_ground_outcome_or_pension_kind(program: str, kind: str) -> None:
    assert claim_kind(to_claim(claim(program=program, detail=DETAILS[program]))) == kind


def test_the_state_translates_to_the_rules_coverage(covered: ps.State, sponsors: Sponsors) -> None:
    coverage = to_coverage(covered, sponsors)
    assert coverage.category is Category.BPU
    assert (coverage.birth_date, coverage.enrolled_on) == (date(1990, 1, 5), date(2025, 1, 6))
    assert set(coverage.periods) == {
        ProgramPeriod(Program.JKK, date(2025, 1, 1), None),
        ProgramPeriod(Program.JKM, date(2025, 1, 1), None),
    }
    assert coverage.contributions[0] == ContributionMonth(
        date(2025, 1, 1),
        1000000,
        (ProgramAmount(Program.JKK, 10000), ProgramAmount(Program.JKM, 6800)),
        date(2025, 1, 10),
    )
    assert [c.period.month for c in coverage.contributions] == [1, 2, 3, 4, 5]
    assert coverage.sponsor_funding == (
        SponsorFunding(
            "PEMPROV-DKI", date(2025, 1, 1), date(2025, 12, 31), (Program.JKK, Program.JKM)
        ),
    )
    assert (coverage.declared_wage, coverage.jkk_risk_class) == (1000000, None)
    assert (coverage.ended_on, coverage.end_reason) == (None, None)


def test_an_ended_coverage_carries_its_date_and_reason(covered: ps.State) -> None:
    ended = ps.coverage_ended(covered, fixture(ENDED), at(6))
    coverage = to_coverage(ended, lambda _: None)
    assert (coverage.ended_on, coverage.end_reason) == (date(2025, 12, 31), EndReason.SPONSOR_ENDED)
    assert all(p.end == date(2025, 12, 31) for p in coverage.periods)


def test_the_coverage_periods_read_back_as_the_state_holds_them(covered: ps.State) -> None:
    changed = ps.programs_changed(
        covered,
        fixture(CHANGED, removed=[{"program": "JKM", "end_date": date(2025, 4, 30)}]),
        at(6),
    )
    periods = to_coverage(changed, lambda _: None).periods
    back: dict[str, list[list[str | None]]] = {}
    for p in periods:
        back.setdefault(p.program.value, []).append(
            [p.start.isoformat(), None if p.end is None else p.end.isoformat()]
        )
    assert back == changed["programs"]


def test_a_participant_without_a_sponsor_or_unknown_sponsor_has_no_funding() -> None:
    assert sponsor_funding(None, lambda _: {"fundings": [["2025-01-01", "2025-12-31", []]]}) == ()
    assert sponsor_funding("NOBODY", lambda _: None) == ()


def test_prior_claims_are_read_from_the_state(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    detail = {**DETAILS["JKK"], "outcome": "RECOVERED", "disabilities": [], "wage": 1000000}
    state = handler.apply(
        "bpjs.claim.ClaimSubmitted", claim(detail=detail), covered, sponsors, at(6), NOW
    ).state
    assert state is not None
    (prior,) = prior_claims(state)
    assert prior == PriorClaim(
        "KLM-JKK-2025-000123", Program.JKK, date(2025, 6, 2), "RECOVERED", True, prior.paid_amount
    )
    assert prior.paid_amount > 0


def test_the_participant_row_holds_the_whole_state_and_no_nik(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    """PostgreSQL owns the state: the row is what the next batch loads back."""
    state = handler.apply("bpjs.claim.ClaimSubmitted", claim(), covered, sponsors, at(6), NOW).state
    assert state is not None
    row = participant_row(KPJ, state, at(6))
    assert json.loads(row.coverage_json) == state
    assert "decision" in state["claims"]["KLM-JKK-2025-000123"]  # re-emitted on a replay
    assert json.loads(row.coverage_json)["ledger"] == covered["ledger"]
    assert NIK not in row.coverage_json


# -- sponsor events ----------------------------------------------------------------------------


def test_a_funded_cohort_starts_the_sponsors_fundings_and_yields_its_row() -> None:
    event = fixture(FUNDED)
    change = sponsor_change(FUNDED, event, lambda _: None)
    assert (change.kind, change.sponsor_id, change.batch) == (
        "SponsoredCohortFunded",
        "PEMPROV-DKI",
        None,
    )
    assert change.sponsor_state == {
        "fundings": [["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"]]
    }
    assert change.funding == SponsorFundingRow(
        "PEMPROV-DKI",
        "DKI-2025-BPU-RENTAN",
        "Pemerintah Provinsi DKI Jakarta",
        "PROVINCE",
        date(2025, 1, 1),
        date(2025, 12, 31),
        50400000000,
        ("JKK", "JKM"),
        250000,
        event["event_id"],
    )


def test_a_later_period_extends_the_fundings_in_date_order() -> None:
    state = {"fundings": [["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"]]}
    earlier = fixture(FUNDED, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    change = sponsor_change(FUNDED, earlier, {"PEMPROV-DKI": state}.get)
    assert change.sponsor_state == {
        "fundings": [
            ["2024-01-01", "2024-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"],
            ["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"],
        ]
    }


def test_the_same_funded_period_delivered_twice_is_kept_once() -> None:
    first = sponsor_change(FUNDED, fixture(FUNDED), lambda _: None).sponsor_state
    again = sponsor_change(FUNDED, fixture(FUNDED), {"PEMPROV-DKI": first}.get).sponsor_state
    assert again == first


def test_two_cohorts_of_one_sponsor_for_the_same_period_are_both_kept() -> None:
    first = sponsor_change(FUNDED, fixture(FUNDED), lambda _: None).sponsor_state
    other_cohort = fixture(FUNDED, cohort_id="DKI-2025-BPU-NELAYAN", programs=["JHT"])
    both = sponsor_change(FUNDED, other_cohort, {"PEMPROV-DKI": first}.get).sponsor_state
    assert both is not None
    funded = {p for _, _, programs, _cohort in both["fundings"] for p in programs}
    assert funded == {"JKK", "JKM", "JHT"}


def test_a_completed_batch_is_recorded_as_a_marker_only() -> None:
    change = sponsor_change(BATCH, fixture(BATCH), lambda _: None)
    assert (change.kind, change.sponsor_id, change.sponsor_state, change.funding) == (
        "EnrollmentBatchCompleted",
        "PEMPROV-DKI",
        None,
        None,
    )
    assert change.batch == BatchMarkerRow("DKI-2025-01-BPU-0007", "PEMPROV-DKI", 250000)


def test_a_batch_without_a_sponsor_is_recorded_under_an_empty_sponsor_id() -> None:
    change = sponsor_change(BATCH, fixture(BATCH, sponsor_id=None), lambda _: None)
    assert change.sponsor_id == ""
    assert change.batch == BatchMarkerRow("DKI-2025-01-BPU-0007", None, 250000)
