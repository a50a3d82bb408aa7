"""JHT, old-age savings: payout grounds, waiting period, balance, tax (PP 46/2015 jo 60/2015)."""

from __future__ import annotations

from datetime import date

from services.rules import checks, heirs
from services.rules.balance import Flow, closing, credit
from services.rules.categories import Program
from services.rules.claims import JhtClaim, JhtGround, PriorClaim
from services.rules.coverage import Coverage
from services.rules.dates import add_months, add_years, age_on, month_start
from services.rules.decision import Check, Component, check, inputs
from services.rules.duplicates import PARTIAL_GROUNDS, approved_others, not_duplicate
from services.rules.money import percent_text, to_rupiah
from services.rules.outcome import Outcome, blocked
from services.rules.reasons import ReasonCode
from services.rules.standing import first_start
from services.rules.tables import RuleSet
from services.rules.tax import lump_sum_tax, progressive_tax

REG = "PP 46/2015 jo PP 60/2015; Permenaker 4/2022"
WAITING = frozenset({JhtGround.RESIGNATION, JhtGround.TERMINATION})
PARTIAL = {JhtGround.PARTIAL_10: "jht.partial_10.rate", JhtGround.PARTIAL_30: "jht.partial_30.rate"}


def flows(coverage: Coverage, prior: tuple[PriorClaim, ...], claim: JhtClaim) -> list[Flow]:
    """Contributions credited by the valuation date, less earlier JHT payouts."""
    paid = [
        Flow(month_start(c.period), amount)
        for c in coverage.contributions
        if c.paid_on <= claim.submitted_on and (amount := c.amount_for(Program.JHT))
    ]
    return paid + [
        Flow(month_start(p.event_date), -p.paid_amount)
        for p in approved_others(claim, prior)
        if p.program is Program.JHT and p.paid_amount
    ]


def jht_balance(
    coverage: Coverage, prior: tuple[PriorClaim, ...], claim: JhtClaim, rules: RuleSet
) -> int:
    """The balance on the valuation date (the submission date): contributions plus development
    at the yearly rate (PP 46/2015; crediting method of the BPJS Jamsostek Cell simulation, 2024:
    no regulation found)."""
    lines = credit(
        flows(coverage, prior, claim),
        claim.submitted_on,
        lambda year: rules.rate("jht.development_rate", date(year, 1, 1)),
    )
    return closing(lines)


def ground_checks(
    claim: JhtClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> tuple[Check, ...]:
    """Conditions of the payout ground (Permenaker 4/2022)."""
    day = claim.event_date
    if claim.ground is JhtGround.AGE_56:
        age, needed = age_on(coverage.birth_date, day), rules.amount("jht.age", day)
        return (
            check(
                "age_reached",
                age >= needed,
                f"age {age}, needs {needed}",
                ReasonCode.AGE_NOT_REACHED,
            ),
        )
    if claim.ground in WAITING:
        exit_date = claim.exit_date or day
        ready = add_months(exit_date, rules.amount("jht.waiting_months", day))
        return (
            check(
                "waiting_period_met",
                claim.submitted_on >= ready,
                f"exit {exit_date}, claimable from {ready}",
                ReasonCode.WAITING_PERIOD_NOT_MET,
            ),
        )
    if claim.ground in PARTIAL:
        return partial_checks(claim, coverage, prior, rules)
    if claim.ground is JhtGround.DEATH:
        return death_checks(claim, rules)
    return ()


def death_checks(claim: JhtClaim, rules: RuleSet) -> tuple[Check, ...]:
    """On death the balance goes to the heirs in statutory order (PP 46/2015 Pasal 26), so the
    payee must be one of them. With none, nothing is paid here: where the balance then goes was
    not found (unconfirmed), so the claim is rejected as no_eligible_heir."""
    entitled = heirs.entitled(claim.heirs, claim.event_date, rules)
    found: tuple[Check, ...] = (heirs.heir_check(claim.heirs, entitled),)
    if entitled:
        found += (heirs.payee_check(claim.payee, entitled, "heirs entitled in statutory order"),)
    return found


def partial_checks(
    claim: JhtClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> tuple[Check, ...]:
    """Partial withdrawal: still a member, ≥10 years of membership, once only (PP 60/2015)."""
    day, start = claim.event_date, first_start(coverage, Program.JHT) or claim.event_date
    years = rules.amount("jht.partial.min_membership_years", day)
    used = [
        p.claim_id
        for p in approved_others(claim, prior)
        if p.program is Program.JHT and p.kind in PARTIAL_GROUNDS
    ]
    return (
        checks.enrolled(coverage, Program.JHT, day),
        check(
            "minimum_membership_met",
            add_years(start, years) <= day,
            f"member since {start}, needs {years} years",
            ReasonCode.MINIMUM_MEMBERSHIP_NOT_MET,
        ),
        check(
            "partial_withdrawal_unused",
            not used,
            f"earlier partial withdrawals: {used}",
            ReasonCode.PARTIAL_WITHDRAWAL_USED,
        ),
    )


def payout(claim: JhtClaim, balance: int, rules: RuleSet) -> tuple[Component, ...]:
    """The whole balance less final tax, or 10% / 30% of it less Art. 17 tax."""
    day = claim.event_date
    if claim.ground in PARTIAL:
        rate = rules.rate(PARTIAL[claim.ground], day)
        amount = to_rupiah(rate * balance)
        part = Component(
            f"JHT_{claim.ground}",
            amount,
            f"{percent_text(rate)} × balance",
            REG,
            inputs(balance=balance, valued_on=claim.submitted_on),
        )
        return part, progressive_tax(amount, day, rules)
    whole = Component(
        "JHT_BALANCE",
        balance,
        "contributions + yearly development",
        REG,
        inputs(balance=balance, valued_on=claim.submitted_on, ground=claim.ground),
    )
    return whole, lump_sum_tax(balance, day, rules)


def evaluate(
    claim: JhtClaim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> Outcome:
    """JHT: a member with a balance and a payout ground whose conditions are met. With the
    employer in arrears BPJS still pays what was credited (no regulation found; news reports, S)."""
    balance = jht_balance(coverage, prior, claim, rules)
    found = (
        checks.ever_member(coverage, Program.JHT, claim.event_date),
        not_duplicate(claim, prior),
        *ground_checks(claim, coverage, prior, rules),
        check("balance_positive", balance > 0, f"balance {balance}", ReasonCode.NO_BALANCE),
    )
    if blocked(found):
        return Outcome(found)
    return Outcome(found, payout(claim, balance, rules))
