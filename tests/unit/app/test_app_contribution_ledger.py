"""The ledger kept per month reads back what the ledger per posting did; old states read too."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from app_events import CLAIM, ENROLLED, NOW, Sponsors, at, claim, fixture, posting
from hypothesis import given
from hypothesis import strategies as st

from services.app import contribution_ledger as ledger
from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.participant_rows import participant_row
from services.app.records import Position
from services.app.translation import to_coverage
from services.rules import ContributionMonth, Program, ProgramAmount

REF = "a" * 32


def enrolled() -> ps.State:
    return ps.enrolled(fixture(ENROLLED), REF, at(0))


def old_enrolled() -> ps.State:
    """An enrolment as it was stored before the ledger was kept per month."""
    state = {k: v for k, v in enrolled().items() if k not in (ledger.LEDGER, ledger.TAGS)}
    return {**state, "contributions": ""}


def old_posted(state: ps.State, event: Mapping[str, Any], pos: Position) -> ps.State:
    """contribution_posted as it was: a record per posting appended to one string."""
    old: str = state["contributions"]
    tag = ps.event_tag(event["event_id"])
    if f":{tag}|" in old:
        return ps.advanced(state, pos)
    amounts = "/".join(f"{a['program']}={int(a['amount'])}" for a in event["amounts"])
    record = (
        f"{event['period']}:{int(event['wage_base'])}:{amounts}:{ps.iso(event['paid_date'])}:"
        f"{event['payer']}:{tag}|"
    )
    return {**state, "contributions": old + record, "pos": [pos.partition, pos.offset]}


def old_months(state: ps.State) -> tuple[ContributionMonth, ...]:
    """What to_coverage built from the old ledger: months and their programs sorted."""
    return tuple(
        ContributionMonth(
            date.fromisoformat(period + "-01"),
            wage,
            tuple(ProgramAmount(Program(p), a) for p, a in sorted(amounts.items())),
            date.fromisoformat(paid),
        )
        for period, (wage, amounts, paid) in sorted(
            ps.ledger_months(state["contributions"]).items()
        )
    )


Posting = tuple[str, dict[str, int], int, int, int]
postings = st.lists(
    st.tuples(
        st.sampled_from(["2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]),
        st.dictionaries(st.sampled_from(["JHT", "JKK", "JKM", "JP"]), st.integers(-(10**6), 10**9)),
        st.integers(0, 8),  # event ids from a small pool, so some postings are redeliveries
        st.integers(1, 28),  # the day of the next month it was paid
        st.sampled_from([1_000_000, 4_500_000, 5_000_000]),
    ),
    max_size=30,
)


def event(p: Posting) -> dict[str, Any]:
    period, amounts, event_no, day, wage = p
    year, month = (int(x) for x in period.split("-"))
    paid = date(year + month // 12, month % 12 + 1, day)
    return posting(period, f"event-{event_no}", amounts, paid_date=paid, wage_base=wage)


def both(events: list[Posting]) -> tuple[ps.State, ps.State]:
    """The same postings applied by the new transition and by the old one."""
    new, old = enrolled(), old_enrolled()
    for offset, p in enumerate(events, start=1):
        new = ps.contribution_posted(new, event(p), at(offset))
        old = old_posted(old, event(p), at(offset))
    return new, old


@given(postings)
def test_the_ledger_per_month_reads_back_what_the_ledger_per_posting_did(
    events: list[Posting],
) -> None:
    new, old = both(events)
    assert ps.ledger_months(new["ledger"]) == ps.ledger_months(old["contributions"])
    assert ledger.contribution_months(new["ledger"]) == old_months(old)


@given(postings)
def test_the_months_are_kept_in_period_order_whatever_order_they_arrive_in(
    events: list[Posting],
) -> None:
    new, _ = both(events)
    periods = [m.period for m in ledger.contribution_months(new["ledger"])]
    assert periods == sorted(set(periods))


@given(postings)
def test_a_state_in_the_old_layout_reads_as_the_new_one(events: list[Posting]) -> None:
    new, old = both(events)
    assert ledger.ledger_of(old) == (new["ledger"], new["ledger_tags"])
    assert to_coverage(old, lambda _sid: None) == to_coverage(new, lambda _sid: None)


@given(postings, postings)
def test_postings_after_an_old_state_was_loaded_continue_it(
    before: list[Posting], after: list[Posting]
) -> None:
    new, old = both(before)
    for offset, p in enumerate(after, start=len(before) + 1):
        new = ps.contribution_posted(new, event(p), at(offset))
        old = ps.contribution_posted(old, event(p), at(offset))
    # What was applied before the upgrade still counts once; a posting rewrites the old layout.
    assert ps.upgraded(old) == new
    assert not after or "contributions" not in old


def test_an_old_state_is_rewritten_without_its_old_ledger() -> None:
    first, second = posting("2025-02", "e1", {"JKK": 10000}), posting("2025-03", "e2", {"JKK": 1})
    old = old_posted(old_enrolled(), first, at(1))
    assert ps.upgraded(old) == ps.contribution_posted(enrolled(), first, at(1))
    state = ps.contribution_posted(old, second, at(2))
    assert "contributions" not in state
    assert state["ledger"] == (
        "2025-02:1000000:JKK=10000:2025-02-10|2025-03:1000000:JKK=1:2025-03-10|"
    )


def test_a_posting_redelivered_after_the_upgrade_is_still_applied_once() -> None:
    first = posting("2025-02", "e1", {"JKK": 10000})
    old = old_posted(old_enrolled(), first, at(1))
    state = ps.contribution_posted(old, first, at(2))
    assert ps.ledger_months(state["ledger"]) == {"2025-02": (1000000, {"JKK": 10000}, "2025-02-10")}
    assert state["pos"] == [0, 2]


def test_programs_are_written_in_program_order_and_duplicates_added_up() -> None:
    event = posting("2025-02", "e1", {"JKM": 6800, "JKK": 10000})
    event["amounts"].append({"program": "JKK", "amount": 1})
    state = ps.contribution_posted(enrolled(), event, at(1))
    assert state["ledger"] == "2025-02:1000000:JKK=10001/JKM=6800:2025-02-10|"


def test_months_paying_the_same_amounts_share_their_amounts() -> None:
    state = enrolled()
    for n, period in enumerate(("2025-01", "2025-02", "2025-03"), start=1):
        state = ps.contribution_posted(state, posting(period, f"e{n}", {"JKK": 10000}), at(n))
    first, second, third = ledger.contribution_months(state["ledger"])
    assert first.amounts is second.amounts is third.amounts


def as_stored_before(covered: ps.State) -> ps.State:
    """The conftest's covered participant as the worker stored it before the change."""
    state = {k: v for k, v in covered.items() if k not in (ledger.LEDGER, ledger.TAGS)}
    state["contributions"] = ""
    for month in ps.ledger_months(covered["ledger"]):  # the months conftest posted
        event = posting(month, f"posting-{month}", {"JKK": 10000, "JKM": 6800})
        state = old_posted(state, event, at(covered["pos"][1]))
    return state


def test_a_claim_on_a_state_stored_before_is_judged_the_same(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    old = as_stored_before(covered)
    assert ps.upgraded(old) == covered
    then = handler.apply(CLAIM, claim(), old, sponsors, at(6), NOW)
    now = handler.apply(CLAIM, claim(), covered, sponsors, at(6), NOW)
    assert then.decisions == now.decisions
    assert then.state is not None and ps.upgraded(then.state) == now.state


def test_a_re_enrolment_of_a_state_stored_before_keeps_its_contributions(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    again = fixture(ENROLLED, event_id="0b6f1c2e-6a51-4c3e-9f0e-1d2a3b4c5d99")
    then = handler.apply(ENROLLED, again, as_stored_before(covered), sponsors, at(6), NOW)
    now = handler.apply(ENROLLED, again, covered, sponsors, at(6), NOW)
    assert then.state == now.state and then.row == now.row


def test_the_participant_row_holds_the_whole_state_with_the_ledger_written_as_it_is(
    handler: ParticipantEvents, covered: ps.State, sponsors: Sponsors
) -> None:
    state = handler.apply(CLAIM, claim(), covered, sponsors, at(6), NOW).state
    assert state is not None
    row = participant_row("24012345678", state, at(6))
    assert json.loads(row.coverage_json) == state  # PostgreSQL owns the state: all of it


@pytest.mark.parametrize(
    ("period", "amounts"),
    [('2025-0"', {"JKK": 1}), ("2025-02\n", {"JKK": 1}), ("2025-02", {'JKK"': 1})],
)
def test_a_posting_that_intake_would_have_refused_never_reaches_the_ledger(
    period: str, amounts: dict[str, int]
) -> None:
    event = {**posting("2025-02", "e1", amounts), "period": period}
    with pytest.raises(ValueError, match="ledger"):
        ps.contribution_posted(enrolled(), event, at(1))
