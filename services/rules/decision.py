"""Decisions as values: Approved or Rejected, each with the provenance that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.rules.categories import Program
from services.rules.reasons import ReasonCode
from services.rules.tables import Confidence


class PayableBy(StrEnum):
    """Who pays first: BPJS, or the employer in arrears >3 months (PP 44/2015)."""

    BPJS = "BPJS"
    EMPLOYER_FIRST = "EMPLOYER_FIRST"


@dataclass(frozen=True)
class Check:
    """One eligibility check; a failed check with a reason rejects the claim.

    A failed check without a reason is informational (e.g. employer arrears, under-reported wage).
    """

    name: str
    passed: bool
    detail: str
    reason: ReasonCode | None = None


@dataclass(frozen=True)
class Component:
    """One benefit line: amount in whole Rupiah (negative for a deduction such as tax)."""

    code: str
    amount: int
    formula: str
    regulation: str
    inputs: tuple[tuple[str, str], ...] = ()
    confidence: Confidence = Confidence.CONFIRMED


@dataclass(frozen=True)
class Provenance:
    """What the decision rests on: rule-set version, rules date, checks and components."""

    rule_set_version: str
    rules_date: date
    checks: tuple[Check, ...]
    components: tuple[Component, ...] = ()


@dataclass(frozen=True)
class Approved:
    """An approved claim: ``total`` is the net amount (benefits minus deductions)."""

    claim_id: str
    program: Program
    total: int
    payable_by: PayableBy
    provenance: Provenance
    employer_shortfall: tuple[Component, ...] = ()
    """Benefit the employer owes because it reported a lower wage than the true one (PP 44/2015:
    BPJS pays on the reported wage, the employer the rest), one line per component."""

    @property
    def components(self) -> tuple[Component, ...]:
        """The benefit lines that add up to ``total``."""
        return self.provenance.components


@dataclass(frozen=True)
class Rejected:
    """A rejected claim with its stable reason codes (see reasons.ReasonCode)."""

    claim_id: str
    program: Program
    reasons: tuple[ReasonCode, ...]
    provenance: Provenance


Decision = Approved | Rejected


def inputs(**values: object) -> tuple[tuple[str, str], ...]:
    """Formula inputs as sorted (name, text) pairs, the shape of the Avro map<string>."""
    return tuple(sorted((name, str(value)) for name, value in values.items()))


def check(name: str, passed: bool, detail: str, reason: ReasonCode) -> Check:
    """A blocking check: if it fails, the claim is rejected with ``reason``."""
    return Check(name, passed, detail, None if passed else reason)
