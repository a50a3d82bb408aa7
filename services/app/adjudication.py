"""Use case: apply a participant's events to its state and judge its claims by the rules.

The agent gathers inputs (the decoded event, the participant's state, the sponsor lookup) and
applies what comes back (new state, a row to persist, decisions to publish). Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.app import contribution_ledger as ledger
from services.app import participant_state as ps
from services.app.assessment_inputs import encode_inputs
from services.app.employer_accounts import EmployerAccounts
from services.app.employer_effects import Obligation, Reimbursement
from services.app.participant_rows import participant_row, resync_row
from services.app.records import ContributionCheckRow, ParticipantRow, Position
from services.app.stored_decisions import decode_stored, encode_stored
from services.app.translation import (
    SponsorLookup,
    claim_kind,
    prior_claims,
    to_claim,
    to_coverage,
)
from services.errors import ServiceError
from services.privacy import Keyring
from services.rules import Approved, Coverage, PriorClaim, RuleSet, assess
from services.rules.claims import Claim
from services.rules.decision import Decision
from services.rules.reasons import ReasonCode

DECISION_NS = uuid.UUID("6f1c1a52-6b0e-4d7e-9a4b-2f7d0c3e8a11")
COVERAGE_EVENTS = frozenset({"ParticipantEnrolled", "ProgramsChanged", "CoverageEnded"})


class UnknownParticipant(ServiceError):
    """An event about a KPJ that was never enrolled (claims are rejected instead, not parked)."""


class IdentityMismatch(ServiceError):
    """An event whose NIK does not belong to the participant already holding this KPJ."""


class IdentityConflict(IdentityMismatch):
    """An enrollment that would put another person (another NIK) behind a KPJ already held:
    refused, so a KPJ, its contributions and its claims never pass to someone else."""


@dataclass(frozen=True)
class Applied:
    """What applying one event produced."""

    kind: str
    state: ps.State | None = None
    row: ParticipantRow | None = None
    decisions: tuple[dict[str, Any], ...] = ()
    replayed: bool = False
    checks: tuple[ContributionCheckRow, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    reimbursements: tuple[Reimbursement, ...] = ()


class ParticipantEvents:
    """Applies enrollment, contribution and claim events for one participant, in order."""

    def __init__(self, rules: RuleSet, nik_key: str | Keyring, source: str = "bpjs-claims") -> None:
        """`nik_key`: the keyring (current and previous keys), or one key (`v1`, no rotation)."""
        self.rules = rules
        self.employer = EmployerAccounts(rules)
        self._keys = nik_key if isinstance(nik_key, Keyring) else Keyring.single(nik_key)
        self._source = source

    def apply(
        self,
        name: str,
        record: Mapping[str, Any],
        state: ps.State | None,
        sponsors: SponsorLookup,
        pos: Position,
        now: datetime,
    ) -> Applied:
        kind = name.rsplit(".", 1)[-1]
        ref = self._keys.pseudonym(record["nik"])
        rekeyed = False
        if (
            state is not None
            and state["ref"] != ref
            and self._keys.matches(record["nik"], state["ref"])
        ):
            # Stored under a previous key, and this event proves the NIK: re-keyed on sight,
            # written with the state this event leaves (a redelivery at an applied position
            # writes nothing: the next new event re-keys it).
            state, rekeyed = {**state, "ref": ref}, True
        if state is not None and state["ref"] != ref:
            # Checked before the replay guard too: a mismatch is never a harmless redelivery.
            if kind == "ParticipantEnrolled":
                raise IdentityConflict(
                    f"kpj={record['kpj']}: enrollment with a different NIK than the participant"
                    " already enrolled under this KPJ: a KPJ belongs to one person, refused"
                    " (re-enrolment keeps the same NIK)"
                )
            raise IdentityMismatch(
                f"kpj={record['kpj']}: nik does not match the enrolled participant"
            )
        if kind == "ClaimSubmitted":
            return self._claim(record, state, ref, sponsors, pos, now)
        if ps.already_applied(state, pos):
            return Applied(kind, row=resync_row(record["kpj"], state, pos), replayed=True)
        if kind in COVERAGE_EVENTS and ps.applied_before(state, record):
            # The same event published again (a batch re-sent, `claims import` re-run, an
            # upstream outbox replayed): applied again it would reopen or undo later changes.
            if rekeyed and state is not None:  # but the new pseudonym is written: re-keys
                moved = ps.advanced(state, pos)
                return Applied(
                    kind, moved, participant_row(record["kpj"], moved, pos), replayed=True
                )
            return Applied(kind, row=resync_row(record["kpj"], state, pos), replayed=True)
        if kind == "ParticipantEnrolled":
            new = ps.enrolled(record, ref, pos)
            if state is not None:  # re-enrolment keeps history and decided claims
                new = {**new, **ps.history(state)}
            new = ps.noting(new, record, before=state)
        elif state is None:
            raise UnknownParticipant(f"{kind} for kpj={record['kpj']}, which was never enrolled")
        elif kind == "ProgramsChanged":
            new = ps.noting(ps.programs_changed(state, record, pos), record)
        elif kind == "CoverageEnded":
            new = ps.noting(ps.coverage_ended(state, record, pos), record)
        elif kind == "ContributionPosted":
            return self._contribution(record, state, sponsors, pos, now)
        else:
            raise ServiceError(f"{name} is not a participant event")
        return Applied(kind, new, participant_row(record["kpj"], new, pos))

    def _contribution(
        self,
        record: Mapping[str, Any],
        state: ps.State,
        sponsors: SponsorLookup,
        pos: Position,
        now: datetime,
    ) -> Applied:
        """Posted to its month, judged against what was due, and any employer-first claim it
        clears reimbursed (services/app/employer_accounts.py)."""
        tags = ledger.ledger_of(state)[1]
        new = ps.contribution_posted(state, record, pos)
        if new[ledger.TAGS] == tags:  # the same posting again: counted once, judged once
            return Applied("ContributionPosted", new, participant_row(record["kpj"], new, pos))
        new, checks = self.employer.judge(state, new, record)
        new, paid_back = self.employer.reimbursements(new, record, sponsors, now)
        row = participant_row(record["kpj"], new, pos)
        return Applied("ContributionPosted", new, row, checks=checks, reimbursements=paid_back)

    def _claim(
        self,
        record: Mapping[str, Any],
        state: ps.State | None,
        ref: str,
        sponsors: SponsorLookup,
        pos: Position,
        now: datetime,
    ) -> Applied:
        claim_id = record["claim_id"]
        if state is not None and claim_id in state["claims"]:
            # Redelivery or replay: the same decision again, never a second judgement.
            stored = state["claims"][claim_id]
            row = resync_row(record["kpj"], state, pos)
            return Applied("ClaimSubmitted", None, row, (decode_stored(stored),), replayed=True)
        claim = to_claim(record)
        coverage: Coverage | None = None
        prior: tuple[PriorClaim, ...] = ()
        if state is None or ps.already_applied(state, pos):
            # Unknown KPJ; or a replay of a claim decided before its participant existed (a
            # claim of a known participant is always in state["claims"]): not enrolled, again.
            decision: Decision | None = None
        else:
            coverage, prior = to_coverage(state, sponsors), prior_claims(state)
            decision = assess(claim, coverage, prior, self.rules)
        out = self.decision_record(record, ref, claim, decision, now)
        # What the rules saw, so the claim can be judged again under other rules (readjudicate).
        out["assessment_inputs"] = encode_inputs(claim, coverage, prior)
        if decision is None:
            return Applied("ClaimSubmitted", None, None, (out,), replayed=state is not None)
        assert state is not None  # decision is None whenever state is
        summary = {
            "program": claim.program.value,
            "event_date": claim.event_date.isoformat(),
            "kind": claim_kind(claim),
            "approved": out["outcome"] == "APPROVED",
            "paid": out["total"] if out["outcome"] == "APPROVED" else 0,
            # Without its inputs: they are recorded in PostgreSQL with the decision, and would
            # grow the state (and every write of it) by up to ~10 KB per claim.
            "decision": encode_stored({k: v for k, v in out.items() if k != "assessment_inputs"}),
        }
        owed: tuple[Obligation, ...] = ()
        if isinstance(decision, Approved):
            owed = self.employer.obligations(state, decision, out, now)
            if decision.payable_by.value == "EMPLOYER_FIRST":
                summary["employer_first"] = True  # until reimbursed (EmployerAccounts)
        new = ps.claim_recorded(state, claim_id, summary, pos)
        row = participant_row(record["kpj"], new, pos)
        return Applied("ClaimSubmitted", new, row, (out,), obligations=owed)

    def decision_record(
        self,
        record: Mapping[str, Any],
        ref: str,
        claim: Claim,
        decision: Decision | None,
        now: datetime,
    ) -> dict[str, Any]:
        """The ClaimDecided event. A claim for an unknown KPJ is rejected as not enrolled."""
        base = {
            "event_id": str(uuid.uuid5(DECISION_NS, f"{record['claim_id']}/{self.rules.version}")),
            "occurred_at": now,
            "source": self._source,
            "claim_id": record["claim_id"],
            "participant_ref": ref,
            "kpj": record["kpj"],
            "program": record["program"],
            "event_date": record["event_date"],
            "submitted_at": record["occurred_at"],
            "rule_set_version": self.rules.version,
            "payee": record["payee"],
        }
        if decision is None:
            return {
                **base,
                "outcome": "REJECTED",
                "reasons": [ReasonCode.NOT_ENROLLED.value],
                "total": 0,
                "payable_by": "BPJS",
                "components": [],
                "checks": [
                    {
                        "name": "participant_known",
                        "passed": False,
                        "detail": "no enrollment for this KPJ before the claim",
                    }
                ],
            }
        prov = decision.provenance
        approved = isinstance(decision, Approved)
        return {
            **base,
            "outcome": "APPROVED" if approved else "REJECTED",
            "reasons": []
            if isinstance(decision, Approved)
            else [r.value for r in decision.reasons],
            "total": decision.total if isinstance(decision, Approved) else 0,
            "payable_by": decision.payable_by.value if isinstance(decision, Approved) else "BPJS",
            "components": [
                {
                    "code": c.code,
                    "amount": c.amount,
                    "formula": c.formula,
                    "regulation": c.regulation,
                    "inputs": dict(c.inputs),
                }
                for c in prov.components
            ]
            if approved
            else [],
            "checks": [
                {"name": c.name, "passed": c.passed, "detail": c.detail} for c in prov.checks
            ],
        }
