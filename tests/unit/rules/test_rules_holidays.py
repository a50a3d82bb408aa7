"""National holidays 2015-2027: dates per SKB 3 Menteri, citations, flags, unknown years."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from services.rules import Confidence, HolidayCalendar, HolidayKind, Program, UnknownHolidayYear
from services.rules.deadlines import due_date
from services.rules.defaults import NATIONAL_HOLIDAYS, default_calendar
from services.rules.holidays import Holiday, HolidayYear

K = HolidayKind
YEARS = range(2015, 2028)


def kinds_on(day: date) -> set[HolidayKind]:
    return {h.kind for h in default_calendar().year(day.year).holidays if h.day == day}


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2015, 7, 17), K.IDUL_FITRI),
        (date(2015, 3, 21), K.NYEPI),
        (date(2015, 12, 9), K.ELECTION),  # Pilkada, Keppres 25/2015
        (date(2016, 7, 6), K.IDUL_FITRI),
        (date(2016, 3, 9), K.NYEPI),
        (date(2017, 6, 1), K.PANCASILA),  # the first year it is a holiday
        (date(2017, 6, 26), K.IDUL_FITRI),
        (date(2018, 6, 15), K.IDUL_FITRI),
        (date(2018, 8, 22), K.IDUL_ADHA),
        (date(2019, 6, 5), K.IDUL_FITRI),
        (date(2019, 4, 17), K.ELECTION),  # Pemilu, Keppres 10/2019
        (date(2020, 5, 24), K.IDUL_FITRI),
        (date(2020, 7, 31), K.IDUL_ADHA),
        (date(2021, 5, 13), K.ASCENSION),
        (date(2021, 8, 11), K.ISLAMIC_NEW_YEAR),  # moved from 10 Aug by SKB 712/2021
        (date(2022, 5, 2), K.IDUL_FITRI),
        (date(2022, 7, 10), K.IDUL_ADHA),  # moved from 9 Jul by SKB 678/2022
        (date(2023, 4, 22), K.IDUL_FITRI),
        (date(2023, 6, 4), K.WAISAK),
        (date(2024, 4, 10), K.IDUL_FITRI),
        (date(2024, 4, 11), K.IDUL_FITRI),
        (date(2024, 3, 11), K.NYEPI),
        (date(2024, 6, 17), K.IDUL_ADHA),
        (date(2024, 3, 31), K.EASTER),
        (date(2024, 2, 14), K.ELECTION),  # Pemilu, Keppres 10/2024
        (date(2025, 3, 31), K.IDUL_FITRI),
        (date(2025, 6, 6), K.IDUL_ADHA),
        (date(2026, 3, 21), K.IDUL_FITRI),
        (date(2026, 3, 22), K.IDUL_FITRI),
        (date(2026, 5, 31), K.WAISAK),
        (date(2027, 2, 6), K.IMLEK),
        (date(2027, 12, 25), K.CHRISTMAS),
    ],
)
def test_known_national_holidays_are_in_the_table(day: date, kind: HolidayKind) -> None:
    assert kind in kinds_on(day)
    assert default_calendar().is_holiday(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 4, 8),  # cuti bersama Idul Fitri 2024
        date(2024, 4, 12),  # cuti bersama Idul Fitri 2024
        date(2025, 8, 18),  # cuti bersama added for the 80th Independence Day
        date(2026, 3, 20),  # cuti bersama before Idul Fitri 2026 (21-22 March)
        date(2016, 6, 1),  # Pancasila Day was not yet a national holiday
        date(2021, 8, 10),  # 1 Muharram itself; the holiday was moved to the 11th
    ],
)
def test_cuti_bersama_and_moved_days_are_working_days(day: date) -> None:
    assert day.weekday() < 5
    assert default_calendar().is_working_day(day)


def test_every_year_2015_to_2027_is_in_the_table_with_its_decree() -> None:
    assert sorted(NATIONAL_HOLIDAYS) == list(YEARS)
    for year in YEARS:
        entry = default_calendar().year(year)
        assert entry.year == year and "SKB" in entry.decree, year
        # A decree without its number is flagged: the title and year stand in for it.
        assert "No. " in entry.decree or entry.decree_confidence is Confidence.UNCONFIRMED, year


def test_each_year_lists_the_national_holidays_once_and_idul_fitri_twice() -> None:
    for year in YEARS:
        holidays = default_calendar().year(year).holidays
        kinds = set(K) - {K.ELECTION}
        if year < 2024:
            kinds.discard(K.EASTER)  # Paskah is listed from the 2024 SKB
        if year < 2017:
            kinds.discard(K.PANCASILA)
        counts = Counter(h.kind for h in holidays if h.kind is not K.ELECTION)
        assert counts == Counter({**{k: 1 for k in kinds}, K.IDUL_FITRI: 2}), year
        fitri = sorted(h.day for h in holidays if h.kind is K.IDUL_FITRI)
        assert fitri[1] - fitri[0] == timedelta(days=1), year


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm), independent of the table."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def test_good_friday_and_ascension_follow_easter_every_year() -> None:
    for year in YEARS:
        by_kind = {h.kind: h.day for h in default_calendar().year(year).holidays}
        assert by_kind[K.GOOD_FRIDAY] == easter(year) - timedelta(days=2), year
        assert by_kind[K.ASCENSION] == easter(year) + timedelta(days=39), year
        assert by_kind.get(K.EASTER, easter(year)) == easter(year), year


def test_a_2024_due_date_skips_idul_fitri_but_not_cuti_bersama() -> None:
    # JKK, complete Mon 8 Apr 2024: 7 working days. 10-11 Apr are Idul Fitri (holidays); 8, 9,
    # 12 and 15 Apr were cuti bersama, which the table leaves out, so they count.
    assert due_date(Program.JKK, date(2024, 4, 8)) == date(2024, 4, 19)
    weekends_only = date(2024, 4, 17)
    assert due_date(Program.JKK, date(2024, 4, 8)) != weekends_only
    # JKm, complete Tue 9 Apr: 12 (Fri), 15, 16.
    assert due_date(Program.JKM, date(2024, 4, 9)) == date(2024, 4, 16)


def test_a_year_outside_the_table_raises_naming_the_year_and_the_fix() -> None:
    calendar = default_calendar()
    for day in (date(2014, 12, 31), date(2028, 1, 3), date(2028, 1, 8)):  # 8 Jan 2028 a Saturday
        with pytest.raises(UnknownHolidayYear) as raised:
            calendar.is_working_day(day)
        message = str(raised.value)
        assert raised.value.year == day.year
        assert f"for {day.year}" in message and "Tahun " + str(day.year) in message
        assert "2015-2027" in message and "with_year" in message
        assert "services/rules/defaults/holidays.py" in message


def test_a_due_date_running_into_an_unknown_year_raises_rather_than_counting_weekends() -> None:
    # Complete Tue 28 Dec 2027: 7 working days reach into 2028, which no decree covers yet.
    with pytest.raises(UnknownHolidayYear, match="2028"):
        due_date(Program.JKK, date(2027, 12, 28))
    assert due_date(Program.JKM, date(2027, 12, 20)) == date(2027, 12, 23)


def test_a_year_can_be_given_to_the_calendar_to_cover_it() -> None:
    next_year = HolidayYear(
        2028,
        "SKB Menag/Menaker/MenPANRB tentang Hari Libur Nasional dan Cuti Bersama Tahun 2028",
        (Holiday(date(2028, 1, 1), K.NEW_YEAR),),
        Confidence.OVERRIDDEN,
        Confidence.OVERRIDDEN,
    )
    calendar = default_calendar().with_year(next_year)
    assert calendar.is_working_day(date(2028, 1, 3))
    assert due_date(Program.JKK, date(2027, 12, 28), calendar) == date(2028, 1, 6)
    assert 2028 not in default_calendar().years  # the default table is not changed


def test_added_holidays_keep_working_but_do_not_make_a_year_known() -> None:
    extra = default_calendar().with_holidays(frozenset({date(2026, 3, 20), date(2028, 1, 3)}))
    assert not extra.is_working_day(date(2026, 3, 20))
    assert due_date(Program.JKM, date(2026, 3, 19), extra) == date(2026, 3, 25)
    with pytest.raises(UnknownHolidayYear):
        extra.is_working_day(date(2028, 1, 3))


def test_uncertain_years_and_entries_are_flagged() -> None:
    flagged = {y for y in YEARS if default_calendar().year(y).unconfirmed}
    assert {2015, 2027} <= flagged  # 2015: decree number not found; 2027: SKB not seen
    assert {2016, 2019, 2021, 2022, 2024, 2025}.isdisjoint(flagged)
    provisional = default_calendar().year(2027)
    assert provisional.confidence is Confidence.UNCONFIRMED and provisional.note
    fixed = {K.NEW_YEAR, K.LABOUR_DAY, K.PANCASILA, K.INDEPENDENCE, K.CHRISTMAS}
    assert all(
        (h.confidence is Confidence.CONFIRMED) == (h.kind in fixed) for h in provisional.holidays
    )


def test_a_year_refuses_holidays_dated_in_another_year() -> None:
    with pytest.raises(ValueError, match="2025-12-31"):
        HolidayYear(2026, "SKB", (Holiday(date(2025, 12, 31), K.NEW_YEAR),))


def test_an_empty_calendar_knows_no_year() -> None:
    with pytest.raises(UnknownHolidayYear, match="covers no years"):
        HolidayCalendar({}).is_holiday(date(2024, 1, 1))
