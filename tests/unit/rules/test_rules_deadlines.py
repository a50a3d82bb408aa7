"""Working-day payment deadlines and late interest."""

from __future__ import annotations

from datetime import date

from services.rules import Program
from services.rules.deadlines import due_date, late_interest
from services.rules.defaults import default_calendar


def test_jkm_is_due_three_working_days_after_a_complete_claim() -> None:
    # Thu 7 Mar 2024: Fri 8, then Mon 11 is Nyepi (a national holiday), Tue 12, Wed 13.
    assert due_date(Program.JKM, date(2024, 3, 7)) == date(2024, 3, 13)


def test_fixed_holidays_do_not_count_as_working_days() -> None:
    assert due_date(Program.JKK, date(2024, 8, 12)) == date(2024, 8, 21)  # 17 Aug Sat
    # 25 Dec and 1 Jan are holidays; 26 Dec 2023 was cuti bersama, a working day here.
    assert due_date(Program.JHT, date(2023, 12, 22)) == date(2024, 1, 2)


def test_listed_movable_holidays_are_skipped_and_can_be_added() -> None:
    assert due_date(Program.JKM, date(2025, 3, 28)) == date(2025, 4, 4)  # Idul Fitri 31/3-1/4
    extra = default_calendar().with_holidays(frozenset({date(2027, 3, 12)}))
    assert not extra.is_working_day(date(2027, 3, 12))


def test_jp_uses_the_unconfirmed_five_working_days() -> None:
    # Mon 4 Mar 2024: 5, 6, 7, 8, then Nyepi on Mon 11: the fifth working day is Tue 12.
    assert due_date(Program.JP, date(2024, 3, 4)) == date(2024, 3, 12)


def test_late_jkk_pays_1_percent_of_the_benefit_per_calendar_day() -> None:
    interest = late_interest(Program.JKK, 10_000_000, date(2024, 3, 1), date(2024, 3, 4))
    assert (interest.days_late, interest.amount) == (3, 300_000)


def test_paying_on_time_owes_no_interest() -> None:
    assert late_interest(Program.JKM, 10_000_000, date(2024, 3, 1), date(2024, 2, 28)).amount == 0


def test_jht_has_no_statutory_late_interest() -> None:
    interest = late_interest(Program.JHT, 10_000_000, date(2024, 3, 1), date(2024, 3, 9))
    assert interest.amount == 0 and interest.confidence == "U"
