"""Default national holiday table, 2015-2027: each year's dates and the SKB 3 Menteri that sets them
(Keputusan Bersama Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB tentang Hari Libur
Nasional dan Cuti Bersama), plus voting days declared national holidays by Keppres.

Sources: the decree texts or the dates as reported from them by national news (kompas, tempo,
jpnn, okezone, setkab, kemenko PMK releases). Cuti bersama days are left out on purpose: they
are collective leave, not national holidays. A year missing here is an error, not weekends only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

from services.rules.holidays import Holiday, HolidayCalendar, HolidayKind, HolidayYear
from services.rules.tables import Confidence

C, S, U = Confidence.CONFIRMED, Confidence.SINGLE_SOURCE, Confidence.UNCONFIRMED
K = HolidayKind
SKB = "SKB Menag/Menaker/MenPANRB"
PANCASILA_FROM = 2017
"""Hari Lahir Pancasila (1 June) is a national holiday from 2017 (Keppres 24/2016)."""

Dates = Mapping[HolidayKind, str | tuple[str, ...]]


def _fixed(year: int) -> list[Holiday]:
    """The fixed-date holidays (Keppres 251/1967 as amended; Labour Day Keppres 24/2013)."""
    days = [("01-01", K.NEW_YEAR), ("05-01", K.LABOUR_DAY), ("08-17", K.INDEPENDENCE)]
    days.append(("12-25", K.CHRISTMAS))
    if year >= PANCASILA_FROM:
        days.append(("06-01", K.PANCASILA))
    return [Holiday(date.fromisoformat(f"{year}-{md}"), kind) for md, kind in days]


def skb(
    year: int,
    decree: str,
    movable: Dates,
    *,
    confidence: Confidence = C,
    decree_confidence: Confidence = C,
    keppres: Iterable[tuple[str, str, Confidence]] = (),
    note: str = "",
) -> HolidayYear:
    """A year of the table: the fixed holidays, the SKB's movable ones (month-day strings, a
    tuple for a holiday of several days) and any Keppres voting days (month-day, decree, conf)."""
    moving = [
        Holiday(date.fromisoformat(f"{year}-{md}"), kind, confidence)
        for kind, days in movable.items()
        for md in ((days,) if isinstance(days, str) else days)
    ]
    votes = [
        Holiday(date.fromisoformat(f"{year}-{md}"), K.ELECTION, conf, reg)
        for md, reg, conf in keppres
    ]
    holidays = sorted(_fixed(year) + moving + votes, key=lambda h: h.day)
    return HolidayYear(year, decree, tuple(holidays), confidence, decree_confidence, note)


YEARS = (
    skb(
        2015,
        f"{SKB} (then Menakertrans) tentang Hari Libur Nasional dan Cuti Bersama Tahun 2015,"
        " signed 7 May 2014 (number not found)",
        {
            K.MAULID: "01-03",
            K.IMLEK: "02-19",
            K.NYEPI: "03-21",
            K.GOOD_FRIDAY: "04-03",
            K.ASCENSION: "05-14",
            K.ISRA_MIRAJ: "05-16",
            K.WAISAK: "06-02",
            K.IDUL_FITRI: ("07-17", "07-18"),
            K.IDUL_ADHA: "09-24",
            K.ISLAMIC_NEW_YEAR: "10-14",
        },
        decree_confidence=U,
        keppres=[("12-09", "Keppres 25/2015 (Pilkada serentak)", C)],
        note="Maulid 1437 H also fell on 24 Dec 2015, a cuti bersama day; the SKB as reported"
        " lists Maulid on 3 Jan only, so 24 Dec is not a national holiday here (check the SKB).",
    ),
    skb(
        2016,
        f"{SKB} No. 150/2015, 2/SKB/MEN/VI/2015, 01/2015",
        {
            K.IMLEK: "02-08",
            K.NYEPI: "03-09",
            K.GOOD_FRIDAY: "03-25",
            K.ASCENSION: "05-05",
            K.ISRA_MIRAJ: "05-06",
            K.WAISAK: "05-22",
            K.IDUL_FITRI: ("07-06", "07-07"),
            K.IDUL_ADHA: "09-12",
            K.ISLAMIC_NEW_YEAR: "10-02",
            K.MAULID: "12-12",
        },
    ),
    skb(
        2017,
        f"{SKB} No. 135/2016, 109/2016, 01/SKB/MENPANRB/04/2016, as amended by No. 684/2016,"
        " 302/2016, SKB/02/MENPAN-RB/11/2016 (adds Pancasila Day, Keppres 24/2016)",
        {
            K.IMLEK: "01-28",
            K.NYEPI: "03-28",
            K.GOOD_FRIDAY: "04-14",
            K.ISRA_MIRAJ: "04-24",
            K.WAISAK: "05-11",
            K.ASCENSION: "05-25",
            K.IDUL_FITRI: ("06-25", "06-26"),
            K.IDUL_ADHA: "09-01",
            K.ISLAMIC_NEW_YEAR: "09-21",
            K.MAULID: "12-01",
        },
        keppres=[("02-15", "Keppres 3/2017 (Pilkada serentak)", C)],
    ),
    skb(
        2018,
        f"{SKB} No. 707/2017, 256/2017, 01/SKB/MENPAN-RB/09/2017 (amended April 2018 for cuti"
        " bersama only)",
        {
            K.IMLEK: "02-16",
            K.NYEPI: "03-17",
            K.GOOD_FRIDAY: "03-30",
            K.ISRA_MIRAJ: "04-14",
            K.ASCENSION: "05-10",
            K.WAISAK: "05-29",
            K.IDUL_FITRI: ("06-15", "06-16"),
            K.IDUL_ADHA: "08-22",
            K.ISLAMIC_NEW_YEAR: "09-11",
            K.MAULID: "11-20",
        },
        # Most reports give Keppres 15/2018, one 14/2018; the date is not in doubt.
        keppres=[("06-27", "Keppres 15/2018 (Pilkada serentak)", S)],
    ),
    skb(
        2019,
        f"{SKB} No. 617/2018, 262/2018, 16/2018",
        {
            K.IMLEK: "02-05",
            K.NYEPI: "03-07",
            K.ISRA_MIRAJ: "04-03",
            K.GOOD_FRIDAY: "04-19",
            K.WAISAK: "05-19",
            K.ASCENSION: "05-30",
            K.IDUL_FITRI: ("06-05", "06-06"),
            K.IDUL_ADHA: "08-11",
            K.ISLAMIC_NEW_YEAR: "09-01",
            K.MAULID: "11-09",
        },
        keppres=[("04-17", "Keppres 10/2019 (Pemilu)", C)],
    ),
    skb(
        2020,
        f"{SKB} No. 728/2019, 213/2019, 01/2019, as amended (last by No. 744/2020, 05/2020,"
        " 06/2020; the amendments moved cuti bersama only)",
        {
            K.IMLEK: "01-25",
            K.ISRA_MIRAJ: "03-22",
            K.NYEPI: "03-25",
            K.GOOD_FRIDAY: "04-10",
            K.WAISAK: "05-07",
            K.ASCENSION: "05-21",
            K.IDUL_FITRI: ("05-24", "05-25"),
            K.IDUL_ADHA: "07-31",
            K.ISLAMIC_NEW_YEAR: "08-20",
            K.MAULID: "10-29",
        },
        keppres=[("12-09", "Keppres 22/2020 (Pilkada serentak)", S)],
    ),
    skb(
        2021,
        f"{SKB} No. 642/2020, 4/2020, 4/2020, as amended by No. 712/2021, 1/2021, 3/2021"
        " (Islamic New Year moved from 10 to 11 Aug, Maulid from 19 to 20 Oct)",
        {
            K.IMLEK: "02-12",
            K.ISRA_MIRAJ: "03-11",
            K.NYEPI: "03-14",
            K.GOOD_FRIDAY: "04-02",
            K.ASCENSION: "05-13",
            K.IDUL_FITRI: ("05-13", "05-14"),
            K.WAISAK: "05-26",
            K.IDUL_ADHA: "07-20",
            K.ISLAMIC_NEW_YEAR: "08-11",
            K.MAULID: "10-20",
        },
    ),
    skb(
        2022,
        f"{SKB} No. 963/2021, 3/2021, 4/2021, as amended by No. 375/2022, 1/2022, 1/2022 and"
        " No. 678/2022, 2/2022, 2/2022 (Idul Adha moved from 9 to 10 Jul)",
        {
            K.IMLEK: "02-01",
            K.ISRA_MIRAJ: "02-28",
            K.NYEPI: "03-03",
            K.GOOD_FRIDAY: "04-15",
            K.IDUL_FITRI: ("05-02", "05-03"),
            K.WAISAK: "05-16",
            K.ASCENSION: "05-26",
            K.IDUL_ADHA: "07-10",
            K.ISLAMIC_NEW_YEAR: "07-30",
            K.MAULID: "10-08",
        },
    ),
    skb(
        2023,
        f"{SKB} No. 1066/2022, 3/2022, 3/2022, as amended (second amendment No. 624/2023,"
        " 2/2023, 2/2023: cuti bersama only)",
        {
            K.IMLEK: "01-22",
            K.ISRA_MIRAJ: "02-18",
            K.NYEPI: "03-22",
            K.GOOD_FRIDAY: "04-07",
            K.IDUL_FITRI: ("04-22", "04-23"),
            K.ASCENSION: "05-18",
            K.WAISAK: "06-04",
            K.IDUL_ADHA: "06-29",
            K.ISLAMIC_NEW_YEAR: "07-19",
            K.MAULID: "09-28",
        },
        decree_confidence=S,
        note="One report numbers the SKB 1006/2022; the amendment cites 1066/2022.",
    ),
    skb(
        2024,
        f"{SKB} No. 855/2023, 3/2023, 4/2023",
        {
            K.ISRA_MIRAJ: "02-08",
            K.IMLEK: "02-10",
            K.NYEPI: "03-11",
            K.GOOD_FRIDAY: "03-29",
            K.EASTER: "03-31",
            K.IDUL_FITRI: ("04-10", "04-11"),
            K.ASCENSION: "05-09",
            K.WAISAK: "05-23",
            K.IDUL_ADHA: "06-17",
            K.ISLAMIC_NEW_YEAR: "07-07",
            K.MAULID: "09-16",
        },
        keppres=[
            ("02-14", "Keppres 10/2024 (Pemilu)", C),
            ("11-27", "Keppres 33/2024 (Pilkada serentak)", C),
        ],
    ),
    skb(
        2025,
        f"{SKB} No. 1017/2024, 2/2024, 2/2024 (amended by No. 933/2025, 1/2025, 3/2025: cuti"
        " bersama 18 Aug only)",
        {
            K.ISRA_MIRAJ: "01-27",
            K.IMLEK: "01-29",
            K.NYEPI: "03-29",
            K.IDUL_FITRI: ("03-31", "04-01"),
            K.GOOD_FRIDAY: "04-18",
            K.EASTER: "04-20",
            K.WAISAK: "05-12",
            K.ASCENSION: "05-29",
            K.IDUL_ADHA: "06-06",
            K.ISLAMIC_NEW_YEAR: "06-27",
            K.MAULID: "09-05",
        },
    ),
    skb(
        2026,
        f"{SKB} No. 1497/2025, 2/2025, 5/2025",
        {
            K.ISRA_MIRAJ: "01-16",
            K.IMLEK: "02-17",
            K.NYEPI: "03-19",
            K.IDUL_FITRI: ("03-21", "03-22"),
            K.GOOD_FRIDAY: "04-03",
            K.EASTER: "04-05",
            K.ASCENSION: "05-14",
            K.IDUL_ADHA: "05-27",
            K.WAISAK: "05-31",
            K.ISLAMIC_NEW_YEAR: "06-16",
            K.MAULID: "08-25",
        },
        decree_confidence=S,
        note="Decree number from a single (government) page; the dates agree in two lists.",
    ),
    skb(
        2027,
        f"{SKB} tentang Hari Libur Nasional dan Cuti Bersama Tahun 2027 (not seen)",
        {
            K.ISRA_MIRAJ: "01-06",
            K.IMLEK: "02-06",
            K.NYEPI: "03-09",
            K.IDUL_FITRI: ("03-10", "03-11"),
            K.GOOD_FRIDAY: "03-26",
            K.EASTER: "03-28",
            K.ASCENSION: "05-06",
            K.IDUL_ADHA: "05-17",
            K.WAISAK: "05-20",
            K.ISLAMIC_NEW_YEAR: "06-06",
            K.MAULID: "08-15",
        },
        confidence=U,
        decree_confidence=U,
        note="Provisional, not from the SKB: Islamic dates are hisab estimates (MABIMS criteria,"
        " may be a day off), Nyepi and Waisak from the new and full moon, Christian dates from"
        " the Gregorian computus. Replace with the published SKB.",
    ),
)

NATIONAL_HOLIDAYS: Mapping[int, HolidayYear] = MappingProxyType({y.year: y for y in YEARS})


def default_calendar() -> HolidayCalendar:
    """The national holidays of 2015-2027 (2027 provisional); other years raise."""
    return HolidayCalendar(NATIONAL_HOLIDAYS)
