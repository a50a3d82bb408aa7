"""Indonesian national holidays (hari libur nasional) as a calendar keyed by year, and working days.

Each year's dates are set by that year's joint decree of the Minister of Religious Affairs, the
Minister of Manpower and the Minister of State Apparatus (SKB 3 Menteri), plus any voting day a
presidential decree (Keppres) declares a national holiday. Cuti bersama (collective leave) is not
a national holiday and is not listed. The table itself is in ``services.rules.defaults.holidays``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from services.rules.tables import Confidence, MissingRule


class HolidayKind(StrEnum):
    """Which national holiday a date is (the SKB's list, in calendar order of a typical year)."""

    NEW_YEAR = "new_year"  # Tahun Baru Masehi
    IMLEK = "imlek"  # Tahun Baru Imlek (Chinese New Year)
    ISRA_MIRAJ = "isra_miraj"
    NYEPI = "nyepi"  # Hari Suci Nyepi, Tahun Baru Saka
    GOOD_FRIDAY = "good_friday"  # Wafat Isa Almasih / Yesus Kristus
    EASTER = "easter"  # Paskah (listed from 2024)
    IDUL_FITRI = "idul_fitri"  # two days
    LABOUR_DAY = "labour_day"
    WAISAK = "waisak"
    ASCENSION = "ascension"  # Kenaikan Isa Almasih / Yesus Kristus
    PANCASILA = "pancasila"  # Hari Lahir Pancasila (from 2017, Keppres 24/2016)
    IDUL_ADHA = "idul_adha"
    ISLAMIC_NEW_YEAR = "islamic_new_year"  # 1 Muharram
    INDEPENDENCE = "independence"
    MAULID = "maulid"  # Maulid Nabi Muhammad
    CHRISTMAS = "christmas"
    ELECTION = "election"  # a voting day declared a national holiday by Keppres


@dataclass(frozen=True)
class Holiday:
    """One national holiday; ``regulation`` names its own decree when not the year's SKB."""

    day: date
    kind: HolidayKind
    confidence: Confidence = Confidence.CONFIRMED
    regulation: str = ""


@dataclass(frozen=True)
class HolidayYear:
    """A year's national holidays with the decree that sets them. ``confidence`` is that of the
    year's dates as a whole (an entry may be weaker), ``decree_confidence`` that of the citation."""

    year: int
    decree: str
    holidays: tuple[Holiday, ...]
    confidence: Confidence = Confidence.CONFIRMED
    decree_confidence: Confidence = Confidence.CONFIRMED
    note: str = ""
    dates: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        strays = [h.day.isoformat() for h in self.holidays if h.day.year != self.year]
        if strays:
            raise ValueError(f"holidays of {self.year} dated in another year: {strays}")
        object.__setattr__(self, "dates", frozenset(h.day for h in self.holidays))

    @property
    def unconfirmed(self) -> bool:
        """Anything in this year short of confirmed: the dates, an entry, or the citation."""
        weak = {self.confidence, self.decree_confidence} | {h.confidence for h in self.holidays}
        return weak != {Confidence.CONFIRMED}


class UnknownHolidayYear(MissingRule):
    """A working day was asked of a year the holiday table does not cover: a rule table to add
    (or override), never an outcome, and never answered by counting weekends alone."""

    def __init__(self, year: int, known: tuple[int, ...]) -> None:
        self.year = year
        span = f"{known[0]}-{known[-1]}" if known else "no years"
        super().__init__(
            f"no national holiday calendar for {year} (the table covers {span}): add the SKB 3"
            f" Menteri on Hari Libur Nasional dan Cuti Bersama Tahun {year} to"
            " services/rules/defaults/holidays.py, or give the calendar that year with"
            " HolidayCalendar.with_year; working days are never counted from weekends alone"
        )


@dataclass(frozen=True)
class HolidayCalendar:
    """Non-working days: weekends, the national holidays of each year in the table, and any
    extra dates added by configuration (cuti bersama, a newly declared holiday)."""

    years: Mapping[int, HolidayYear] = field(hash=False)
    extra: frozenset[date] = frozenset()

    def year(self, year: int) -> HolidayYear:
        """The holidays of ``year``; UnknownHolidayYear when the table lacks it."""
        found = self.years.get(year)
        if found is None:
            raise UnknownHolidayYear(year, tuple(sorted(self.years)))
        return found

    def is_holiday(self, day: date) -> bool:
        """A national holiday or an extra date (UnknownHolidayYear outside the table)."""
        return day in self.year(day.year).dates or day in self.extra

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday (UnknownHolidayYear outside the table)."""
        return not self.is_holiday(day) and day.weekday() < 5

    def with_holidays(self, days: frozenset[date]) -> HolidayCalendar:
        """A calendar with more non-working days (e.g. cuti bersama, a declared voting day). A
        date in a year the table lacks does not make that year known: use ``with_year``."""
        return HolidayCalendar(self.years, self.extra | days)

    def with_year(self, year: HolidayYear) -> HolidayCalendar:
        """A calendar that has (or replaces) a whole year, e.g. the next year's SKB."""
        return HolidayCalendar(MappingProxyType({**self.years, year.year: year}), self.extra)
