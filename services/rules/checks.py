"""Eligibility checks shared by all programs (PP 44/2015, 45/2015, 46/2015)."""

from __future__ import annotations

from datetime import date

from services.rules.categories import Category, Program, may_hold
from services.rules.coverage import Coverage
from services.rules.decision import Check, PayableBy, check
from services.rules.defaults.benefits import REGIME_START
from services.rules.reasons import ReasonCode
from services.rules.standing import (
    arrears_months,
    enrolled_on,
    first_start,
    last_paid_is_sponsored,
    unpaid_months_before,
)
from services.rules.tables import RuleSet


def in_scope(day: date) -> Check:
    """Events from 1 July 2015 (PP 44/45/46 of 2015); the Jamsostek regime is not modelled."""
    return check(
        "event_in_scope",
        day >= REGIME_START,
        f"event {day} vs regime start {REGIME_START}",
        ReasonCode.OUT_OF_SCOPE,
    )


def entitled(category: Category, program: Program) -> Check:
    """The category may hold the program (PP 45/2015: no JP for BPU; Jakon Permenaker 44/2015;
    PMI Permenaker 4/2023)."""
    return check(
        "category_entitled",
        may_hold(category, program),
        f"{category} may hold {program}",
        ReasonCode.CATEGORY_NOT_ENTITLED,
    )


def enrolled(coverage: Coverage, program: Program, day: date) -> Check:
    """Registered in the program and covered on the event date (PP 44/2015; PP 45/2015)."""
    return check(
        "enrolled_on_event_date",
        enrolled_on(coverage, program, day),
        f"{program} enrollment covers {day}",
        ReasonCode.NOT_ENROLLED,
    )


def ever_member(coverage: Coverage, program: Program, day: date) -> Check:
    """A member of a savings program (JHT, JP) at some time up to the event date."""
    start = first_start(coverage, program)
    return check(
        "member_by_event_date",
        start is not None and start <= day,
        f"first {program} enrollment {start} on or before {day}",
        ReasonCode.NOT_ENROLLED,
    )


def not_lapsed(coverage: Coverage, program: Program, day: date, rules: RuleSet) -> Check:
    """A BPU is covered while no more than 3 months are unpaid; sponsored coverage ends with the
    funded period unless renewed (PP 44/2015; BPJS branch statements, S: no regulation found)."""
    if coverage.category is not Category.BPU:
        return Check("coverage_active", True, "lapse rule applies to BPU only")
    paid_by = None if rules.flag("bpu.payment_after_event_counts", day) else day
    unpaid = unpaid_months_before(coverage, program, day, paid_by)
    sponsored = last_paid_is_sponsored(coverage, program, day, paid_by)
    allowed = 0 if sponsored else rules.amount("bpu.lapse_after_unpaid_months", day)
    active = unpaid is not None and unpaid <= allowed
    detail = (
        f"{unpaid} unpaid month(s) since the last paid month; allowed {allowed}"
        f"{' (sponsor-funded period ended)' if sponsored else ''}"
    )
    return check(
        "coverage_active",
        active,
        detail if unpaid is not None else "nothing paid",
        ReasonCode.COVERAGE_LAPSED,
    )


def employer_arrears(
    coverage: Coverage, program: Program, day: date, rules: RuleSet, limit_key: str
) -> tuple[Check, PayableBy]:
    """PU employer arrears: up to 3 months BPJS pays; beyond, the employer pays first and BPJS
    reimburses after arrears and penalties are settled (PP 44/2015; BPJS statement)."""
    if coverage.category is not Category.PU:
        return Check("employer_arrears", True, "arrears rule applies to PU only"), PayableBy.BPJS
    months = arrears_months(coverage, program, day)
    limit = rules.amount(limit_key, day)
    within = months <= limit
    detail = f"{months} month(s) of {program} contributions in arrears on {day}; limit {limit}" + (
        "" if within else ": employer pays the benefit first, BPJS reimburses later"
    )
    return (
        Check("employer_arrears", within, detail),
        PayableBy.BPJS if within else PayableBy.EMPLOYER_FIRST,
    )
