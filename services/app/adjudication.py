"""Use case: apply a participant's events to its state and judge its claims by the rules.

The agent gathers inputs (the decoded event, the participant's state, the sponsor lookup) and
applies what comes back (new state, a row to persist, decisions to publish). Nothing here does I/O.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.app import contribution_ledger as ledger
from services.app import participant_state as ps
from services.app.assessment_inputs import encode_inputs
from services.app.records import BatchMarkerRow, ParticipantRow, Position, SponsorFundingRow
from services.config import Settings
from services.errors import ServiceError
from services.privacy import pseudonymise
from services.rules import (
    AccidentOutcome,
    AccidentType,
    Approved,
    Category,
    Child,
    Coverage,
    DisabilityItem,
    EndReason,
    Heir,
    HeirRelation,
    JhtClaim,
    JhtGround,
    JkkClaim,
    JkmClaim,
    JpClaim,
    PensionKind,
    PriorClaim,
    Program,
    ProgramPeriod,
    RuleSet,
    SchoolLevel,
    SponsorFunding,
    TransportCost,
    TransportMode,
    assess,
    default_rules,
)
from services.rules.claims import Claim
from services.rules.decision import Decision
from services.rules.reasons import ReasonCode

JAKARTA = ZoneInfo("Asia/Jakarta")
DECISION_NS = uuid.UUID("6f1c1a52-6b0e-4d7e-9a4b-2f7d0c3e8a11")
SponsorLookup = Callable[[str], Mapping[str, Any] | None]


COVERAGE_EVENTS = frozenset({"ParticipantEnrolled", "ProgramsChanged", "CoverageEnded"})


class UnknownParticipant(ServiceError):
    """An event about a KPJ that was never enrolled (claims are rejected instead, not parked)."""


class IdentityMismatch(ServiceError):
    """An event whose NIK does not belong to the participant already holding this KPJ."""


class IdentityConflict(IdentityMismatch):
    """An enrollment that would put another person (another NIK) behind a KPJ already held:
    refused, so a KPJ, its contributions and its claims never pass to someone else."""


def load_rules(settings: Settings) -> RuleSet:
    """The default rule set, with the overrides file applied when RULES_OVERRIDES_FILE is set."""
    rules = default_rules()
    if settings.rules_overrides_file is not None:
        rules = rules.with_json_overrides(settings.rules_overrides_file.read_text(encoding="utf-8"))
    return rules


@dataclass(frozen=True)
class Applied:
    """What applying one event produced."""

    kind: str
    state: ps.State | None = None
    row: ParticipantRow | None = None
    decisions: tuple[dict[str, Any], ...] = ()
    replayed: bool = False


class ParticipantEvents:
    """Applies enrollment, contribution and claim events for one participant, in order."""

    def __init__(self, rules: RuleSet, nik_key: str, source: str = "bpjs-claims") -> None:
        self.rules = rules
        self._key = nik_key
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
        ref = pseudonymise(record["nik"], self._key)
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
            new = ps.contribution_posted(state, record, pos)
        else:
            raise ServiceError(f"{name} is not a participant event")
        return Applied(kind, new, participant_row(record["kpj"], new, pos))

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
        new = ps.claim_recorded(state, claim_id, summary, pos)
        return Applied("ClaimSubmitted", new, participant_row(record["kpj"], new, pos), (out,))

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


# -- stored decisions (re-emitted byte-for-byte equal in content on replay) ------------------------


def encode_stored(decision: Mapping[str, Any]) -> str:
    return base64.b64encode(_STORED.encode(decision).encode()).decode()


def decode_stored(stored: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.b64decode(stored["decision"]))
    out["occurred_at"] = datetime.fromisoformat(out["occurred_at"])
    out["submitted_at"] = datetime.fromisoformat(out["submitted_at"])
    out["event_date"] = date.fromisoformat(out["event_date"])
    out.setdefault("assessment_inputs", None)  # kept with the first decision's row only
    return out


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


# Built once: json.dumps with any option builds a new encoder for every call.
_STORED = json.JSONEncoder(default=_json_default)
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_LEDGER_TEXT = (ledger.LEDGER, ledger.TAGS)


# -- translation from events and state to the rules' values --------------------------------------


_PROGRAMS = {p.value: p for p in Program}


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def to_coverage(state: Mapping[str, Any], sponsors: SponsorLookup) -> Coverage:
    program = _PROGRAMS.__getitem__  # a dict lookup: Program(value) costs ~1 µs a call
    periods = tuple(
        ProgramPeriod(program(p), date.fromisoformat(s), _d(e))
        for p, spans in state["programs"].items()
        for s, e in spans
    )
    # Kept per month and in period order as contributions arrive: read, not re-aggregated.
    contributions = ledger.contribution_months(ledger.ledger_of(state)[0])
    ended = state.get("ended")
    return Coverage(
        category=Category(state["category"]),
        birth_date=date.fromisoformat(state["birth_date"]),
        enrolled_on=date.fromisoformat(state["enrolled_on"]),
        periods=periods,
        contributions=contributions,
        sponsor_funding=sponsor_funding(state.get("sponsor"), sponsors),
        declared_wage=state["wage"],
        jkk_risk_class=state.get("risk_class"),
        ended_on=None if ended is None else date.fromisoformat(ended[0]),
        end_reason=None if ended is None else EndReason(ended[1]),
    )


def sponsor_funding(sponsor_id: str | None, sponsors: SponsorLookup) -> tuple[SponsorFunding, ...]:
    if sponsor_id is None:
        return ()
    found = sponsors(sponsor_id)
    if not found:
        return ()
    return tuple(
        SponsorFunding(
            sponsor_id,
            date.fromisoformat(s),
            date.fromisoformat(e),
            tuple(_PROGRAMS[p] for p in programs),
        )
        for s, e, programs, *_cohort in found["fundings"]
    )


def prior_claims(state: Mapping[str, Any]) -> tuple[PriorClaim, ...]:
    return tuple(
        PriorClaim(
            cid,
            _PROGRAMS[c["program"]],
            date.fromisoformat(c["event_date"]),
            c["kind"],
            c["approved"],
            c["paid"],
        )
        for cid, c in state["claims"].items()
    )


def claim_kind(claim: Claim) -> str:
    if isinstance(claim, JhtClaim):
        return claim.ground.value
    if isinstance(claim, JkkClaim):
        return claim.outcome.value
    if isinstance(claim, JkmClaim):
        return "DEATH"
    return claim.kind.value


def _children(d: Mapping[str, Any]) -> tuple[Child, ...]:
    return tuple(
        Child(c["birth_date"], SchoolLevel(c["school_level"])) for c in d.get("children", ())
    )


def to_claim(r: Mapping[str, Any]) -> Claim:
    """The rules' claim from a decoded ClaimSubmitted (the union detail decodes as a plain dict)."""
    d, program = r["detail"], Program(r["program"])
    common = {
        "claim_id": r["claim_id"],
        "event_date": r["event_date"],
        "submitted_on": r["occurred_at"].astimezone(JAKARTA).date(),
    }
    if program is Program.JHT:
        return JhtClaim(**common, ground=JhtGround(d["ground"]), exit_date=d.get("exit_date"))
    if program is Program.JKK:
        return JkkClaim(
            **common,
            accident_type=AccidentType(d["accident_type"]),
            reported_stage1_on=d["reported_stage1_on"],
            reported_stage2_on=d.get("reported_stage2_on"),
            wage=d["wage"],
            outcome=AccidentOutcome(d["outcome"]),
            medical_costs=d["medical_costs"],
            transport=tuple(
                TransportCost(TransportMode(t["mode"]), t["amount"]) for t in d["transport"]
            ),
            incapacity_days=d["incapacity_days"],
            disabilities=tuple(
                DisabilityItem(i["item"], i.get("function_lost_percent")) for i in d["disabilities"]
            ),
            left_handed=d.get("left_handed", False),
            children=_children(d),
        )
    if program is Program.JKM:
        return JkmClaim(
            **common,
            heirs=tuple(Heir(h["name"], HeirRelation(h["relation"])) for h in d["heirs"]),
            children=_children(d),
            during_placement=d.get("during_placement", False),
        )
    return JpClaim(**common, kind=PensionKind(d["kind"]))


def resync_row(kpj: str, state: ps.State | None, pos: Position) -> ParticipantRow | None:
    """The participant's row as the state already holds it, for an event delivered again.

    Written at the state's own position, so the guarded upsert changes nothing when the row is
    already there (it always is since PostgreSQL owns the state; kept for states rebuilt by a
    replay from offset 0)."""
    if state is None or state.get("pos") is None:
        return None
    partition, offset = state["pos"]
    return participant_row(kpj, state, Position(pos.topic, partition, offset))


def participant_row(kpj: str, state: Mapping[str, Any], pos: Position) -> ParticipantRow:
    """The participant's row in PostgreSQL, which owns the state: `coverage_json` is the whole
    pseudonymised state the adjudicator works from (no NIK, only its keyed hash), the other
    columns what queries and reports filter on."""
    rest = {k: v for k, v in state.items() if k not in _LEDGER_TEXT}
    # The ledger's two strings are most of the state and need no escaping: written as they are.
    ledger_text = "".join(
        f',"{key}":{ledger.json_string(state[key])}' for key in _LEDGER_TEXT if key in state
    )
    ended = state.get("ended")
    return ParticipantRow(
        kpj=kpj,
        participant_ref=state["ref"],
        category=state["category"],
        birth_date=date.fromisoformat(state["birth_date"]),
        employer_npp=state.get("npp"),
        sponsor_id=state.get("sponsor"),
        work_unit=state.get("work_unit"),
        batch_id=state.get("batch"),
        enrolled_on=date.fromisoformat(state["enrolled_on"]),
        declared_wage=state["wage"],
        jkk_risk_class=state.get("risk_class"),
        ended_on=None if ended is None else date.fromisoformat(ended[0]),
        end_reason=None if ended is None else ended[1],
        coverage_json=f"{_COMPACT.encode(rest)[:-1]}{ledger_text}}}",
        position=pos,
    )


# -- sponsor events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SponsorChange:
    kind: str
    sponsor_id: str
    sponsor_state: dict[str, Any] | None = None
    funding: SponsorFundingRow | None = None
    batch: BatchMarkerRow | None = None


def sponsor_change(name: str, r: Mapping[str, Any], get: Callable[[str], Any]) -> SponsorChange:
    """A funded period extends the sponsor's fundings; a batch marker is recorded for audit."""
    kind = name.rsplit(".", 1)[-1]
    if kind == "EnrollmentBatchCompleted":
        sid = r.get("sponsor_id") or ""
        return SponsorChange(
            kind, sid, batch=BatchMarkerRow(r["batch_id"], r.get("sponsor_id"), r["expected_count"])
        )
    sid = r["sponsor_id"]
    current = get(sid) or {"fundings": []}
    span = [r["period_start"].isoformat(), r["period_end"].isoformat(), list(r["programs"])]
    # One row per (cohort, period start): the same funding sent again replaces itself; another
    # cohort of the same sponsor, or a renewal for a new period, adds to what is funded.
    span = [*span, r["cohort_id"]]
    fundings = [f for f in current["fundings"] if (f[0], f[3:]) != (span[0], span[3:])] + [span]
    row = SponsorFundingRow(
        sid,
        r["cohort_id"],
        r["sponsor_name"],
        r["sponsor_kind"],
        r["period_start"],
        r["period_end"],
        r["budget"],
        tuple(r["programs"]),
        r["participant_count"],
        r["event_id"],
    )
    return SponsorChange(kind, sid, {"fundings": sorted(fundings)}, funding=row)
