"""Duplicate claims: one event claimed twice, or JKK death and JKm death for one person."""

from __future__ import annotations

from collections.abc import Iterable

from services.rules.categories import Program
from services.rules.claims import (
    AccidentOutcome,
    Claim,
    JhtClaim,
    JkkClaim,
    JkmClaim,
    JpClaim,
    PriorClaim,
)
from services.rules.decision import Check, check
from services.rules.reasons import ReasonCode

DEATH = "DEATH"
PARTIAL_GROUNDS = frozenset({"PARTIAL_10", "PARTIAL_30"})


def approved_others(claim: Claim, prior: Iterable[PriorClaim]) -> tuple[PriorClaim, ...]:
    """Approved prior claims other than this one (re-assessing a claim gives the same answer)."""
    return tuple(p for p in prior if p.approved and p.claim_id != claim.claim_id)


def _is_death(p: PriorClaim) -> bool:
    return p.program is Program.JKM or (p.program is Program.JKK and p.kind == DEATH)


def _clashes(claim: Claim, p: PriorClaim) -> bool:
    if isinstance(claim, JkmClaim):
        return _is_death(p)
    if isinstance(claim, JkkClaim) and claim.outcome is AccidentOutcome.DEATH and _is_death(p):
        return True
    same_kind = p.program is claim.program and p.kind == _kind(claim)
    if isinstance(claim, JkkClaim | JhtClaim):
        return same_kind and p.event_date == claim.event_date
    return same_kind  # a JP pension of one kind starts once


def _kind(claim: JhtClaim | JkkClaim | JpClaim) -> str:
    if isinstance(claim, JhtClaim):
        return claim.ground.value
    if isinstance(claim, JkkClaim):
        return claim.outcome.value
    return claim.kind.value


def not_duplicate(claim: Claim, prior: Iterable[PriorClaim]) -> Check:
    """No approved claim for the same event; JKK death and JKm death exclude each other
    (PP 44/2015: JKm is for death not caused by a work accident)."""
    clashes = [p.claim_id for p in approved_others(claim, prior) if _clashes(claim, p)]
    return check(
        "not_duplicate",
        not clashes,
        f"clashes with approved claim(s) {', '.join(clashes)}"
        if clashes
        else "no approved claim for the same event",
        ReasonCode.DUPLICATE_CLAIM,
    )
