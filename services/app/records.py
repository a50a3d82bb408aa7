"""Rows the use cases hand to the stores: plain frozen values, no driver types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from services.rules.contribution_check import ProgramCheck

if TYPE_CHECKING:
    from services.app.payroll import PensionRow
    from services.app.scholarships import ScholarshipRow, YearInstruction


@dataclass(frozen=True)
class Position:
    """Where a message came from: the unit of idempotent consumption."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True)
class ParticipantRow:
    kpj: str
    participant_ref: str
    category: str
    birth_date: date
    employer_npp: str | None
    sponsor_id: str | None
    work_unit: str | None
    batch_id: str | None
    enrolled_on: date
    declared_wage: int
    jkk_risk_class: int | None
    ended_on: date | None
    end_reason: str | None
    coverage_json: str
    position: Position


@dataclass(frozen=True)
class SponsorFundingRow:
    sponsor_id: str
    cohort_id: str
    sponsor_name: str
    sponsor_kind: str
    period_start: date
    period_end: date
    budget: int
    programs: tuple[str, ...]
    participant_count: int
    event_id: str


@dataclass(frozen=True)
class BatchMarkerRow:
    batch_id: str
    sponsor_id: str | None
    expected_count: int


@dataclass(frozen=True)
class DecisionRow:
    claim_id: str
    kpj: str
    participant_ref: str
    program: str
    event_date: date
    submitted_at: datetime
    outcome: str
    reasons: tuple[str, ...]
    total: int
    payable_by: str
    rule_set_version: str
    decision_json: str
    decided_at: datetime
    assessment_inputs: str | None = None  # JSON (services/app/assessment_inputs.py); no NIK


@dataclass(frozen=True)
class ContributionCheckRow:
    """One ContributionPosted judged against what was due, program by program
    (contribution_postings; the view contribution_checks has a row per program)."""

    event_id: str
    kpj: str
    participant_ref: str
    employer_npp: str | None
    category: str
    period: date
    wage_base: int
    paid_on: date
    due_on: date | None
    months_late: int
    lines: tuple[ProgramCheck, ...]
    rule_set_version: str


@dataclass(frozen=True)
class ObligationRow:
    """What an employer owes on a claim (employer_obligations)."""

    obligation_id: str
    kind: str
    claim_id: str
    employer_npp: str | None
    kpj: str
    participant_ref: str
    program: str
    amount: int
    components_json: str
    reason: str
    regulation: str


@dataclass(frozen=True)
class ReimbursementRow:
    """A BENEFIT_FIRST obligation reimbursed: its payment instruction to the employer was issued."""

    obligation_id: str
    instruction_id: str
    amount: int
    due_on: date
    cleared_by: str


@dataclass(frozen=True)
class EmployerEffects:
    """The employer side of a participant-events batch, committed with it."""

    checks: tuple[ContributionCheckRow, ...] = ()
    obligations: tuple[ObligationRow, ...] = ()
    reimbursements: tuple[ReimbursementRow, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.checks or self.obligations or self.reimbursements)


NO_EMPLOYER_EFFECTS = EmployerEffects()


@dataclass(frozen=True)
class SettlementRow:
    """An approved claim ready to settle, with its encoded payment instruction for the outbox."""

    claim_id: str
    program: str
    amount: int
    payable_by: str
    rule_set_version: str
    decision_json: str
    complete_on: date
    due_date: date
    instruction_id: str
    idempotency_key: str
    instruction_payload: bytes | None  # None: employer-first, the employer pays (no instruction)
    position: Position
    pension: PensionRow | None = None  # an approved JP pension: the payroll pays its months
    # Scholarships paid by school year: the claim's own instruction pays `instruction_amount`
    # (the total less them), the school years already begun go as their own instructions.
    instruction_amount: int | None = None
    scholarships: tuple[ScholarshipRow, ...] = ()
    scholarship_years: tuple[YearInstruction, ...] = ()

    @property
    def first_amount(self) -> int:
        """What the claim's own instruction pays."""
        return self.amount if self.instruction_amount is None else self.instruction_amount


@dataclass(frozen=True)
class DeadLetterRow:
    """A dead letter as stored: metadata in clear, the original key and value only sealed."""

    topic: str
    partition: int
    offset: int
    error_class: str
    error_message: str
    first_seen_at: datetime
    consumer: str
    sealed: bytes  # services/sealing.py envelope of the original key and value
    key_id: str
    value_digest: bytes  # keyed (HMAC) digest of the value: the dedupe key with the topic
    value_size: int
    value_schema: str | None


@dataclass(frozen=True)
class StoredDeadLetter:
    """A row of the dead_letters table as the operators' tool reads it."""

    id: int
    topic: str
    partition: int
    offset: int
    error_class: str
    error_message: str
    first_seen_at: datetime
    consumer: str
    sealed: bytes | None  # None only for a pre-0003 row not yet resealed
    key_id: str | None
    value_size: int | None
    value_schema: str | None
    replayed_at: datetime | None


@dataclass(frozen=True)
class LegacyDeadLetter:
    """A pre-0003 row still holding the clear original key and value (to be resealed)."""

    id: int
    position: Position
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class OutboxItem:
    instruction_id: str
    claim_id: str
    payload: bytes


@dataclass(frozen=True)
class Mark:
    """How far one partition gets in a batch: offsets `first`..`last` were consumed in it."""

    topic: str
    partition: int
    first: int
    last: int


@dataclass(frozen=True)
class Checkpoint:
    """The consumed positions one transaction commits with its effects, and the fence they
    carry: the transaction fails (Fenced) when another consumer already recorded any offset of
    this batch, so a batch is applied once however many workers believe they own it."""

    consumer: str
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class OutboxEvent:
    """A record to publish after its transaction commits: the same bytes to each topic."""

    topics: tuple[str, ...]
    key: str
    payload: bytes


@dataclass(frozen=True)
class PendingEvent:
    """An outbox row waiting to be published (its id deletes it once the broker has it)."""

    id: int
    topics: tuple[str, ...]
    key: str
    payload: bytes
