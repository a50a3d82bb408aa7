"""Applying a participant's events: state transitions, claim decisions, replays and identity."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from app_events import (
    CHANGED,
    CLAIM,
    DECIDED,
    ENDED,
    ENROLLED,
    FUNDED,
    JP_DETAIL,
    KEY,
    KPJ,
    NIK,
    NOW,
    OTHER_NIK,
    POSTED,
    Sponsors,
    at,
    claim,
    fixture,
    posting,
)

from services.adapters.rule_files import rules_from_settings
from services.app import participant_state as ps
from services.app.adjudication import (
    IdentityConflict,
    IdentityMismatch,
    ParticipantEvents,
    UnknownParticipant,
)
from services.app.participant_rows import resync_row
from services.app.stored_decisions import decode_stored, encode_stored
from services.config import load_settings
from services.errors import ServiceError
from services.privacy import pseudonymise
from services.rules import ReasonCode, RuleSet
from streams.kafka.codec import AvroCodec

NO_SPONSORS: Sponsors = lambda _: None  # noqa: E731


def recovered_jkk(claim_id: str = "KLM-JKK-2025-000123", **overrides: Any) -> dict[str, Any]:
    """The fixture's commuting accident, healed without disability: approvable for the fixture."""
    detail = {**claim()["detail"], "outcome": "RECOVERED", "disabilities": [], "wage": 1000000}
    return claim(claim_id, detail=detail, **overrides)


def pension(claim_id: str = "KLM-JP-2025-000001") -> dict[str, Any]:
    """An old-age pension claim: a BPU participant may not hold JP, so it is always rejected."""
    return claim(claim_id, program="JP", detail=JP_DETAIL)


# -- enrollment and contribution events ----------------------------------------------------------


def test_an_enrolment_creates_the_state_and_its_pseudonymised_row(
    handler: ParticipantEvents,
) -> None:
    applied = handler.apply(ENROLLED, fixture(ENROLLED), None, NO_SPONSORS, at(0), NOW)
    assert applied.kind == "ParticipantEnrolled"
    assert applied.state is not None and applied.state["ref"] == pseudonymise(NIK, KEY)
    assert applied.decisions == () and not applied.replayed
    row = applied.row
    assert row is not None
    assert (row.kpj, row.participant_ref, row.category, row.declared_wage) == (
        KPJ,
        pseudonymise(NIK, KEY),
        "BPU",
        1000000,
    )
    assert (row.sponsor_id, row.batch_id, row.enrolled_on) == (
        "PEMPROV-DKI",
        "DKI-2025-01-BPU-0007",
        date(2025, 1, 6),
    )
    assert row.position == at(0)
    assert NIK not in row.coverage_json


@pytest.mark.parametrize(
    ("name", "event"),
    [
        (CHANGED, lambda: fixture(CHANGED)),
        (ENDED, lambda: fixture(ENDED)),
        (POSTED, lambda: posting("2025-06", "posting-june", {"JKK": 10000})),
    ],
)
def test_each_participant_event_changes_the_state_and_yields_a_row(
    handler: ParticipantEvents, covered: ps.State, name: str, event: Any
) -> None:
    applied = handler.apply(name, event(), covered, NO_SPONSORS, at(6), NOW)
    assert applied.kind == name.rsplit(".", 1)[-1]
    assert applied.state is not None and applied.state != covered
    assert applied.state["pos"] == [0, 6]
    assert applied.row is not None and applied.row.position == at(6)


def test_programs_changed_opens_jht_and_takes_the_new_wage(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    state = handler.apply(CHANGED, fixture(CHANGED), covered, NO_SPONSORS, at(6), NOW).state
    assert state is not None
    assert state["programs"]["JHT"] == [["2025-03-01", None]]
    assert state["wage"] == 2500000


def test_coverage_ended_is_on_the_row(handler: ParticipantEvents, covered: ps.State) -> None:
    row = handler.apply(ENDED, fixture(ENDED), covered, NO_SPONSORS, at(6), NOW).row
    assert row is not None
    assert (row.ended_on, row.end_reason) == (date(2025, 12, 31), "SPONSOR_ENDED")


def test_a_re_enrolment_replaces_programs_but_keeps_contributions_and_claims(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    decided = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW).state
    assert decided is not None
    again = fixture(
        ENROLLED,
        event_id="0b6f1c2e-6a51-4c3e-9f0e-1d2a3b4c5d99",  # a new enrollment, not a resend
        programs=[{"program": "JKM", "effective_date": date(2025, 7, 1)}],
    )
    state = handler.apply(ENROLLED, again, decided, sponsors, at(7), NOW).state
    assert state is not None
    assert state["programs"] == {"JKM": [["2025-07-01", None]]}
    assert (state["ledger"], state["ledger_tags"]) == (covered["ledger"], covered["ledger_tags"])
    assert state["claims"] == decided["claims"]


@pytest.mark.parametrize("offset", [3, 5])
def test_a_message_already_applied_changes_nothing(
    handler: ParticipantEvents, covered: ps.State, offset: int
) -> None:
    applied = handler.apply(ENDED, fixture(ENDED), covered, NO_SPONSORS, at(offset), NOW)
    # Nothing applied; the row as the state holds it (at the state's own position) is written
    # again, so PostgreSQL catches up when the changelog was durable before the row was.
    assert (applied.kind, applied.state, applied.decisions, applied.replayed) == (
        "CoverageEnded",
        None,
        (),
        True,
    )
    assert applied.row == resync_row(KPJ, covered, at(offset))
    assert applied.row is not None and applied.row.position.offset == covered["pos"][1]


@pytest.mark.parametrize(
    ("name", "event"),
    [
        (CHANGED, lambda: fixture(CHANGED)),
        (ENDED, lambda: fixture(ENDED)),
        (POSTED, lambda: fixture(POSTED)),
    ],
)
def test_an_event_for_a_kpj_never_enrolled_is_an_unknown_participant(
    handler: ParticipantEvents, name: str, event: Any
) -> None:
    with pytest.raises(UnknownParticipant, match=KPJ) as error:
        handler.apply(name, event(), None, NO_SPONSORS, at(0), NOW)
    assert isinstance(error.value, ServiceError)
    assert NIK not in str(error.value)


def test_an_event_that_is_not_a_participant_event_is_refused(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    with pytest.raises(ServiceError, match="not a participant event"):
        handler.apply("bpjs.other.Unexpected", fixture(ENDED), covered, NO_SPONSORS, at(6), NOW)


@pytest.mark.parametrize(
    ("name", "event"),
    [
        (CHANGED, lambda: fixture(CHANGED, nik=OTHER_NIK)),
        (ENDED, lambda: fixture(ENDED, nik=OTHER_NIK)),
        (POSTED, lambda: fixture(POSTED, nik=OTHER_NIK)),
        (CLAIM, lambda: claim(nik=OTHER_NIK)),
    ],
)
def test_an_event_whose_nik_is_not_the_enrolled_participants_is_an_identity_mismatch(
    handler: ParticipantEvents, covered: ps.State, name: str, event: Any
) -> None:
    with pytest.raises(IdentityMismatch, match=KPJ) as error:
        handler.apply(name, event(), covered, NO_SPONSORS, at(6), NOW)
    assert OTHER_NIK not in str(error.value) and NIK not in str(error.value)


@pytest.mark.parametrize("offset", [6, 3])  # a new position, and one already applied
def test_an_enrolment_with_another_nik_for_a_known_kpj_is_an_identity_conflict(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors, offset: int
) -> None:
    decided = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW).state
    assert decided is not None
    takeover = fixture(ENROLLED, nik=OTHER_NIK)
    with pytest.raises(IdentityConflict, match=KPJ) as error:
        handler.apply(ENROLLED, takeover, decided, sponsors, at(offset + 1), NOW)
    assert isinstance(error.value, IdentityMismatch)
    assert "different NIK" in str(error.value) and "refused" in str(error.value)
    assert OTHER_NIK not in str(error.value) and NIK not in str(error.value)


def test_the_same_person_re_enrolling_is_not_an_identity_conflict(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    anew = fixture(ENROLLED, event_id="0b6f1c2e-6a51-4c3e-9f0e-1d2a3b4c5d99")
    applied = handler.apply(ENROLLED, anew, covered, sponsors, at(6), NOW)
    assert applied.state is not None and applied.state["ref"] == covered["ref"]


def test_the_same_enrollment_sent_again_is_a_no_op_even_after_coverage_ended(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    ended = handler.apply(ENDED, fixture(ENDED), covered, NO_SPONSORS, at(6), NOW).state
    assert ended is not None and ended["ended"] is not None
    again = handler.apply(ENROLLED, fixture(ENROLLED), ended, NO_SPONSORS, at(7), NOW)
    assert (again.state, again.decisions, again.replayed) == (None, (), True)
    assert again.row == resync_row(KPJ, ended, at(7))


def test_an_identity_mismatch_is_raised_even_for_a_replayed_position(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    with pytest.raises(IdentityMismatch):
        handler.apply(ENDED, fixture(ENDED, nik=OTHER_NIK), covered, NO_SPONSORS, at(1), NOW)


# -- claims ------------------------------------------------------------------------------------


def test_a_covered_participants_claim_is_approved_and_remembered(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    applied = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW)
    (decision,) = applied.decisions
    assert (decision["outcome"], decision["reasons"], decision["payable_by"]) == (
        "APPROVED",
        [],
        "BPJS",
    )
    assert decision["total"] == sum(c["amount"] for c in decision["components"]) > 0
    assert decision["participant_ref"] == pseudonymise(NIK, KEY)
    assert decision["rule_set_version"] == handler.rules.version
    assert (decision["occurred_at"], decision["submitted_at"]) == (NOW, claim()["occurred_at"])
    assert applied.state is not None
    assert applied.state["claims"]["KLM-JKK-2025-000123"]["approved"] is True
    assert applied.state["claims"]["KLM-JKK-2025-000123"]["paid"] == decision["total"]
    # PostgreSQL owns the state: the row carries all of it, stored decision included.
    assert applied.row is not None
    assert json.loads(applied.row.coverage_json) == applied.state


def test_a_claim_rejected_by_the_rules_carries_its_reason_codes(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    applied = handler.apply(CLAIM, pension(), covered, NO_SPONSORS, at(6), NOW)
    (decision,) = applied.decisions
    assert (decision["outcome"], decision["total"], decision["components"]) == ("REJECTED", 0, [])
    assert decision["reasons"] == [ReasonCode.CATEGORY_NOT_ENTITLED.value]
    assert any(not c["passed"] for c in decision["checks"])
    assert applied.state is not None
    assert applied.state["claims"]["KLM-JP-2025-000001"] == {
        "program": "JP",
        "event_date": "2025-06-02",
        "kind": "OLD_AGE",
        "approved": False,
        "paid": 0,
        "decision": applied.state["claims"]["KLM-JP-2025-000001"]["decision"],
    }


def test_a_claim_for_a_kpj_never_enrolled_is_rejected_as_not_enrolled(
    handler: ParticipantEvents,
) -> None:
    applied = handler.apply(CLAIM, recovered_jkk(), None, NO_SPONSORS, at(0), NOW)
    (decision,) = applied.decisions
    assert (applied.state, applied.row, applied.replayed) == (None, None, False)
    assert (decision["outcome"], decision["reasons"], decision["total"]) == (
        "REJECTED",
        ["not_enrolled"],
        0,
    )
    assert decision["checks"] == [
        {
            "name": "participant_known",
            "passed": False,
            "detail": "no enrollment for this KPJ before the claim",
        }
    ]


def test_a_redelivered_claim_re_emits_its_stored_decision_without_judging_again(
    rules: RuleSet, covered: ps.State, sponsors: Sponsors
) -> None:
    first = ParticipantEvents(rules, KEY).apply(
        CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW
    )
    assert first.state is not None
    # New rules would judge differently (a new version): the stored decision proves no re-judging.
    changed = ParticipantEvents(rules.with_overrides({"deadline.JKK.working_days": 9}), KEY)
    later = NOW.replace(hour=9)
    again = changed.apply(CLAIM, recovered_jkk(), first.state, sponsors, at(6), later)
    assert (again.state, again.replayed) == (None, True)
    assert first.state is not None and again.row == resync_row(KPJ, first.state, at(9))
    # The same decision; its inputs stay with the first one's row in PostgreSQL, not in state.
    assert first.decisions[0]["assessment_inputs"] is not None
    assert again.decisions == ({**first.decisions[0], "assessment_inputs": None},)
    (decision,) = again.decisions
    assert decision["rule_set_version"] == rules.version


def test_a_redelivered_rejection_is_identical_in_outcome_total_and_reasons(
    handler: ParticipantEvents, covered: ps.State
) -> None:
    first = handler.apply(CLAIM, pension(), covered, NO_SPONSORS, at(6), NOW)
    assert first.state is not None
    assert first.decisions[0]["outcome"] == "REJECTED"
    again = handler.apply(CLAIM, pension(), first.state, NO_SPONSORS, at(9), NOW)
    pick = ("outcome", "total", "reasons", "event_id", "checks")
    assert [{k: d[k] for k in pick} for d in again.decisions] == [
        {k: d[k] for k in pick} for d in first.decisions
    ]


def test_a_claim_replayed_from_before_the_enrolment_is_not_judged_again(
    handler: ParticipantEvents, sponsors: Sponsors
) -> None:
    first = handler.apply(CLAIM, recovered_jkk(), None, sponsors, at(3), NOW)
    state = handler.apply(ENROLLED, fixture(ENROLLED), None, sponsors, at(4), NOW).state
    replayed = handler.apply(CLAIM, recovered_jkk(), state, sponsors, at(3), NOW)
    assert [(d["outcome"], d["reasons"]) for d in replayed.decisions] in (
        [],
        [(d["outcome"], d["reasons"]) for d in first.decisions],
    )


def test_a_second_claim_for_the_same_accident_is_a_duplicate(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    first = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW)
    assert first.state is not None
    second = handler.apply(
        CLAIM, recovered_jkk("KLM-JKK-2025-000124"), first.state, sponsors, at(7), NOW
    )
    (decision,) = second.decisions
    assert (decision["outcome"], decision["reasons"]) == ("REJECTED", ["duplicate_claim"])
    assert second.state is not None
    assert set(second.state["claims"]) == {"KLM-JKK-2025-000123", "KLM-JKK-2025-000124"}


def test_a_decision_id_depends_only_on_the_claim_and_the_rule_set(
    handler: ParticipantEvents, rules: RuleSet, covered: ps.State, sponsors: Sponsors
) -> None:
    one = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW).decisions[0]
    two = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(8), NOW.replace(hour=8))
    other = ParticipantEvents(rules.with_overrides({"deadline.JKK.working_days": 9}), KEY)
    three = other.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW).decisions[0]
    assert one["event_id"] == two.decisions[0]["event_id"] != three["event_id"]


@pytest.mark.parametrize("case", ["approved", "rejected", "not_enrolled", "replayed"])
def test_every_decision_encodes_as_a_claim_decided_event(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors, avro: AvroCodec, case: str
) -> None:
    state = None if case == "not_enrolled" else covered
    event = pension() if case == "rejected" else recovered_jkk()
    applied = handler.apply(CLAIM, event, state, sponsors, at(6), NOW)
    if case == "replayed":
        applied = handler.apply(CLAIM, event, applied.state, sponsors, at(6), NOW)
    (decision,) = applied.decisions
    decoded = avro.decode(avro.encode(DECIDED, decision))
    assert decoded.name == DECIDED
    assert decoded.record == decision


def test_a_stored_decision_decodes_to_the_same_record(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    (decision,) = handler.apply(CLAIM, recovered_jkk(), covered, sponsors, at(6), NOW).decisions
    assert decode_stored({"decision": encode_stored(decision)}) == decision


def test_a_value_that_json_cannot_hold_is_refused_when_storing() -> None:
    with pytest.raises(TypeError, match="cannot store bytes"):
        encode_stored({"x": b"raw"})


# -- rules loading -----------------------------------------------------------------------------


def test_the_default_rules_are_used_without_an_overrides_file(rules: RuleSet) -> None:
    assert rules_from_settings(load_settings({"NIK_HASH_KEY": KEY})).version == rules.version


def test_an_overrides_file_changes_the_rule_set_and_its_version(
    tmp_path: Path, rules: RuleSet
) -> None:
    overrides = tmp_path / "rules.json"
    overrides.write_text(json.dumps({"deadline.JKK.working_days": 9}), encoding="utf-8")
    loaded = rules_from_settings(
        load_settings({"NIK_HASH_KEY": KEY, "RULES_OVERRIDES_FILE": str(overrides)})
    )
    assert loaded.version.startswith(rules.version + "+")
    assert loaded.amount("deadline.JKK.working_days", date(2025, 6, 1)) == 9


def test_an_overrides_file_that_is_not_a_json_object_is_refused(tmp_path: Path) -> None:
    overrides = tmp_path / "rules.json"
    overrides.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object"):
        rules_from_settings(
            load_settings({"NIK_HASH_KEY": KEY, "RULES_OVERRIDES_FILE": str(overrides)})
        )


def test_the_funded_fixture_is_what_the_sponsors_lookup_returns(sponsors: Sponsors) -> None:
    assert sponsors("PEMPROV-DKI") == {
        "fundings": [["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"]]
    }
    assert fixture(FUNDED)["sponsor_id"] == "PEMPROV-DKI"
