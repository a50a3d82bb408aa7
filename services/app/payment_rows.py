"""Rows of the payment follow-ups: a payment result, a branch's account correction, and what
applying each did to its settlement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PaymentResultRow:
    event_id: str
    instruction_id: str
    claim_id: str
    status: str
    paid_on: date | None
    failure_reason: str | None


@dataclass(frozen=True)
class AccountCorrectionRow:
    """A branch's PaymentAccountCorrected: the claim and its new payee (validated at intake)."""

    event_id: str
    occurred_at: datetime
    source: str
    claim_id: str
    payee: dict[str, str]
    reason: str


@dataclass(frozen=True)
class CorrectionOutcome:
    """What a correction did: re-issued an instruction (its id), or was rejected (a code of
    services/app/followups.REJECTIONS)."""

    claim_id: str
    program: str | None
    reissued: str | None
    rejection: str | None


@dataclass(frozen=True)
class PaymentOutcome:
    """What applying a payment result did to its settlement (for metrics)."""

    claim_id: str
    program: str
    status: str
    days_late: int
    late_interest: int
    interest_instruction: str | None = None  # the late interest's instruction, issued now
