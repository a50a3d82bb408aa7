"""A participant's state changes only by pure transitions, each recording its position."""

from __future__ import annotations

from datetime import date

from app_events import CHANGED, ENDED, ENROLLED, at, fixture, posting
from hypothesis import given
from hypothesis import strategies as st

from services.app import participant_state as ps

REF = "a" * 32


def enrolled() -> ps.State:
    return ps.enrolled(fixture(ENROLLED), REF, at(0))


def test_an_enrolment_holds_the_participant_by_reference_never_by_nik() -> None:
    state = enrolled()
    assert state == {
        "ref": REF,
        "category": "BPU",
        "birth_date": "1990-01-05",
        "enrolled_on": "2025-01-06",
        "wage": 1000000,
        "risk_class": None,
        "npp": None,
        "sponsor": "PEMPROV-DKI",
        "work_unit": "Kelurahan Pela Mampang",
        "batch": "DKI-2025-01-BPU-0007",
        "programs": {"JKK": [["2025-01-01", None]], "JKM": [["2025-01-01", None]]},
        "ledger": "",
        "ledger_tags": "",
        "ended": None,
        "claims": {},
        "pos": [0, 0],
    }
    assert fixture(ENROLLED)["nik"] not in repr(state)


def test_nothing_is_applied_to_a_participant_without_state() -> None:
    assert not ps.already_applied(None, at(0))


def test_a_message_at_or_before_the_recorded_offset_is_already_applied() -> None:
    state = ps.advanced(enrolled(), at(7))
    assert ps.already_applied(state, at(6))
    assert ps.already_applied(state, at(7))
    assert not ps.already_applied(state, at(8))


def test_a_message_from_another_partition_is_not_taken_as_applied() -> None:
    assert not ps.already_applied(ps.advanced(enrolled(), at(7)), at(3, partition=1))


def test_added_programs_open_a_period_and_a_new_wage_is_taken() -> None:
    state = ps.programs_changed(enrolled(), fixture(CHANGED), at(1))
    assert state["programs"]["JHT"] == [["2025-03-01", None]]
    assert state["wage"] == 2500000
    assert state["pos"] == [0, 1]


def test_a_program_added_while_open_keeps_its_first_period() -> None:
    change = fixture(CHANGED, added=[{"program": "JKK", "effective_date": date(2025, 3, 1)}])
    state = ps.programs_changed(enrolled(), change, at(1))
    assert state["programs"]["JKK"] == [["2025-01-01", None]]


def test_a_removed_program_closes_its_open_period_and_a_missing_wage_keeps_the_old_one() -> None:
    change = fixture(
        CHANGED, added=[], removed=[{"program": "JKM", "end_date": date(2025, 4, 30)}], wage=None
    )
    state = ps.programs_changed(enrolled(), change, at(1))
    assert state["programs"]["JKM"] == [["2025-01-01", "2025-04-30"]]
    assert state["wage"] == 1000000


def test_a_program_added_again_after_removal_opens_a_second_period() -> None:
    removed = fixture(
        CHANGED, added=[], removed=[{"program": "JKM", "end_date": date(2025, 4, 30)}]
    )
    readded = fixture(CHANGED, added=[{"program": "JKM", "effective_date": date(2025, 6, 1)}])
    state = ps.programs_changed(ps.programs_changed(enrolled(), removed, at(1)), readded, at(2))
    assert state["programs"]["JKM"] == [["2025-01-01", "2025-04-30"], ["2025-06-01", None]]


def test_a_transition_never_changes_the_state_it_was_given() -> None:
    before = enrolled()
    snapshot = repr(before)
    ps.programs_changed(
        before, fixture(CHANGED, removed=[{"program": "JKK", "end_date": date(2025, 5, 1)}]), at(1)
    )
    ps.coverage_ended(before, fixture(ENDED), at(2))
    ps.contribution_posted(before, posting("2025-01", "e1", {"JKK": 1}), at(3))
    ps.claim_recorded(before, "c1", {"program": "JKK"}, at(4))
    assert repr(before) == snapshot


def test_coverage_ending_closes_every_open_period_and_records_why() -> None:
    removed = fixture(
        CHANGED, added=[], removed=[{"program": "JKM", "end_date": date(2025, 4, 30)}]
    )
    state = ps.coverage_ended(
        ps.programs_changed(enrolled(), removed, at(1)), fixture(ENDED), at(2)
    )
    assert state["programs"] == {
        "JKK": [["2025-01-01", "2025-12-31"]],
        "JKM": [["2025-01-01", "2025-04-30"]],
    }
    assert state["ended"] == ["2025-12-31", "SPONSOR_ENDED"]
    assert state["pos"] == [0, 2]


def test_a_posted_contribution_is_read_back_per_month() -> None:
    state = ps.contribution_posted(
        enrolled(), posting("2025-02", "e1", {"JKK": 10000, "JKM": 6800}), at(1)
    )
    assert ps.ledger_months(state["ledger"]) == {
        "2025-02": (1000000, {"JKK": 10000, "JKM": 6800}, "2025-02-10")
    }
    assert state["pos"] == [0, 1]


def test_the_same_posting_delivered_twice_is_applied_once() -> None:
    event = posting("2025-02", "e1", {"JKK": 10000})
    once = ps.contribution_posted(enrolled(), event, at(1))
    twice = ps.contribution_posted(once, event, at(2))
    assert (twice["ledger"], twice["ledger_tags"]) == (once["ledger"], once["ledger_tags"])
    assert twice["pos"] == [0, 2]


def test_a_top_up_for_the_same_month_adds_to_it_and_keeps_the_latest_payment_date() -> None:
    first = posting("2025-02", "e1", {"JKK": 10000, "JKM": 6800})
    top_up = posting("2025-02", "e2", {"JKK": 2500}, paid_date=date(2025, 3, 20), wage_base=1250000)
    state = ps.contribution_posted(ps.contribution_posted(enrolled(), first, at(1)), top_up, at(2))
    assert ps.ledger_months(state["ledger"]) == {
        "2025-02": (1250000, {"JKK": 12500, "JKM": 6800}, "2025-03-20")
    }


def test_a_late_correction_with_an_earlier_payment_date_keeps_the_latest_date() -> None:
    first = posting("2025-02", "e1", {"JKK": 1}, paid_date=date(2025, 3, 20))
    again = posting("2025-02", "e2", {"JKK": 1}, paid_date=date(2025, 2, 10))
    state = ps.contribution_posted(ps.contribution_posted(enrolled(), first, at(1)), again, at(2))
    assert ps.ledger_months(state["ledger"])["2025-02"][2] == "2025-03-20"


def test_a_posting_without_amounts_still_records_the_month() -> None:
    state = ps.contribution_posted(enrolled(), posting("2025-02", "e1", {}), at(1))
    assert ps.ledger_months(state["ledger"]) == {"2025-02": (1000000, {}, "2025-02-10")}


def test_an_empty_ledger_has_no_months() -> None:
    assert ps.ledger_months("") == {}


postings = st.lists(
    st.tuples(
        st.sampled_from(["2024-11", "2024-12", "2025-01", "2025-02"]),
        st.dictionaries(st.sampled_from(["JHT", "JKK", "JKM", "JP"]), st.integers(0, 10**9)),
        st.integers(0, 6),  # event ids from a small pool, so some postings are redeliveries
    ),
    max_size=25,
)


@given(postings)
def test_the_ledger_months_sum_to_the_distinct_postings(
    events: list[tuple[str, dict[str, int], int]],
) -> None:
    state = enrolled()
    expected: dict[tuple[str, str], int] = {}
    seen: set[int] = set()
    for offset, (period, amounts, event_no) in enumerate(events, start=1):
        state = ps.contribution_posted(
            state, posting(period, f"event-{event_no}", amounts), at(offset)
        )
        if event_no not in seen:
            seen.add(event_no)
            for program, amount in amounts.items():
                expected[period, program] = expected.get((period, program), 0) + amount
    months = ps.ledger_months(state["ledger"])
    found = {
        (period, p): a for period, (_, amounts, _) in months.items() for p, a in amounts.items()
    }
    assert found == expected
    assert state["pos"] == [0, len(events)]


def test_a_recorded_claim_is_remembered_by_its_id() -> None:
    state = ps.claim_recorded(enrolled(), "c1", {"program": "JKK", "approved": True}, at(3))
    assert state["claims"] == {"c1": {"program": "JKK", "approved": True}}
    assert state["pos"] == [0, 3]


def test_advancing_moves_only_the_position() -> None:
    before = enrolled()
    after = ps.advanced(before, at(9))
    assert {**after, "pos": before["pos"]} == before
    assert after["pos"] == [0, 9]


def test_iso_keeps_none() -> None:
    assert ps.iso(None) is None
    assert ps.iso(date(2025, 1, 2)) == "2025-01-02"
