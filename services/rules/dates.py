"""Calendar arithmetic for rules: months, ages and year spans (pure, no clock)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

JAKARTA: Final = ZoneInfo("Asia/Jakarta")
"""The service's one time zone (WIB): every "today", due date and local date is taken here."""


def month_start(day: date) -> date:
    """The first day of the month that contains ``day``."""
    return day if day.day == 1 else day.replace(day=1)  # most are firsts: no new date


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, day clamped to the month end (31 Jan + 1 = 28 or 29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if day.day <= 28:  # every month has a 28th: nothing to clamp (called per month per claim)
        return date(year, month + 1, day.day)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 Feb becomes 28 Feb in a common year."""
    return add_months(day, 12 * years)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month (same month = 0)."""
    return (end.year - start.year) * 12 + end.month - start.month


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on ``on``; someone born on 29 Feb has a birthday on 28 Feb."""
    years = on.year - birth_date.year
    return years if add_years(birth_date, years) <= on else years - 1
