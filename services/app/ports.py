"""The store ports: what the worker asks of its state, as Protocols.

The agents and the delivery are typed to these, not to PostgreSQL. Two adapters implement them:
services/adapters/postgres.py (production) and services/adapters/memory.py (tests, fakes);
tests/contracts runs one behavioural suite against both. Every write takes the batch's
Checkpoint and commits it with the batch's effects, fenced: a batch another consumer applied
raises services.errors.Fenced and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

from services.app.employer_account_rows import EmployerAccountRows
from services.app.followups import FollowUps
from services.app.payment_rows import (
    AccountCorrectionRow,
    CorrectionOutcome,
    PaymentOutcome,
    PaymentResultRow,
)
from services.app.payroll import PayrollRun, PensionChangeOutcome, PensionChangeRow
from services.app.records import (
    BatchMarkerRow,
    Checkpoint,
    DeadLetterRow,
    DecisionRow,
    EmployerEffects,
    LegacyDeadLetter,
    OutboxEvent,
    OutboxItem,
    ParticipantRow,
    PendingEvent,
    SettlementRow,
    SponsorFundingRow,
)
from services.app.scholarships import ScholarshipStopRow
from services.rules import RuleSet
from services.sealing import Sealed

InterestFn = Callable[[str, int, date, date], tuple[int, int]]
"""(program, amount, due date, paid on) -> (days late, interest owed)."""


class PositionStore(Protocol):
    """Where each consumer is: the last offset it durably processed, per partition."""

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]: ...
    async def advance(self, checkpoint: Checkpoint) -> None: ...


class Outboxes(Protocol):
    """What committed batches left to publish: decided events and payment instructions."""

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]: ...
    async def events_published(self, ids: Sequence[int]) -> None: ...
    async def outbox_pending(self, limit: int) -> list[OutboxItem]: ...
    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None: ...
    async def outbox_backlog(self) -> int: ...


class ParticipantStore(PositionStore, Outboxes, Protocol):
    """Participants' coverage state, the claims decided for them, the events they publish."""

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects = ...,
    ) -> list[PendingEvent]: ...


class SponsorStore(PositionStore, Protocol):
    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None: ...


class SettlementStore(PositionStore, Protocol):
    """Approved claims settled once each, with their payment instruction in the outbox."""

    async def settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None = None
    ) -> list[str]: ...


class PaymentStore(PositionStore, Protocol):
    async def apply_payment_results(
        self,
        rows: Sequence[PaymentResultRow],
        interest: InterestFn,
        checkpoint: Checkpoint | None = None,
        followups: FollowUps | None = None,
    ) -> list[PaymentOutcome]: ...


class CorrectionStore(PositionStore, Protocol):
    """Payee corrections: a FAILED instruction re-issued once, anything else rejected, recorded."""

    async def apply_account_corrections(
        self,
        rows: Sequence[AccountCorrectionRow],
        followups: FollowUps,
        checkpoint: Checkpoint | None = None,
    ) -> list[CorrectionOutcome]: ...


class PensionStore(PositionStore, Protocol):
    """Benefits over time: a branch's pension changes and scholarship stops applied once each,
    and the monthly payroll (pension months, school years)."""

    async def apply_benefit_changes(
        self,
        rows: Sequence[PensionChangeRow],
        rules: RuleSet,
        checkpoint: Checkpoint | None,
        stops: Sequence[ScholarshipStopRow] = ...,
    ) -> list[PensionChangeOutcome]: ...
    async def run_payroll(
        self, month: date, rules: RuleSet, encode: Callable[[str, Any], bytes], run_by: str
    ) -> PayrollRun: ...


class DeadLetterSink(PositionStore, Protocol):
    async def record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None = None
    ) -> None: ...
    async def legacy_dead_letters(self, limit: int) -> list[LegacyDeadLetter]: ...
    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None: ...


class Gauges(Protocol):
    """The reads behind the worker's gauges, /readyz and /claims/{claim_id}."""

    async def ping(self) -> None: ...
    async def unpaid_settlements(self) -> int: ...
    async def unpaid_by_due_date(self, until: date) -> list[tuple[str, date, int]]: ...
    async def owed_by_due_date(self) -> list[tuple[str, date, int, int]]: ...
    async def claim_status(self, claim_id: str) -> dict[str, Any] | None: ...


class EmployerAccountReads(Protocol):
    """What `claims employer NPP` reads: one employer's account, in one snapshot (read only).

    PostgreSQL alone implements it (its sums are SQL, and no worker reads it), so it has no
    memory twin; tests/integration/test_employer_account.py runs it against the real one."""

    async def employer_account(self, npp: str, on: date) -> EmployerAccountRows: ...


class WorkerStore(
    ParticipantStore,
    SponsorStore,
    SettlementStore,
    PaymentStore,
    CorrectionStore,
    PensionStore,
    DeadLetterSink,
    Outboxes,
    Gauges,
    Protocol,
):
    """Everything one worker needs of its store, opened and migrated at start."""

    async def migrate(self) -> list[str]: ...
    async def close(self) -> None: ...
