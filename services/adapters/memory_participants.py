"""The memory store's participants and sponsors: the same use cases as participants.py and
sponsors.py, held in lists and dicts (tests/contracts holds both to one behaviour)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from services.app.records import (
    NO_EMPLOYER_EFFECTS,
    BatchMarkerRow,
    Checkpoint,
    ContributionCheckRow,
    DecisionRow,
    EmployerEffects,
    ObligationRow,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
    ReimbursementRow,
    SettlementRow,
    SponsorFundingRow,
)


class MemoryParticipants:
    """Mixed into MemoryStore, which holds the state and the fencing."""

    participants: list[ParticipantRow]
    fundings: list[SponsorFundingRow]
    batches: list[BatchMarkerRow]
    decisions: list[DecisionRow]
    contribution_checks: dict[str, ContributionCheckRow]
    obligations: dict[str, ObligationRow]
    reimbursed: dict[str, ReimbursementRow]
    states: dict[str, dict[str, Any]]
    events: dict[int, PendingEvent]
    event_ids: int

    def _maybe_fail(self, op: str) -> None: ...
    def _check(self, rows: Sequence[DecisionRow] | Sequence[SettlementRow]) -> None: ...
    def _fence(self, cp: Checkpoint | None) -> None: ...
    def _advance(self, cp: Checkpoint | None) -> None: ...

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._maybe_fail("load_participants")
        return {k: json.loads(json.dumps(self.states[k])) for k in kpjs if k in self.states}

    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for f in self.fundings:
            if f.sponsor_id in sponsor_ids:
                out.setdefault(f.sponsor_id, {"fundings": []})["fundings"].append(
                    [f.period_start.isoformat(), f.period_end.isoformat(), list(f.programs),
                     f.cohort_id]
                )  # fmt: skip
        return out

    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects = NO_EMPLOYER_EFFECTS,
    ) -> list[PendingEvent]:
        self._maybe_fail("commit_participants")
        self._fence(checkpoint)
        self._check(decisions)
        self._advance(checkpoint)
        for c in employer.checks:  # a redelivered posting adds nothing
            self.contribution_checks.setdefault(c.event_id, c)
        for o in employer.obligations:
            self.obligations.setdefault(o.obligation_id, o)
        for m in employer.reimbursements:
            if o_ := self.obligations.get(m.obligation_id):  # only an open one, once
                self.reimbursed.setdefault(o_.obligation_id, m)
        self.participants.extend(rows)
        for r in rows:
            self.states[r.kpj] = json.loads(r.coverage_json)
        known = {d.claim_id for d in self.decisions}
        self.decisions.extend(d for d in decisions if d.claim_id not in known)
        pending = []
        for e in outbox:
            self.event_ids += 1
            pending.append(PendingEvent(self.event_ids, e.topics, e.key, e.payload))
            self.events[self.event_ids] = pending[-1]
        return pending

    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        self._maybe_fail("commit_sponsors")
        self._fence(checkpoint)
        self._advance(checkpoint)
        self.fundings.extend(fundings)
        self.batches.extend(markers)
