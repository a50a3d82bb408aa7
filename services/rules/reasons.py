"""Stable reason codes for rejected claims; the strings are a contract with other teams."""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a claim was rejected. Values never change; add new members, never rename."""

    NOT_ENROLLED = "not_enrolled"
    """Not registered in the claimed program on the event date (or coverage had ended)."""
    COVERAGE_LAPSED = "coverage_lapsed"
    """Registered, but contributions were not paid: a BPU unpaid for more than 3 months, or a
    sponsor-funded period that ended without renewal."""
    WAITING_PERIOD_NOT_MET = "waiting_period_not_met"
    """JHT on resignation/termination submitted before 1 month after the exit date."""
    MINIMUM_MEMBERSHIP_NOT_MET = "minimum_membership_not_met"
    """JHT partial withdrawal with less than 10 years of membership."""
    AGE_NOT_REACHED = "age_not_reached"
    """JHT AGE_56 before 56, or JP old-age pension before the retirement age in force."""
    CLAIM_EXPIRED = "claim_expired"
    """JKK submitted more than 5 years (2 before PP 82/2019) after the accident."""
    DUPLICATE_CLAIM = "duplicate_claim"
    """The same event was already approved, or JKK death and JKm death for one person."""
    CATEGORY_NOT_ENTITLED = "category_not_entitled"
    """The participant's category may not hold the program (e.g. BPU claiming JP)."""
    PARTIAL_WITHDRAWAL_USED = "partial_withdrawal_used"
    """A JHT partial withdrawal (10% or 30%) was already approved; it is allowed once."""
    NO_BALANCE = "no_balance"
    """JHT or JP lump sum with nothing credited: no contributions were ever paid."""
    INVALID_CLAIM = "invalid_claim"
    """Inconsistent input, e.g. disabilities listed for a RECOVERED outcome, a negative cost,
    an unknown disability code, a non-PMI claiming death during placement."""
    NO_ELIGIBLE_HEIR = "no_eligible_heir"
    """A death or survivor claim with no heir of the kind the benefit needs: a JHT death with no
    statutory heir, a JP survivor pension without the spouse, child or parent it is for."""
    PAYEE_NOT_BENEFICIARY = "payee_not_beneficiary"
    """The payee is not one of the heirs entitled in statutory order (or the survivors a JP
    pension is for)."""
    OUT_OF_SCOPE = "out_of_scope"
    """Event before 1 July 2015: the pre-PP 44/45/46 (Jamsostek) regime is not modelled."""
