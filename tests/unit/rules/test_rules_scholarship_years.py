"""Scholarships by school year (services/rules/scholarship.py): when they start, what each year
pays, and the age limit."""

from __future__ import annotations

from datetime import date

from services.rules import default_rules
from services.rules.claims import Child, SchoolLevel
from services.rules.scholarship import (
    child_entitlement,
    first_school_year,
    schedule,
    school_year_of,
)

RULES = default_rules()
DAY = date(2024, 3, 10)


def test_the_school_year_starts_in_july() -> None:
    assert school_year_of(date(2024, 3, 10), RULES) == date(2023, 7, 1)
    assert school_year_of(date(2024, 7, 1), RULES) == date(2024, 7, 1)
    assert school_year_of(date(2024, 6, 30), RULES) == date(2023, 7, 1)


def test_a_child_in_school_is_paid_from_the_current_school_year() -> None:
    child = Child(date(2016, 2, 10), SchoolLevel.SD)
    first = first_school_year(child, DAY, RULES)
    years = schedule(child.school_level, first, child.birth_date, DAY, RULES)
    assert first == date(2023, 7, 1)
    assert [(y.start.year, y.level.value, y.amount) for y in years[:2]] == [
        (2023, "SD", 1_500_000), (2024, "SD", 1_500_000),
    ]  # fmt: skip
    # 17 school years from SD would end in 2039/40, when she is 23: the last university year is
    # not paid, so the schedule pays Rp12m less than the decided "up to" Rp84m.
    assert child_entitlement(child, DAY, RULES) == 84_000_000
    assert len(years) == 6 + 3 + 3 + 4 and sum(y.amount for y in years) == 72_000_000
    assert years[-1].start == date(2038, 7, 1)


def test_a_child_not_yet_in_school_starts_tk_the_july_after_turning_4() -> None:
    child = Child(date(2021, 3, 1), SchoolLevel.NONE)
    first = first_school_year(child, DAY, RULES)
    assert first == date(2025, 7, 1)
    years = schedule(child.school_level, first, child.birth_date, DAY, RULES)
    assert years[0].level is SchoolLevel.TK and sum(y.amount for y in years) == 87_000_000


def test_no_school_year_is_paid_once_the_child_is_23() -> None:
    child = Child(date(2003, 9, 15), SchoolLevel.SMA)
    years = schedule(child.school_level, date(2023, 7, 1), child.birth_date, DAY, RULES)
    # SMA 2023-2025 and the first university year (22 in July 2026); 23 by July 2027.
    assert [(y.start.year, y.amount) for y in years] == [
        (2023, 3_000_000), (2024, 3_000_000), (2025, 3_000_000), (2026, 12_000_000),
    ]  # fmt: skip
    assert child_entitlement(child, DAY, RULES) == 69_000_000  # the decision's "up to"


def test_a_child_born_before_the_rules_start_is_scheduled_by_the_decision_day_s_rules() -> None:
    # Not yet in school, 4 before July 2015 (the rule tables' first day): the replay once
    # dead-lettered such a claim as MissingRule.
    child = Child(date(2009, 1, 5), SchoolLevel.NONE)
    assert first_school_year(child, DAY, RULES) == date(2023, 7, 1)
    assert first_school_year(Child(date(2020, 7, 1), SchoolLevel.NONE), DAY, RULES) == date(
        2024, 7, 1
    )
