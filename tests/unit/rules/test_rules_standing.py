"""A participant's months due and in arrears on a date (PP 44/2015: due the 15th of the next
month)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rules_factories import coverage, months

from services.rules import Program, ProgramPeriod
from services.rules.standing import arrears_months, months_due_before, months_in_arrears

JHT = {Program.JHT: 285_000}


def test_a_month_is_due_from_the_16th_of_the_next_one() -> None:
    c = coverage(programs=(Program.JHT,), start=date(2025, 1, 20))
    assert months_due_before(c, Program.JHT, date(2025, 2, 15)) == ()
    assert months_due_before(c, Program.JHT, date(2025, 2, 16)) == (date(2025, 1, 1),)


def test_the_months_in_arrears_are_the_months_due_not_paid_by_the_day() -> None:
    paid = months(date(2025, 1, 1), 2, 5_000_000, JHT)  # paid 10 Feb and 10 Mar
    c = coverage(programs=(Program.JHT,), start=date(2025, 1, 1), contributions=paid)
    day = date(2025, 5, 20)
    assert months_due_before(c, Program.JHT, day) == tuple(date(2025, m, 1) for m in (1, 2, 3, 4))
    assert months_in_arrears(c, Program.JHT, day) == (date(2025, 3, 1), date(2025, 4, 1))
    assert arrears_months(c, Program.JHT, day) == 2


def test_a_month_paid_after_the_day_is_in_arrears_on_it() -> None:
    late = months(date(2025, 1, 1), 2, 5_000_000, JHT, late_days=30)  # 12 March, 9 April
    c = coverage(programs=(Program.JHT,), start=date(2025, 1, 1), contributions=late)
    assert months_in_arrears(c, Program.JHT, date(2025, 3, 20)) == (date(2025, 2, 1),)
    assert months_in_arrears(c, Program.JHT, date(2025, 4, 9)) == ()


def test_an_under_paid_month_stays_in_arrears() -> None:
    paid = months(date(2025, 1, 1), 1, 5_000_000, JHT)
    short = (replace(paid[0], short=frozenset({Program.JHT})),)
    c = coverage(programs=(Program.JHT,), start=date(2025, 1, 1), contributions=short)
    assert months_in_arrears(c, Program.JHT, date(2025, 2, 20)) == (date(2025, 1, 1),)


def test_months_outside_the_enrollment_periods_are_not_due() -> None:
    periods = (
        ProgramPeriod(Program.JHT, date(2025, 1, 1), date(2025, 1, 31)),
        ProgramPeriod(Program.JHT, date(2025, 4, 1)),
    )
    c = replace(coverage(programs=(Program.JHT,), start=date(2025, 1, 1)), periods=periods)
    due = months_due_before(c, Program.JHT, date(2025, 6, 1))
    assert due == (date(2025, 1, 1), date(2025, 4, 1))
    assert months_in_arrears(c, Program.JHT, date(2025, 6, 1)) == due
    assert months_due_before(c, Program.JP, date(2025, 6, 1)) == ()  # never enrolled in it
