"""Scholarships for children on death or total disability (PP 44/2015 jo PP 82/2019)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.rules.claims import Child, SchoolLevel
from services.rules.dates import add_years, age_on
from services.rules.decision import Component, inputs
from services.rules.tables import RuleSet

LEVELS = (SchoolLevel.TK, SchoolLevel.SD, SchoolLevel.SMP, SchoolLevel.SMA, SchoolLevel.UNIVERSITY)
REGULATION = "PP 44/2015 jo PP 82/2019"


def eligible_children(children: tuple[Child, ...], day: date, rules: RuleSet) -> tuple[Child, ...]:
    """Children under 23 on the event date, first two as listed by the claim (heir statement
    order; which two when there are more: no regulation found, unconfirmed)."""
    max_age = rules.amount("scholarship.max_child_age", day)
    limit = rules.amount("scholarship.max_children", day)
    return tuple(c for c in children if age_on(c.birth_date, day) < max_age)[:limit]


def remaining_levels(level: SchoolLevel) -> tuple[SchoolLevel, ...]:
    """The levels still ahead of a child at ``level``; a child not yet in school gets all of them
    (payment starts on enrolment, PP 82/2019). Assumption: the current level counts in full."""
    return LEVELS if level is SchoolLevel.NONE else LEVELS[LEVELS.index(level) :]


def child_entitlement(child: Child, day: date, rules: RuleSet) -> int:
    """Σ per-year amount × years over the remaining levels; at most Rp87m per child."""
    return sum(
        rules.amount(f"scholarship.{lv}.per_year", day)
        * rules.amount(f"scholarship.{lv}.years", day)
        for lv in remaining_levels(child.school_level)
    )


def scholarships(
    prefix: str, children: tuple[Child, ...], day: date, rules: RuleSet
) -> tuple[Component, ...]:
    """Scholarship components: by level for up to 2 children after PP 82/2019, a flat Rp12m per
    participant before it (PP 44/2015, as in the 2019 'Pak Asep' case)."""
    eligible = eligible_children(children, day, rules)
    if not eligible:
        return ()
    if not rules.flag("scholarship.by_level", day):
        flat = rules.amount("scholarship.flat_amount", day)
        row = rules.row("scholarship.flat_amount", day)
        return (
            Component(
                f"{prefix}_SCHOLARSHIP",
                flat,
                "flat amount per participant",
                "PP 44/2015",
                inputs(children=len(eligible)),
                row.confidence,
            ),
        )
    return tuple(
        Component(
            f"{prefix}_SCHOLARSHIP_CHILD_{n}",
            child_entitlement(child, day, rules),
            "Σ per-year amount × years for the levels from the current one; paid yearly",
            REGULATION,
            inputs(
                level=child.school_level.value,
                levels="/".join(remaining_levels(child.school_level)),
                birth_date=child.birth_date.isoformat(),
                first_school_year=first_school_year(child, day, rules).isoformat(),
            ),
        )
        for n, child in enumerate(eligible, start=1)
    )


def school_year_of(day: date, rules: RuleSet, on: date | None = None) -> date:
    """The first day of the school year that contains `day` (it starts in
    `scholarship.school_year_month` in force on `on`, default `day`: July, unconfirmed)."""
    month = rules.amount("scholarship.school_year_month", on or day)
    start = date(day.year, month, 1)
    return start if start <= day else date(day.year - 1, month, 1)


def first_school_year(child: Child, day: date, rules: RuleSet) -> date:
    """The school year a child's scholarship starts: the current one for a child in school; for
    a child not yet in school, the first that starts on or after its `scholarship.school_start_age`
    birthday (payment starts on enrolment, PP 82/2019; the age is unconfirmed). The rules are
    those in force on the decision day `day`."""
    current = school_year_of(day, rules)
    if child.school_level is not SchoolLevel.NONE:
        return current
    ready = add_years(child.birth_date, rules.amount("scholarship.school_start_age", day))
    start = school_year_of(ready, rules, on=day)
    return max(current, start if start == ready else add_years(start, 1))


@dataclass(frozen=True)
class SchoolYear:
    """One school year of a child's scholarship: when it starts, the level, the amount."""

    start: date
    level: SchoolLevel
    amount: int


def schedule(
    level: SchoolLevel, first: date, birth_date: date, day: date, rules: RuleSet
) -> tuple[SchoolYear, ...]:
    """A child's scholarship year by year from `first`: each remaining level for its years, at
    the amounts in force on the decision day `day` (their sum is the decided entitlement). A
    school year that starts once the child is `scholarship.max_child_age` is not paid."""
    years: list[SchoolYear] = []
    start = first
    max_age = rules.amount("scholarship.max_child_age", day)
    for lv in remaining_levels(level):
        for _ in range(rules.amount(f"scholarship.{lv}.years", day)):
            if age_on(birth_date, start) < max_age:
                years.append(SchoolYear(start, lv, rules.amount(f"scholarship.{lv}.per_year", day)))
            start = add_years(start, 1)
    return tuple(years)
