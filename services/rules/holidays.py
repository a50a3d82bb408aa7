"""Indonesian national holidays: fixed dates (certain) and movable ones by year (unconfirmed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Fixed-date national holidays (UU/Keppres): New Year, Labour Day, Pancasila Day, Independence
# Day, Christmas. Certain (C).
FIXED = ((1, 1), (5, 1), (6, 1), (8, 17), (12, 25))

# Movable holidays (lunar/religious calendars), from memory of the joint ministerial decrees
# (SKB 3 Menteri) for 2025 and 2026: UNCONFIRMED (U), check against the published SKB and add
# later years by configuration. Cuti bersama (collective leave) days are not national holidays
# and are not listed.
MOVABLE_UNCONFIRMED = frozenset(
    date.fromisoformat(d)
    for d in (
        "2025-01-27", "2025-01-29", "2025-03-29", "2025-03-31", "2025-04-01", "2025-04-18",
        "2025-04-20", "2025-05-12", "2025-05-29", "2025-06-06", "2025-06-27", "2025-09-05",
        "2026-01-16", "2026-02-17", "2026-03-19", "2026-03-20", "2026-03-21", "2026-04-03",
        "2026-04-05", "2026-05-14", "2026-05-27", "2026-05-31", "2026-06-16", "2026-08-25",
    )
)  # fmt: skip


@dataclass(frozen=True)
class HolidayCalendar:
    """Non-working days: weekends, the fixed holidays of every year, and listed dates."""

    extra: frozenset[date] = MOVABLE_UNCONFIRMED

    def is_holiday(self, day: date) -> bool:
        """A national holiday (fixed or listed)."""
        return (day.month, day.day) in FIXED or day in self.extra

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def with_holidays(self, days: frozenset[date]) -> HolidayCalendar:
        """A calendar with more holidays (e.g. the next year's SKB, or cuti bersama)."""
        return HolidayCalendar(self.extra | days)


def default_calendar() -> HolidayCalendar:
    """Fixed holidays plus the unconfirmed 2025-2026 movable ones."""
    return HolidayCalendar()
