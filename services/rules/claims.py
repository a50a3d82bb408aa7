"""Claims as the rules see them: one frozen dataclass per program, mirroring ClaimSubmitted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.rules.categories import Program


class JhtGround(StrEnum):
    """JHT payout ground (Permenaker 4/2022; PP 60/2015)."""

    AGE_56 = "AGE_56"
    RESIGNATION = "RESIGNATION"
    TERMINATION = "TERMINATION"
    CONTRACT_END = "CONTRACT_END"
    LEFT_INDONESIA = "LEFT_INDONESIA"
    TOTAL_DISABILITY = "TOTAL_DISABILITY"
    DEATH = "DEATH"
    PARTIAL_10 = "PARTIAL_10"
    PARTIAL_30 = "PARTIAL_30"


class AccidentType(StrEnum):
    """JKK event type (PP 44/2015 jo PP 82/2019; Permenaker 1/2025 adds VIOLENCE)."""

    WORKPLACE = "WORKPLACE"
    COMMUTING = "COMMUTING"
    WORK_TRAVEL = "WORK_TRAVEL"
    OCCUPATIONAL_DISEASE = "OCCUPATIONAL_DISEASE"
    VIOLENCE = "VIOLENCE"


class TransportMode(StrEnum):
    """Transport mode; each has its own cap."""

    LAND = "LAND"
    SEA = "SEA"
    AIR = "AIR"


class AccidentOutcome(StrEnum):
    """What the doctor declared at the tahap II report."""

    RECOVERED = "RECOVERED"
    PARTIAL_DISABILITY = "PARTIAL_DISABILITY"
    TOTAL_DISABILITY = "TOTAL_DISABILITY"
    DEATH = "DEATH"


class SchoolLevel(StrEnum):
    """A child's current school level, for scholarships."""

    NONE = "NONE"
    TK = "TK"
    SD = "SD"
    SMP = "SMP"
    SMA = "SMA"
    UNIVERSITY = "UNIVERSITY"


class HeirRelation(StrEnum):
    """An heir's relation to the participant; its rank in the statutory order of heirs is rule
    data (``heirs.rank.<relation>``, services/rules/heirs.py)."""

    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    PARENT = "PARENT"
    SIBLING = "SIBLING"
    OTHER = "OTHER"
    GRANDCHILD = "GRANDCHILD"
    GRANDPARENT = "GRANDPARENT"
    PARENT_IN_LAW = "PARENT_IN_LAW"
    WILL_NAMED = "WILL_NAMED"


class PensionKind(StrEnum):
    """JP benefit type (PP 45/2015 Pasal 16)."""

    OLD_AGE = "OLD_AGE"
    DISABILITY = "DISABILITY"
    WIDOW_WIDOWER = "WIDOW_WIDOWER"
    CHILD = "CHILD"
    PARENT = "PARENT"


@dataclass(frozen=True)
class Child:
    """A child of the participant, for scholarships."""

    birth_date: date
    school_level: SchoolLevel


@dataclass(frozen=True)
class TransportCost:
    """A transport cost claimed, by mode."""

    mode: TransportMode
    amount: int


@dataclass(frozen=True)
class DisabilityItem:
    """A disability: a code in the rules' table, optionally a percent of function lost."""

    item: str
    function_lost_percent: int | None = None


@dataclass(frozen=True)
class Heir:
    """An heir named in the heir statement of a death claim (JKK, JKm, JHT) or a survivor
    claiming a JP pension."""

    name: str
    relation: HeirRelation


@dataclass(frozen=True)
class JhtClaim:
    """A JHT (old-age savings) claim."""

    claim_id: str
    event_date: date
    submitted_on: date
    ground: JhtGround
    exit_date: date | None = None
    heirs: tuple[Heir, ...] = ()
    payee: str = ""
    """The account holder the benefit is paid to (ClaimSubmitted.payee.name)."""
    program: Program = Program.JHT


@dataclass(frozen=True)
class JkkClaim:
    """A JKK (work accident / occupational disease) claim, filed with the tahap II report."""

    claim_id: str
    event_date: date
    submitted_on: date
    accident_type: AccidentType
    reported_stage1_on: date
    wage: int
    outcome: AccidentOutcome
    medical_costs: int = 0
    transport: tuple[TransportCost, ...] = ()
    incapacity_days: int = 0
    disabilities: tuple[DisabilityItem, ...] = ()
    left_handed: bool = False
    children: tuple[Child, ...] = ()
    reported_stage2_on: date | None = None
    heirs: tuple[Heir, ...] = ()
    payee: str = ""
    program: Program = Program.JKK


@dataclass(frozen=True)
class JkmClaim:
    """A JKm (death not from a work accident) claim, filed by the heirs."""

    claim_id: str
    event_date: date
    submitted_on: date
    heirs: tuple[Heir, ...] = ()
    children: tuple[Child, ...] = ()
    during_placement: bool = False
    payee: str = ""
    program: Program = Program.JKM


@dataclass(frozen=True)
class JpClaim:
    """A JP (pension) claim."""

    claim_id: str
    event_date: date
    submitted_on: date
    kind: PensionKind
    heirs: tuple[Heir, ...] = ()
    payee: str = ""
    program: Program = Program.JP


Claim = JhtClaim | JkkClaim | JkmClaim | JpClaim


@dataclass(frozen=True)
class PriorClaim:
    """An earlier decision for the same participant.

    ``kind`` is the JHT ground, the JKK outcome, ``"DEATH"`` for JKm, or the JP pension kind.
    ``paid_amount`` is what was paid (JHT partial withdrawals reduce the balance).
    """

    claim_id: str
    program: Program
    event_date: date
    kind: str
    approved: bool
    paid_amount: int = 0
