"""JKm, death not caused by a work accident: eligibility and benefits (PP 44/2015 jo 82/2019)."""

from __future__ import annotations

from datetime import date

from services.rules import checks, heirs
from services.rules.categories import Category
from services.rules.claims import Heir, JkmClaim, PriorClaim
from services.rules.coverage import Coverage
from services.rules.decision import Check, Component, PayableBy, check, inputs
from services.rules.duplicates import not_duplicate
from services.rules.outcome import Outcome, blocked
from services.rules.reasons import ReasonCode
from services.rules.scholarship import scholarships
from services.rules.standing import contribution_months, membership_months
from services.rules.tables import RuleSet

# PMI and Jakon pay per placement or project, not monthly, so their months of membership stand
# in for months of contributions (assumption, U).
PAID_PER_TERM = frozenset({Category.PMI, Category.JAKON})


def fixed(code: str, key: str, day: date, rules: RuleSet) -> Component:
    """A fixed JKm amount in force on the date of death (PP 82/2019 from 2 Dec 2019)."""
    row = rules.row(key, day)
    return Component(
        code,
        rules.amount(key, day),
        "fixed amount by date of death",
        row.regulation,
        inputs(date_of_death=day),
        row.confidence,
    )


def cash(
    claim: JkmClaim, category: Category, entitled: tuple[Heir, ...], rules: RuleSet
) -> tuple[Component, ...]:
    """Lump sum Rp20m + periodic Rp12m + funeral Rp10m (Rp16.2m + 4.8m + 3m before PP 82/2019);
    a PMI dying during placement gets Rp85m including both (Permenaker 4/2023). With no heir
    entitled in statutory order, only the funeral cost is paid, to whoever arranged the burial
    (PP 44/2015)."""
    day = claim.event_date
    if not entitled and rules.flag("jkm.no_heir_funeral_only", day):
        return (fixed("JKM_FUNERAL", "jkm.funeral", day, rules),)
    if category is Category.PMI and claim.during_placement:
        return (fixed("JKM_PMI_DURING_PLACEMENT", "jkm.pmi_during_placement", day, rules),)
    return (
        fixed("JKM_LUMP_SUM", "jkm.lump_sum", day, rules),
        fixed("JKM_PERIODIC", "jkm.periodic", day, rules),
        fixed("JKM_FUNERAL", "jkm.funeral", day, rules),
    )


def scholarship_months(coverage: Coverage, claim: JkmClaim) -> int:
    """Months counting towards the scholarship minimum."""
    if coverage.category in PAID_PER_TERM:
        return membership_months(coverage, claim.program, claim.event_date)
    return contribution_months(coverage, claim.program, claim.event_date)


def scholarship_check(coverage: Coverage, claim: JkmClaim, rules: RuleSet) -> Check:
    """Scholarship needs 3 years of contributions (PP 82/2019; 5 years before). Not met means
    no scholarship, not a rejection."""
    months = scholarship_months(coverage, claim)
    needed = rules.amount("jkm.scholarship.min_contribution_months", claim.event_date)
    return Check(
        "scholarship_minimum_contributions",
        months >= needed,
        f"{months} month(s) of contributions, scholarship needs {needed}",
    )


def consistent(claim: JkmClaim, coverage: Coverage) -> Check:
    """Only a PMI can die 'during placement'."""
    ok = not claim.during_placement or coverage.category is Category.PMI
    return check(
        "claim_consistent",
        ok,
        "during_placement only for PMI" if not ok else "consistent",
        ReasonCode.INVALID_CLAIM,
    )


def evaluate(
    claim: JkmClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> Outcome:
    """JKm: covered on the date of death, not already paid as JKm or JKK death."""
    day = claim.event_date
    arrears, payer = checks.employer_arrears(
        coverage, claim.program, day, rules, "jkm.employer_first.after_arrears_months"
    )
    if not rules.flag("jkm.employer_first.applies", day):
        arrears = Check("employer_arrears", True, "JKm employer-first rule switched off")
        payer = PayableBy.BPJS
    school = scholarship_check(coverage, claim, rules)
    entitled = heirs.entitled(claim.heirs, day, rules)
    found: tuple[Check, ...] = (
        checks.enrolled(coverage, claim.program, day),
        checks.not_lapsed(coverage, claim.program, day, rules),
        not_duplicate(claim, prior),
        consistent(claim, coverage),
        arrears,
        school,
        Check("eligible_heir", bool(entitled), heirs.describe(claim.heirs, entitled)),
    )
    if entitled:  # without one, the funeral cost goes to whoever arranged the burial
        found += (heirs.payee_check(claim.payee, entitled, "heirs entitled in statutory order"),)
    if blocked(found):
        return Outcome(found)
    grants = scholarships("JKM", claim.children, day, rules) if school.passed and entitled else ()
    return Outcome(found, cash(claim, coverage.category, entitled, rules) + grants, payer)
