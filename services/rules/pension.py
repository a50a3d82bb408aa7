"""A JP pension over time (PP 45/2015 Pasal 16-18): what each month pays, when it is due, and
who is paid after the pensioner dies, a widow(er) remarries or dies, or a child leaves.

A pension keeps its *base*: the formula's monthly amount (1% × years × average indexed wage ×
the survivor's share) before the minimum/maximum clamp, in the terms of its base year. Each
month pays that base indexed by every January's CPI inflation since (Pasal 17: "each following
year, the previous benefit × (1 + prior-year inflation)"), clamped to the minimum and maximum in
force that month (Pasal 18), exact through the chain and rounded once, half up. Indexing the
formula's amount rather than last year's clamped payment, and the rounding, are our reading of
Pasal 17-18 (the text states neither): see `jp.indexation_month` for when the year turns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

from services.rules.claims import HeirRelation
from services.rules.dates import add_months, add_years, age_on, month_start
from services.rules.deadlines import working_days_after
from services.rules.holidays import HolidayCalendar
from services.rules.jp_formula import growth
from services.rules.money import to_rupiah
from services.rules.tables import RuleSet

REG = "PP 45/2015 Pasal 16-18"
# What a pension pays for, and its share of the participant's formula.
OWN = frozenset({"OLD_AGE", "DISABILITY"})
SURVIVOR_KINDS = ("WIDOW_WIDOWER", "CHILD", "PARENT")


@dataclass(frozen=True)
class Beneficiary:
    """Who a pension is for: a survivor by relation, and a child's birth date for its age limit
    (None: not known; the child stays until a CHILD_LEFT event says otherwise)."""

    name: str
    relation: HeirRelation
    birth_date: date | None = None


@dataclass(frozen=True)
class Pension:
    """One pension as the payroll sees it."""

    pension_id: str
    kind: str
    base: int  # the formula's monthly amount with its share, unclamped, in base_year's terms
    base_year: int
    payroll_from: date  # the first month the payroll pays (a month start)
    last_month: date | None  # the last month it pays; None while it runs
    beneficiaries: tuple[Beneficiary, ...] = ()


def share(kind: str, on: date, rules: RuleSet) -> Fraction:
    """A pension's share of the participant's formula: all of it for the participant's own
    pension, `jp.share.<kind>` for a survivor's (50% / 50% / 20%, unconfirmed)."""
    return Fraction(1) if kind in OWN else rules.rate(f"jp.share.{kind}", on)


def index_factor(base_year: int, month: date, rules: RuleSet) -> Fraction:
    """Π (1 + the prior year's CPI inflation) over every indexation after the base year up to
    `month`: the indexation of year y applies from `jp.indexation_month` of y."""
    factor = Fraction(1)
    for year in range(base_year + 1, month.year + 1):
        turn = rules.amount("jp.indexation_month", date(year, 1, 1))
        if date(year, turn, 1) <= month_start(month):
            factor *= growth(year - 1, rules)
    return factor


def monthly_amount(pension: Pension, month: date, rules: RuleSet) -> int:
    """What `pension` pays for `month`: the base indexed to `month`, clamped to that month's
    minimum and maximum, rounded once half up (module docstring)."""
    on = month_start(month)
    exact = pension.base * index_factor(pension.base_year, on, rules)
    low, high = rules.amount("jp.benefit_min", on), rules.amount("jp.benefit_max", on)
    return to_rupiah(min(max(exact, Fraction(low)), Fraction(high)))


def due_on(month: date, rules: RuleSet, calendar: HolidayCalendar | None = None) -> date:
    """A month's pension is due on its `jp.payroll.due_working_day`-th working day (the JP
    payment deadline was not found: the first working day, unconfirmed)."""
    first = month_start(month)
    return working_days_after(
        first - timedelta(days=1), rules.amount("jp.payroll.due_working_day", first), calendar
    )


def children_in_age(
    beneficiaries: tuple[Beneficiary, ...], month: date, rules: RuleSet
) -> tuple[Beneficiary, ...]:
    """The children still under the age limit on `month`'s first day (PP 45/2015 Pasal 16: the
    child pension ends at 23), at most `jp.max_children`, in the order the branch listed them."""
    on = month_start(month)
    limit = rules.amount("jp.child.max_age", on)
    found = tuple(
        b
        for b in beneficiaries
        if b.relation is HeirRelation.CHILD
        and (b.birth_date is None or age_on(b.birth_date, on) < limit)
    )
    return found[: rules.amount("jp.max_children", on)]


def pays(pension: Pension, month: date, rules: RuleSet) -> bool:
    """Whether the payroll pays `pension` for `month`: inside its months and, for a child
    pension, with a child still under the age limit."""
    on = month_start(month)
    if on < pension.payroll_from or (pension.last_month is not None and on > pension.last_month):
        return False
    return pension.kind != "CHILD" or bool(children_in_age(pension.beneficiaries, on, rules))


def child_last_month(child: Beneficiary, on: date, rules: RuleSet) -> date | None:
    """The last month a child is paid for, under the age limit in force on `on`: the month
    before the first month that starts on or after that birthday (None: birth date unknown)."""
    if child.birth_date is None:
        return None
    limit = rules.amount("jp.child.max_age", on)
    return month_start(add_years(child.birth_date, limit) - timedelta(days=1))


def aged_out_after(pension: Pension, month: date, rules: RuleSet) -> date | None:
    """For a child pension whose every child has passed the age limit by `month`: the last month
    it pays (the latest child's last month in age); None while a child is in age or a child's
    birth date is not known."""
    if pension.kind != "CHILD" or pension.last_month is not None:
        return None
    children = [b for b in pension.beneficiaries if b.relation is HeirRelation.CHILD]
    lasts = [child_last_month(b, month_start(month), rules) for b in children]
    if not lasts or any(m is None for m in lasts):
        return None
    last = max(m for m in lasts if m is not None)
    return last if last < month_start(month) else None


# What a reported change does (PP 45/2015 Pasal 16): stable rejection codes, never renamed.
REJECTIONS = {
    "unknown_pension": "no pension is on record for this claim",
    "pension_ended": "the pension it names has already ended",
    "not_applicable": "this change does not apply to the pension in payment",
    "unknown_child": "no child of that name is among the child pension's beneficiaries",
    "before_start": "the change is dated before the pension's first month",
}


@dataclass(frozen=True)
class Successor:
    """The pension a change starts, paid from the month after the change."""

    kind: str
    beneficiaries: tuple[Beneficiary, ...]


@dataclass(frozen=True)
class ChangeEffect:
    """What one change does to the pension in payment: end it after `last_month`, keep it with
    fewer beneficiaries, start a successor, or nothing (`rejection` says why)."""

    last_month: date | None = None
    beneficiaries: tuple[Beneficiary, ...] | None = None
    successor: Successor | None = None
    rejection: str | None = None


def successor_of(
    kind: str, survivors: tuple[Beneficiary, ...], from_month: date, rules: RuleSet
) -> Successor | None:
    """Who is paid after the participant's own pension (the pensioner died) or a widow(er)'s
    pension (remarried or died), PP 45/2015 Pasal 16: the widow(er); else up to two children
    under the age limit; else, after the participant's own pension only, a parent."""
    spouses = tuple(s for s in survivors if s.relation is HeirRelation.SPOUSE)
    children = children_in_age(survivors, from_month, rules)
    if kind in OWN and spouses:
        return Successor("WIDOW_WIDOWER", spouses[:1] + children)
    if children:
        return Successor("CHILD", children)
    parents = tuple(s for s in survivors if s.relation is HeirRelation.PARENT)
    if kind in OWN and parents:
        return Successor("PARENT", parents)
    return None


def apply_change(
    pension: Pension,
    change: str,
    effective: date,
    survivors: tuple[Beneficiary, ...],
    child_name: str | None,
    rules: RuleSet,
) -> ChangeEffect:
    """The effect of a reported change on the pension in payment. The pension pays through the
    month of the change; a successor is paid from the month after (the right starts on the 1st
    of the next month, as for the old-age pension in Pasal 19; for survivors unconfirmed)."""
    last = month_start(effective)
    if pension.last_month is not None:
        return ChangeEffect(rejection="pension_ended")
    if last < add_months(pension.payroll_from, -1):
        return ChangeEffect(rejection="before_start")
    after = add_months(last, 1)
    if change == "PENSIONER_DIED" and pension.kind in OWN:
        return ChangeEffect(last, successor=successor_of(pension.kind, survivors, after, rules))
    if change in ("SURVIVOR_DIED", "SURVIVOR_REMARRIED") and pension.kind == "WIDOW_WIDOWER":
        known = survivors or pension.beneficiaries
        children = children_in_age(known, after, rules)
        return ChangeEffect(last, successor=Successor("CHILD", children) if children else None)
    if change == "SURVIVOR_DIED" and pension.kind == "PARENT":
        return ChangeEffect(last)
    if change == "CHILD_LEFT" and pension.kind == "CHILD":
        return _child_left(pension, child_name, last, after, rules)
    return ChangeEffect(rejection="not_applicable")


def _child_left(
    pension: Pension, child_name: str | None, last: date, after: date, rules: RuleSet
) -> ChangeEffect:
    """A child married, started work or died: the pension goes on for the others in age, and
    ends after this month when none is left."""
    wanted = _name(child_name or "")
    kept = tuple(b for b in pension.beneficiaries if _name(b.name) != wanted)
    if len(kept) == len(pension.beneficiaries):
        return ChangeEffect(rejection="unknown_child")
    if children_in_age(kept, after, rules):
        return ChangeEffect(beneficiaries=kept)
    return ChangeEffect(last, beneficiaries=kept)


def successor_pension(
    pension: Pension, successor: Successor, pension_id: str, from_month: date, rules: RuleSet
) -> Pension:
    """The successor as a pension: the same formula and base year, its own share, from the month
    after the change. Base = the predecessor's base × new share / old share, rounded half up."""
    old = share(pension.kind, from_month, rules)
    new = share(successor.kind, from_month, rules)
    return replace(
        pension,
        pension_id=pension_id,
        kind=successor.kind,
        base=to_rupiah(pension.base * new / old),
        payroll_from=month_start(from_month),
        last_month=None,
        beneficiaries=successor.beneficiaries,
    )


def _name(name: str) -> str:
    return " ".join(name.split()).casefold()
