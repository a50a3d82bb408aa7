"""JP pension: old age, disability, survivors, or a lump sum (PP 45/2015; Permenaker 29/2015)."""

from __future__ import annotations

from fractions import Fraction

from services.rules import checks, heirs
from services.rules.claims import Heir, HeirRelation, JpClaim, PensionKind, PriorClaim
from services.rules.coverage import Coverage
from services.rules.dates import add_months, age_on
from services.rules.decision import Check, Component, check, inputs
from services.rules.duplicates import not_duplicate
from services.rules.jp_formula import average_indexed_wage, lump_sum, monthly_pension
from services.rules.money import percent_text, to_rupiah
from services.rules.outcome import Outcome, blocked
from services.rules.reasons import ReasonCode
from services.rules.standing import contribution_months, first_start, membership_months
from services.rules.tables import Confidence, RuleSet

REG = "PP 45/2015 Pasal 15-20; Permenaker 29/2015 Pasal 26"
SURVIVORS = frozenset({PensionKind.WIDOW_WIDOWER, PensionKind.CHILD, PensionKind.PARENT})


def kind_check(claim: JpClaim, coverage: Coverage, rules: RuleSet) -> Check:
    """Old age needs the retirement age in force that year; disability comes before it
    (Pasal 15-16). Survivor pensions have no age condition."""
    day = claim.event_date
    age, retirement = age_on(coverage.birth_date, day), rules.amount("jp.retirement_age", day)
    if claim.kind is PensionKind.OLD_AGE:
        return check(
            "retirement_age_reached",
            age >= retirement,
            f"age {age}, retirement age {retirement}",
            ReasonCode.AGE_NOT_REACHED,
        )
    if claim.kind is PensionKind.DISABILITY:
        return check(
            "before_retirement_age",
            age < retirement,
            f"age {age}, retirement age {retirement}",
            ReasonCode.INVALID_CLAIM,
        )
    return Check("survivor_pension", True, f"{claim.kind} has no age condition")


# Who each survivor pension is for, and who must be absent (PP 45/2015 Pasal 16): the widow or
# widower; up to two children when there is no widow or widower (or after one remarried or died);
# a parent of a participant with neither spouse nor child.
SURVIVOR_OF: dict[PensionKind, tuple[HeirRelation, frozenset[HeirRelation]]] = {
    PensionKind.WIDOW_WIDOWER: (HeirRelation.SPOUSE, frozenset()),
    PensionKind.CHILD: (HeirRelation.CHILD, frozenset({HeirRelation.SPOUSE})),
    PensionKind.PARENT: (
        HeirRelation.PARENT,
        frozenset({HeirRelation.SPOUSE, HeirRelation.CHILD}),
    ),
}


def survivors(claim: JpClaim, rules: RuleSet) -> tuple[Heir, ...]:
    """The survivors the claimed pension is for (children: at most ``jp.max_children``)."""
    relation, before = SURVIVOR_OF[claim.kind]
    if any(h.relation in before for h in claim.heirs):
        return ()
    found = tuple(h for h in claim.heirs if h.relation is relation)
    if relation is HeirRelation.CHILD:
        return found[: rules.amount("jp.max_children", claim.event_date)]
    return found


def survivor_checks(claim: JpClaim, rules: RuleSet) -> tuple[Check, ...]:
    """A survivor pension needs its survivor named in the claim, and pays only that survivor."""
    relation, before = SURVIVOR_OF[claim.kind]
    chosen = survivors(claim, rules)
    named = "/".join(sorted({h.relation.value for h in claim.heirs})) or "none"
    ahead = "/".join(sorted(before))
    found: tuple[Check, ...] = (
        check(
            "survivor_named",
            bool(chosen),
            f"{claim.kind} pension for {relation}: named {named}"
            + (f" ({ahead} comes first)" if ahead and not chosen else ""),
            ReasonCode.NO_ELIGIBLE_HEIR,
        ),
    )
    if chosen:
        found += (heirs.payee_check(claim.payee, chosen, f"{relation} survivors"),)
    return found


def imputed_months(claim: JpClaim, coverage: Coverage, months: int, rules: RuleSet) -> int | None:
    """Months the pension is computed on: actual months if ≥180; for disability and survivors
    180 when membership (1 month / 1 year) and density (≥80%) conditions hold; else None, which
    means a lump sum (Pasal 19-20; Permenaker 29/2015 Pasal 26)."""
    day, full = claim.event_date, rules.amount("jp.full_pension_months", claim.event_date)
    if months >= full:
        return months
    if claim.kind is PensionKind.OLD_AGE:
        return None
    key = "jp.disability" if claim.kind is PensionKind.DISABILITY else "jp.survivor"
    start = first_start(coverage, claim.program) or day
    member_long_enough = add_months(start, rules.amount(f"{key}.min_membership_months", day)) <= day
    held = membership_months(coverage, claim.program, day)
    dense = held > 0 and Fraction(months, held) >= rules.rate("jp.density_min", day)
    return full if member_long_enough and dense else None


def pension(claim: JpClaim, coverage: Coverage, months: int, rules: RuleSet) -> Component:
    """Monthly pension: 1% × months/12 × average indexed wage × survivor share, clamped to the
    year's min/max. ``total`` carries the first monthly payment."""
    day = claim.event_date
    share, conf = Fraction(1), Confidence.CONFIRMED
    if claim.kind in SURVIVORS:
        share = rules.rate(f"jp.share.{claim.kind}", day)
        conf = rules.row(f"jp.share.{claim.kind}", day).confidence
    average = average_indexed_wage(coverage, day, rules)
    raw, amount = monthly_pension(months, average, share, day, rules)
    accrual = percent_text(rules.rate("jp.accrual_rate", day))
    return Component(
        f"JP_{claim.kind}_MONTHLY",
        amount,
        f"clamp({accrual} × months/12 × average indexed wage × share, min, max) per month",
        REG,
        inputs(months=months, average_indexed_wage=to_rupiah(average), share=share, unclamped=raw),
        conf,
    )


def evaluate(
    claim: JpClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> Outcome:
    """JP: a member; disability needs coverage on the event date; then a pension or, below the
    conditions, a lump sum (a different benefit, not a rejection)."""
    day = claim.event_date
    found: tuple[Check, ...] = (
        checks.ever_member(coverage, claim.program, day),
        not_duplicate(claim, prior),
        kind_check(claim, coverage, rules),
    )
    if claim.kind is PensionKind.DISABILITY:
        found += (checks.enrolled(coverage, claim.program, day),)
    if claim.kind in SURVIVORS:
        found += survivor_checks(claim, rules)
    months = contribution_months(coverage, claim.program, day)
    basis = imputed_months(claim, coverage, months, rules)
    if basis is not None:
        found += (Check("monthly_pension", True, f"{months} month(s) paid; computed on {basis}"),)
        return (
            Outcome(found)
            if blocked(found)
            else Outcome(found, (pension(claim, coverage, basis, rules),))
        )
    amount = lump_sum(coverage, day, claim.submitted_on, rules)
    found += (
        Check("monthly_pension", False, f"{months} month(s) paid: lump sum instead"),
        check("balance_positive", amount > 0, f"lump sum {amount}", ReasonCode.NO_BALANCE),
    )
    if blocked(found):
        return Outcome(found)
    return Outcome(
        found,
        (
            Component(
                "JP_LUMP_SUM",
                amount,
                "JP contributions + development",
                REG,
                inputs(months=months, valued_on=claim.submitted_on),
                Confidence.UNCONFIRMED,
            ),
        ),
    )
