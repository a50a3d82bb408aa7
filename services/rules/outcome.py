"""What a program's evaluation returns to ``assess``: checks, components and the payer."""

from __future__ import annotations

from dataclasses import dataclass

from services.rules.decision import Check, Component, PayableBy


@dataclass(frozen=True)
class Outcome:
    """Checks made, and (if none blocks) the benefit components and who pays first."""

    checks: tuple[Check, ...]
    components: tuple[Component, ...] = ()
    payable_by: PayableBy = PayableBy.BPJS
    employer_shortfall: tuple[Component, ...] = ()
    """What the employer owes on top (JKK on an under-reported wage: each line's difference)."""


def blocked(checks: tuple[Check, ...]) -> bool:
    """Whether any check failed with a reason (and so rejects the claim)."""
    return any(c.reason is not None for c in checks)
