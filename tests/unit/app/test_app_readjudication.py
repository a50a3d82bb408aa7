"""Re-adjudication: recorded claims judged again under other rules, and what would change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from app_events import CLAIM, JP_DETAIL, NOW, Sponsors, at, claim

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.assessment_inputs import decode_inputs, encode_inputs
from services.app.readjudication import (
    ClaimDiff,
    ComponentChange,
    Judgement,
    NotReplayable,
    Recorded,
    judge,
    readjudicate,
    recorded_from_row,
    summarise,
)
from services.rules import (
    Category,
    ContributionMonth,
    Coverage,
    JhtClaim,
    JhtGround,
    Program,
    ProgramAmount,
    ProgramPeriod,
    RuleSet,
)


def recovered_jkk(claim_id: str = "KLM-JKK-2025-000123") -> dict[str, Any]:
    detail = {**claim()["detail"], "outcome": "RECOVERED", "disabilities": [], "wage": 1000000}
    return claim(claim_id, detail=detail)


def as_row(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision as `claims readjudicate` reads it back from the claims table."""
    return {
        "claim_id": decision["claim_id"],
        "program": decision["program"],
        "event_date": decision["event_date"],
        "outcome": decision["outcome"],
        "reasons": decision["reasons"],
        "total": decision["total"],
        "rule_set_version": decision["rule_set_version"],
        "decision": {"checks": decision["checks"], "components": decision["components"]},
        "assessment_inputs": decision["assessment_inputs"],
    }


@pytest.fixture
def decided(handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors) -> list[Recorded]:
    """An approved JKK claim and a rejected JP claim of the fixtures' participant."""
    first = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW)
    assert first.state is not None
    pension = claim("KLM-JP-2025-000001", program="JP", detail=JP_DETAIL)
    second = handler.apply(CLAIM, pension, first.state, sponsors, at(7), NOW)
    decisions = [*first.decisions, *second.decisions]
    assert [d["outcome"] for d in decisions] == ["APPROVED", "REJECTED"]
    return [recorded_from_row(as_row(d)) for d in decisions]


def test_under_the_same_rules_nothing_changes(decided: list[Recorded], rules: RuleSet) -> None:
    results = [readjudicate(r, rules) for r in decided]
    assert all(isinstance(r, ClaimDiff) and not r.changed for r in results)
    assert summarise(results)["ALL"].unchanged == 2


def test_a_lower_transport_cap_changes_the_amount_of_that_component_only(
    decided: list[Recorded], rules: RuleSet
) -> None:
    lower = rules.with_overrides({"jkk.transport_cap.LAND": 100_000})
    diff = readjudicate(decided[0], lower)
    assert isinstance(diff, ClaimDiff)
    assert (diff.outcome_changed, diff.reasons_changed, diff.amount_changed) == (False, False, True)
    assert diff.components == (ComponentChange("JKK_TRANSPORT_LAND", 350_000, 100_000),)
    assert diff.delta == -250_000
    assert diff.new.rule_set_version == lower.version != diff.old.rule_set_version
    assert diff.as_dict()["changed"] == ["amount"]


def test_the_rejected_claim_stays_rejected_for_the_same_reason(
    decided: list[Recorded], rules: RuleSet
) -> None:
    diff = readjudicate(decided[1], rules.with_overrides({"jkk.transport_cap.LAND": 100_000}))
    assert isinstance(diff, ClaimDiff) and not diff.changed
    assert diff.new.reasons == ("category_not_entitled",)


def jht_at_56(rules: RuleSet) -> Recorded:
    """A PU member claiming JHT at 56 in 2024, approved under the default rules."""
    months = tuple(
        ContributionMonth(
            date(2016 + m // 12, m % 12 + 1, 1),
            5_000_000,
            (ProgramAmount(Program.JHT, 285_000),),
            date(2016 + (m + 1) // 12, (m + 1) % 12 + 1, 10),
        )
        for m in range(96)
    )
    coverage = Coverage(
        Category.PU,
        date(1968, 5, 17),
        date(2016, 1, 4),
        (ProgramPeriod(Program.JHT, date(2016, 1, 1)),),
        months,
        declared_wage=5_000_000,
    )
    claim_ = JhtClaim("C-AGE", date(2024, 5, 17), date(2024, 6, 3), JhtGround.AGE_56)
    inputs = encode_inputs(claim_, coverage, ())
    before = judge(decode_inputs(inputs), rules)
    assert before.outcome == "APPROVED"
    return Recorded("C-AGE", "JHT", date(2024, 5, 17), before, inputs)


def test_a_higher_jht_age_turns_an_approval_into_a_rejection(rules: RuleSet) -> None:
    recorded = jht_at_56(rules)
    diff = readjudicate(recorded, rules.with_overrides({"jht.age": 58}))
    assert isinstance(diff, ClaimDiff)
    assert (diff.old.outcome, diff.new.outcome) == ("APPROVED", "REJECTED")
    assert diff.new.reasons == ("age_not_reached",)
    assert diff.delta == -recorded.judgement.total
    assert {c.new for c in diff.components} == {0}
    summary = summarise([diff])
    assert summary["JHT"].approved_to_rejected == 1
    assert summary["JHT"].delta == -recorded.judgement.total


def test_a_claim_decided_before_inputs_were_recorded_is_not_replayable(
    decided: list[Recorded], rules: RuleSet
) -> None:
    result = readjudicate(replace(decided[0], inputs=None), rules)
    assert isinstance(result, NotReplayable) and "not recorded" in result.reason
    damaged = readjudicate(replace(decided[0], inputs='{"v": 9}'), rules)
    assert isinstance(damaged, NotReplayable) and "format version 9" in damaged.reason
    assert summarise([result, damaged])["ALL"].not_replayable == 2


def test_a_claim_of_a_kpj_never_enrolled_stays_not_enrolled(
    handler: ParticipantEvents, sponsors: Sponsors, rules: RuleSet
) -> None:
    (decision,) = handler.apply(CLAIM, recovered_jkk(), None, sponsors, at(0), NOW).decisions
    diff = readjudicate(recorded_from_row(as_row(decision)), rules.with_overrides({"jht.age": 60}))
    assert isinstance(diff, ClaimDiff) and not diff.changed


def test_the_summary_counts_per_program_and_adds_up_amounts() -> None:
    old = Judgement("APPROVED", (), 1_000, (("X", 1_000),), "v1")
    more = Judgement("APPROVED", (), 1_500, (("X", 1_500),), "v2")
    rejected = Judgement("REJECTED", ("age_not_reached",), 0, (), "v2")
    day = date(2025, 1, 1)
    results = [
        ClaimDiff("a", "JKK", day, old, more, (ComponentChange("X", 1_000, 1_500),)),
        ClaimDiff("b", "JKK", day, old, old),
        ClaimDiff("c", "JHT", day, old, rejected, (ComponentChange("X", 1_000, 0),)),
        ClaimDiff("d", "JHT", day, rejected, old, (ComponentChange("X", 0, 1_000),)),
        NotReplayable("e", "JP", day, "inputs not recorded"),
    ]
    summary = summarise(results)
    assert list(summary) == ["JHT", "JKK", "JP", "ALL"]
    jkk, jht, every = summary["JKK"], summary["JHT"], summary["ALL"]
    assert (jkk.examined, jkk.unchanged, jkk.amount_changed, jkk.delta) == (2, 1, 1, 500)
    assert (jht.approved_to_rejected, jht.rejected_to_approved, jht.delta) == (1, 1, 0)
    assert (every.examined, every.not_replayable, every.total_before, every.total_after) == (
        5,
        1,
        3_000,
        3_500,
    )
