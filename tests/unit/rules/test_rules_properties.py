"""Properties: amounts never negative, caps hold, monotone in wage, decisions deterministic."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rules_factories import coverage, jkk_claim

from services.rules import (
    AccidentOutcome,
    Approved,
    Category,
    DisabilityItem,
    Program,
    TransportCost,
    TransportMode,
    UnknownHolidayYear,
    assess,
    default_rules,
)
from services.rules.contributions import expected, total_by_program
from services.rules.deadlines import due_date
from services.rules.defaults.benefits import DISABILITY_PERCENT
from services.rules.money import to_rupiah

RULES = default_rules()
wages = st.integers(min_value=0, max_value=200_000_000)
days = st.dates(min_value=date(2015, 7, 1), max_value=date(2030, 12, 31))
outcomes = st.sampled_from(list(AccidentOutcome))
items = st.lists(
    st.builds(
        DisabilityItem, st.sampled_from(sorted(DISABILITY_PERCENT)), st.none() | st.integers(0, 100)
    ),
    min_size=1,
    max_size=4,
)
transport = st.lists(
    st.builds(TransportCost, st.sampled_from(list(TransportMode)), st.integers(0, 50_000_000)),
    max_size=5,
)


def claim_for(
    outcome: AccidentOutcome,
    wage: int,
    day: date,
    found: list[DisabilityItem],
    trips: list[TransportCost],
    incapacity: int,
) -> object:
    disabilities = tuple(found) if outcome is AccidentOutcome.PARTIAL_DISABILITY else ()
    return jkk_claim(
        outcome,
        day,
        wage,
        disabilities=disabilities,
        transport=tuple(trips),
        incapacity_days=incapacity,
        medical_costs=wage,
    )


@settings(max_examples=150, deadline=None)
@given(outcomes, wages, days, items, transport, st.integers(0, 2_000))
def test_jkk_amounts_are_never_negative_and_transport_caps_hold(
    outcome: AccidentOutcome,
    wage: int,
    day: date,
    found: list[DisabilityItem],
    trips: list[TransportCost],
    incapacity: int,
) -> None:
    decision = assess(
        claim_for(outcome, wage, day, found, trips, incapacity),  # type: ignore[arg-type]
        coverage(start=date(2015, 7, 1)),
        (),
    )
    assert isinstance(decision, Approved)
    assert all(c.amount >= 0 for c in decision.components) and decision.total >= 0
    caps = {"LAND": 5_000_000, "SEA": 2_000_000, "AIR": 10_000_000}
    for c in decision.components:
        if c.code.startswith("JKK_TRANSPORT_"):
            assert c.amount <= caps[c.code.removeprefix("JKK_TRANSPORT_")]


@settings(max_examples=150, deadline=None)
@given(outcomes, wages, wages, days, items, st.integers(0, 2_000))
def test_jkk_total_never_decreases_as_the_wage_rises(
    outcome: AccidentOutcome,
    a: int,
    b: int,
    day: date,
    found: list[DisabilityItem],
    incapacity: int,
) -> None:
    low, high = sorted((a, b))
    cov = coverage(start=date(2015, 7, 1))
    totals = [
        assess(claim_for(outcome, w, day, found, [], incapacity), cov, ())  # type: ignore[arg-type]
        for w in (low, high)
    ]
    assert all(isinstance(t, Approved) for t in totals)
    assert totals[0].total <= totals[1].total  # type: ignore[union-attr]


@settings(max_examples=100, deadline=None)
@given(outcomes, wages, days, items, transport, st.integers(0, 2_000))
def test_the_same_inputs_always_give_the_same_decision(
    outcome: AccidentOutcome,
    wage: int,
    day: date,
    found: list[DisabilityItem],
    trips: list[TransportCost],
    incapacity: int,
) -> None:
    claim = claim_for(outcome, wage, day, found, trips, incapacity)
    cov = coverage(start=date(2015, 7, 1))
    assert assess(claim, cov, ()) == assess(claim, cov, ())  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(wages, wages, days, st.integers(1, 5))
def test_pu_contributions_rise_with_wage_and_jp_respects_the_cap(
    a: int, b: int, day: date, risk: int
) -> None:
    low, high = sorted((a, b))
    before, after = (
        total_by_program(expected(Category.PU, frozenset(Program), w, day, RULES, risk))
        for w in (low, high)
    )
    assert all(0 <= before[p] <= after[p] for p in Program)
    assert after[Program.JP] <= RULES.amount("jp.wage_cap", day) * 3 // 100 + 1


# Completion dates whose due date stays inside the holiday table (2015-2027).
holiday_table_days = st.dates(min_value=date(2015, 7, 1), max_value=date(2027, 12, 15))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(Program)), holiday_table_days)
@example(Program.JKK, date(2027, 12, 15))
def test_a_due_date_is_a_working_day_after_completion(program: Program, day: date) -> None:
    due = due_date(program, day)
    assert due > day and due.weekday() < 5
    assert due - day <= timedelta(days=21)


@given(st.sampled_from(list(Program)), st.dates(date(2028, 1, 1), date(2999, 12, 31)))
@example(Program.JKM, date(2028, 12, 31))
def test_a_due_date_in_a_year_without_a_holiday_table_raises(program: Program, day: date) -> None:
    with pytest.raises(UnknownHolidayYear) as raised:
        due_date(program, day)
    # The first day counted is the day after completion: 31 Dec asks of the next year.
    assert raised.value.year == (day + timedelta(days=1)).year
    assert f"for {raised.value.year}" in str(raised.value)


@given(st.fractions() | st.integers(-(10**15), 10**15))
def test_rounding_to_rupiah_is_half_up_on_the_exact_value(amount: Fraction | int) -> None:
    assert to_rupiah(amount) == int((Fraction(amount) + Fraction(1, 2)) // 1)
    assert to_rupiah(Fraction(5, 2)) == 3 and to_rupiah(Fraction(-5, 2)) == -2
