"""Statutory payment deadlines in working days, and interest on late payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.rules.categories import Program
from services.rules.defaults import default_calendar, default_rules
from services.rules.holidays import HolidayCalendar
from services.rules.money import percent_text, to_rupiah
from services.rules.tables import Confidence, RuleSet


def due_date(
    program: Program,
    complete_on: date,
    calendar: HolidayCalendar | None = None,
    rules: RuleSet | None = None,
) -> date:
    """The last day to pay: the Nth working day after the claim was complete, not counting
    that day (JKm 3, PP 44/2015 Pasal 40; JHT 5, Permenaker 4/2022; JKK 7, PP 44/2015 Pasal 37;
    JP 5, unconfirmed: no rule found). Working days exclude weekends and the national holidays
    of each year's SKB 3 Menteri; a day in a year the calendar lacks raises UnknownHolidayYear
    (a missing rule table, never weekends alone)."""
    rules = rules or default_rules()
    days = rules.amount(f"deadline.{program}.working_days", complete_on)
    return working_days_after(complete_on, days, calendar)


def working_days_after(
    start: date, days: int, calendar: HolidayCalendar | None = None, weekdays_only: bool = False
) -> date:
    """The ``days``-th working day after ``start`` (not counting it): the national calendar,
    or with ``weekdays_only`` Monday to Friday (only where a caller says so)."""
    calendar = calendar or default_calendar()
    day = start
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5 if weekdays_only else calendar.is_working_day(day)
    return day


@dataclass(frozen=True)
class LateInterest:
    """Interest owed to the participant for paying after the due date."""

    days_late: int
    amount: int
    formula: str
    regulation: str
    confidence: Confidence


def late_interest(
    program: Program, benefit: int, due_on: date, paid_on: date, rules: RuleSet | None = None
) -> LateInterest:
    """JKK and JKm: 1% of the benefit per day of delay (PP 44/2015 Pasal 37, 40). "Hari" is read
    as calendar days after the due date; the amount is rounded half up, with no cap. JHT and JP:
    no statutory late interest found (0, unconfirmed)."""
    rules = rules or default_rules()
    key = f"late_interest.{program}.daily_rate"
    row, rate = rules.row(key, due_on), rules.rate(key, due_on)
    days = max((paid_on - due_on).days, 0)
    return LateInterest(
        days,
        to_rupiah(rate * benefit * days),
        f"{percent_text(rate)} × benefit × calendar days late",
        row.regulation,
        row.confidence,
    )
