"""Translation from decoded events and participant state to the rules' values (claims, coverage,
prior claims)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from services.app import contribution_ledger as ledger
from services.rules import (
    AccidentOutcome,
    AccidentType,
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
    SchoolLevel,
    SponsorFunding,
    TransportCost,
    TransportMode,
)
from services.rules.claims import Claim
from services.rules.dates import JAKARTA

SponsorLookup = Callable[[str], Mapping[str, Any] | None]

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
    contributions = ledger.contribution_months(ledger.ledger_of(state)[0], state.get(ledger.SHORT))
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


def _heirs(d: Mapping[str, Any]) -> tuple[Heir, ...]:
    return tuple(Heir(h["name"], HeirRelation(h["relation"])) for h in d.get("heirs", ()))


def to_claim(r: Mapping[str, Any]) -> Claim:
    """The rules' claim from a decoded ClaimSubmitted (the union detail decodes as a plain dict)."""
    d, program = r["detail"], Program(r["program"])
    common = {
        "claim_id": r["claim_id"],
        "event_date": r["event_date"],
        "submitted_on": r["occurred_at"].astimezone(JAKARTA).date(),
        "payee": r["payee"]["name"],
        "heirs": _heirs(d),
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
            children=_children(d),
            during_placement=d.get("during_placement", False),
        )
    return JpClaim(**common, kind=PensionKind(d["kind"]))
