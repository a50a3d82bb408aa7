"""The one entry point: judge a claim by the rules in force on its event date."""

from __future__ import annotations

from services.rules import checks, jht, jkk, jkm, jp
from services.rules.claims import Claim, JhtClaim, JkkClaim, JkmClaim, PriorClaim
from services.rules.coverage import Coverage
from services.rules.decision import Approved, Decision, Provenance, Rejected
from services.rules.defaults import default_rules
from services.rules.outcome import Outcome, blocked
from services.rules.tables import RuleSet


def evaluate(
    claim: Claim, coverage: Coverage, prior: tuple[PriorClaim, ...], rules: RuleSet
) -> Outcome:
    """Dispatch to the program's rules."""
    if isinstance(claim, JhtClaim):
        return jht.evaluate(claim, coverage, prior, rules)
    if isinstance(claim, JkkClaim):
        return jkk.evaluate(claim, coverage, prior, rules)
    if isinstance(claim, JkmClaim):
        return jkm.evaluate(claim, coverage, prior, rules)
    return jp.evaluate(claim, coverage, prior, rules)


def assess(
    claim: Claim,
    coverage: Coverage,
    prior_claims: tuple[PriorClaim, ...] = (),
    rules: RuleSet | None = None,
) -> Decision:
    """Approve or reject a claim; deterministic: same inputs, same decision, no clock."""
    rules = rules or default_rules()
    gate = (checks.in_scope(claim.event_date), checks.entitled(coverage.category, claim.program))
    outcome = Outcome(()) if blocked(gate) else evaluate(claim, coverage, prior_claims, rules)
    found = gate + outcome.checks
    provenance = Provenance(rules.version, claim.event_date, found, outcome.components)
    if blocked(found):
        reasons = tuple(dict.fromkeys(c.reason for c in found if c.reason is not None))
        return Rejected(claim.claim_id, claim.program, reasons, provenance)
    total = sum(c.amount for c in outcome.components)
    return Approved(
        claim.claim_id,
        claim.program,
        total,
        outcome.payable_by,
        provenance,
        outcome.employer_shortfall,
    )
