"""JKK, work accident and occupational disease: eligibility and benefits (PP 44/2015 jo 82/2019)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.rules import checks, heirs
from services.rules.claims import AccidentOutcome, JkkClaim, PriorClaim, TransportMode
from services.rules.coverage import Coverage
from services.rules.dates import add_years, month_start
from services.rules.decision import Check, Component, check, inputs
from services.rules.duplicates import not_duplicate
from services.rules.jkk_disability import item_problems, partial_disability
from services.rules.money import percent_text, to_rupiah
from services.rules.outcome import Outcome, blocked
from services.rules.reasons import ReasonCode
from services.rules.scholarship import scholarships
from services.rules.tables import RuleSet

REG = "PP 44/2015 jo PP 82/2019"


def not_expired(claim: JkkClaim, rules: RuleSet) -> Check:
    """The right to claim expires 5 years after the accident (PP 82/2019 Pasal 26; 2 before)."""
    years = rules.amount("jkk.expiry_years", claim.event_date)
    last_day = add_years(claim.event_date, years)
    return check(
        "claim_not_expired",
        claim.submitted_on <= last_day,
        f"submitted {claim.submitted_on}, expiry after {last_day} ({years} years)",
        ReasonCode.CLAIM_EXPIRED,
    )


def consistent(claim: JkkClaim, rules: RuleSet) -> Check:
    """Input that cannot be priced or contradicts itself is rejected as invalid_claim."""
    partial = claim.outcome is AccidentOutcome.PARTIAL_DISABILITY
    problems = [
        text
        for bad, text in (
            (
                min(
                    claim.wage,
                    claim.medical_costs,
                    claim.incapacity_days,
                    *(t.amount for t in claim.transport),
                )
                < 0,
                "negative wage, cost or days",
            ),
            (partial and not claim.disabilities, "partial disability without disability items"),
            (not partial and bool(claim.disabilities), f"disability items with {claim.outcome}"),
            (claim.reported_stage1_on < claim.event_date, "tahap I report before the accident"),
            (
                claim.reported_stage2_on is not None
                and claim.reported_stage2_on < claim.reported_stage1_on,
                "tahap II before tahap I",
            ),
        )
        if bad
    ]
    problems += item_problems(claim.disabilities, rules)
    return check(
        "claim_consistent",
        not problems,
        "; ".join(problems) or "consistent",
        ReasonCode.INVALID_CLAIM,
    )


def benefit_wage(claim: JkkClaim, coverage: Coverage) -> tuple[int, Check]:
    """Benefits use the wage reported to BPJS; the employer owes any shortfall (PP 44/2015)."""
    month = month_start(claim.event_date)
    reported = [c for c in coverage.contributions if month_start(c.period) <= month]
    wage = max(reported, key=lambda c: c.period).wage_base if reported else coverage.declared_wage
    if wage <= 0 or claim.wage <= wage:
        return claim.wage, Check("wage_as_reported", True, f"wage {claim.wage} as reported")
    return wage, Check(
        "wage_as_reported",
        False,
        f"claimed wage {claim.wage} above reported {wage}: employer owes the gap",
    )


def medical(claim: JkkClaim) -> Component:
    """Medical care as billed, without a cost cap (PP 44/2015 jo PP 82/2019)."""
    return Component(
        "JKK_MEDICAL",
        claim.medical_costs,
        "as billed, no cap",
        REG,
        inputs(medical_costs=claim.medical_costs),
    )


def transport(claim: JkkClaim, mode: TransportMode, rules: RuleSet) -> Component:
    """Transport per mode, capped: land Rp5m, sea Rp2m, air Rp10m (PP 82/2019)."""
    spent = sum(t.amount for t in claim.transport if t.mode is mode)
    key = f"jkk.transport_cap.{mode}"
    cap = rules.amount(key, claim.event_date)
    return Component(
        f"JKK_TRANSPORT_{mode}",
        min(spent, cap),
        "min(spent, cap)",
        REG,
        inputs(spent=spent, cap=cap),
        rules.row(key, claim.event_date).confidence,
    )


def stmb(days: int, wage: int, day: date, rules: RuleSet) -> Component:
    """Temporary incapacity (STMB): 100% of wage for 12 months, then 50% until recovery
    (PP 82/2019). Convention: a month is 30 days, so 360 days at 100%; rounded half up once."""
    per_month = rules.amount("jkk.stmb.days_per_month", day)
    full_pay_days = rules.amount("jkk.stmb.full_pay_days", day)
    full_rate, later_rate = (
        rules.rate("jkk.stmb.full_rate", day),
        rules.rate("jkk.stmb.later_rate", day),
    )
    full_days = min(days, full_pay_days)
    later_days = days - full_days
    amount = (
        Fraction(wage * full_days, per_month) * full_rate
        + Fraction(wage * later_days, per_month) * later_rate
    )
    return Component(
        "JKK_STMB",
        to_rupiah(amount),
        f"wage/{per_month} × (days ≤ {full_pay_days} × {percent_text(full_rate)}"
        f" + days > {full_pay_days} × {percent_text(later_rate)})",
        REG,
        inputs(wage=wage, full_days=full_days, later_days=later_days),
    )


def total_disability(wage: int, day: date, rules: RuleSet) -> Component:
    """Total permanent disability: 70% × 80 × wage = 56 × wage (PP 44/2015 jo PP 82/2019)."""
    rate, months = (
        rules.rate("jkk.total_disability.rate", day),
        rules.amount("jkk.months_multiplier", day),
    )
    return Component(
        "JKK_TOTAL_DISABILITY",
        to_rupiah(rate * months * wage),
        f"{percent_text(rate)} × {months} × wage",
        REG,
        inputs(wage=wage),
    )


def death(wage: int, day: date, rules: RuleSet) -> Component:
    """Death from a work accident: 60% × 80 × wage = 48 × wage (PP 44/2015 jo PP 82/2019),
    reportedly never less than the JKm lump sum (S)."""
    rate, months = rules.rate("jkk.death.rate", day), rules.amount("jkk.months_multiplier", day)
    formula = to_rupiah(rate * months * wage)
    at_least_jkm = rules.flag("jkk.death.at_least_jkm_lump_sum", day)
    floor = rules.amount("jkm.lump_sum", day) if at_least_jkm else 0
    text = f"{percent_text(rate)} × {months} × wage"
    return Component(
        "JKK_DEATH",
        max(formula, floor),
        f"max({text}, JKm lump sum)" if at_least_jkm else text,
        REG,
        inputs(wage=wage, formula_amount=formula, floor=floor),
    )


def fixed(code: str, key: str, day: date, rules: RuleSet) -> Component:
    """A fixed amount from a dated table (funeral Rp10m, periodic Rp12m since PP 82/2019)."""
    row = rules.row(key, day)
    return Component(
        code, rules.amount(key, day), "fixed amount", row.regulation, (), row.confidence
    )


def benefits(claim: JkkClaim, wage: int, rules: RuleSet) -> tuple[Component, ...]:
    """The components for the outcome the doctor declared."""
    day, out = claim.event_date, claim.outcome
    parts = [medical(claim)] if claim.medical_costs else []
    parts += [
        transport(claim, m, rules)
        for m in TransportMode
        if any(t.mode is m for t in claim.transport)
    ]
    parts += [stmb(claim.incapacity_days, wage, day, rules)] if claim.incapacity_days else []
    if out is AccidentOutcome.PARTIAL_DISABILITY:
        parts.append(partial_disability(claim.disabilities, claim.left_handed, wage, day, rules))
    if out is AccidentOutcome.TOTAL_DISABILITY:
        parts.append(total_disability(wage, day, rules))
    if out is AccidentOutcome.DEATH:
        parts += [death(wage, day, rules), fixed("JKK_FUNERAL", "jkk.funeral", day, rules)]
    if out in (AccidentOutcome.TOTAL_DISABILITY, AccidentOutcome.DEATH):
        parts.append(fixed("JKK_PERIODIC", "jkk.periodic", day, rules))
        parts += scholarships("JKK", claim.children, day, rules)
    return tuple(parts)


def evaluate(
    claim: JkkClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> Outcome:
    """JKK: covered on the accident date, not expired, not a duplicate, consistent input; on a
    death, paid to the heirs in statutory order, or only the funeral cost without one."""
    day = claim.event_date
    arrears, payer = checks.employer_arrears(
        coverage, claim.program, day, rules, "jkk.employer_first.after_arrears_months"
    )
    wage, wage_check = benefit_wage(claim, coverage)
    found: tuple[Check, ...] = (
        checks.enrolled(coverage, claim.program, day),
        checks.not_lapsed(coverage, claim.program, day, rules),
        not_expired(claim, rules),
        not_duplicate(claim, prior),
        consistent(claim, rules),
        arrears,
        wage_check,
    )
    funeral_only = False
    if claim.outcome is AccidentOutcome.DEATH:
        entitled = heirs.entitled(claim.heirs, day, rules)
        funeral_only = not entitled and rules.flag("jkk.death.no_heir_funeral_only", day)
        found += (
            (
                Check("eligible_heir", True, heirs.describe(claim.heirs, entitled)),
                heirs.payee_check(claim.payee, entitled, "heirs entitled in statutory order"),
            )
            if entitled
            else (Check("eligible_heir", False, no_heir_text(claim, funeral_only)),)
        )
    if blocked(found):
        return Outcome(found)
    if funeral_only:  # the rest stays in the fund: nothing for the employer to make up either
        return Outcome(found, (fixed("JKK_FUNERAL", "jkk.funeral", day, rules),), payer)
    paid = benefits(claim, wage, rules)
    owed = (
        shortfall(paid, benefits(claim, claim.wage, rules), claim.wage, wage)
        if not wage_check.passed
        else ()
    )
    return Outcome(found, paid, payer, owed)


def no_heir_text(claim: JkkClaim, funeral_only: bool) -> str:
    found = heirs.describe(claim.heirs, ())
    if not funeral_only:
        return f"{found} (jkk.death.no_heir_funeral_only is off: paid in full)"
    return (
        f"{found}: only the funeral cost is paid, to whoever arranged the burial; the rest"
        " stays in the fund (PP 44/2015)"
    )


def shortfall(
    reported: tuple[Component, ...], true: tuple[Component, ...], true_wage: int, wage: int
) -> tuple[Component, ...]:
    """The employer's liability for an under-reported wage (PP 44/2015; BPJS Director E. Ilyas
    Lubis, IDN Times): per component, the benefit on the true wage less the benefit BPJS pays on
    the reported one. Components that do not depend on the wage (medical care, transport,
    funeral, scholarships) differ by nothing and are left out."""
    paid = {c.code: c.amount for c in reported}
    return tuple(
        Component(
            c.code,
            c.amount - paid.get(c.code, 0),
            "benefit on the true wage − benefit on the reported wage",
            "PP 44/2015 (employer liable for an under-reported wage)",
            inputs(true_wage=true_wage, reported_wage=wage),
        )
        for c in true
        if c.amount > paid.get(c.code, 0)
    )
