"""Settled claims still unpaid near or past their statutory payment deadline, per program."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from services.rules import Program
from services.rules.defaults import default_calendar
from services.rules.holidays import HolidayCalendar

PROGRAMS: Final = tuple(p.value for p in Program)
STATES: Final = ("due_soon", "overdue")
# Warn this many working days ahead: the shortest statutory deadline (JKm) is 3 working days,
# so two days left is already most of it gone.
DUE_SOON_WORKING_DAYS: Final = 2


def due_soon_until(
    today: date, working_days: int = DUE_SOON_WORKING_DAYS, calendar: HolidayCalendar | None = None
) -> date:
    """The last due date that counts as due soon: the Nth working day after `today`, counted the
    way the deadlines are (PP 44/2015 Pasal 37 and 40; Permenaker 4/2022: working days, weekends
    and national holidays excluded). UnknownHolidayYear when the horizon reaches a year the
    holiday table lacks."""
    calendar = calendar or default_calendar()
    day, remaining = today, working_days
    while remaining:
        day += timedelta(days=1)
        remaining -= calendar.is_working_day(day)
    return day


def deadline_state(due: date, today: date, soon_until: date) -> str | None:
    """`overdue` once the due date has passed (the last day to pay is the due date itself),
    `due_soon` from today up to `soon_until`, otherwise None."""
    if due < today:
        return "overdue"
    if due <= soon_until:
        return "due_soon"
    return None


def count_by_program(
    rows: Iterable[tuple[str, date, int]], today: date, soon_until: date
) -> dict[tuple[str, str], int]:
    """(program, due date, unpaid claims) rows as one figure per program and state, with a zero
    for every program and state that has none, so a gauge reads 0 rather than nothing."""
    counts = {(p, s): 0 for p in PROGRAMS for s in STATES}
    for program, due, n in rows:
        state = deadline_state(due, today, soon_until)
        if state is not None and program in PROGRAMS:
            counts[(program, state)] += n
    return counts
