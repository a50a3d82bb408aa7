"""A participant's state as the adjudicator holds it: JSON-shaped, changed only by pure transitions.

The state lives in PostgreSQL (participants.coverage) keyed by KPJ number; it never holds a clear
NIK, only its keyed hash. Each transition records the position it applied, so a replayed message
(offset at or below `pos`) is recognised and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.app import contribution_ledger as ledger
from services.app.records import Position

State = dict[str, Any]


def iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def already_applied(state: State | None, pos: Position) -> bool:
    """True when this message (or a later one of the same partition) was applied already."""
    if state is None:
        return False
    seen = state.get("pos")
    return seen is not None and seen[0] == pos.partition and pos.offset <= seen[1]


def event_tag(event_id: str) -> str:
    """A short tag of an event id (48 bits), to remember which events were applied."""
    return hashlib.blake2b(event_id.encode(), digest_size=6).hexdigest()


def applied_before(state: State | None, event: Mapping[str, Any]) -> bool:
    """True when this coverage event (enrolled, programs changed, coverage ended) was applied
    already, whatever its position: the same event published again (a batch re-sent, an
    upstream outbox replayed) must not reopen a period or undo a change made after it."""
    return state is not None and event_tag(event["event_id"]) in state.get("coverage_events", ())


def noting(state: State, event: Mapping[str, Any], before: State | None = None) -> State:
    """`state` with this coverage event remembered (and those `before` had, on re-enrolment)."""
    earlier: list[str] = [] if before is None else list(before.get("coverage_events", []))
    seen: list[str] = list(state.get("coverage_events", earlier))
    return {**state, "coverage_events": [*seen, event_tag(event["event_id"])]}


def enrolled(event: Mapping[str, Any], participant_ref: str, pos: Position) -> State:
    """A new participant, or a re-enrolment that replaces the programs and declared wage."""
    return {
        "ref": participant_ref,
        "category": event["category"],
        "birth_date": iso(event["birth_date"]),
        "enrolled_on": iso(event["enrolled_on"]),
        "wage": int(event["wage"]),
        "risk_class": event.get("jkk_risk_class"),
        "npp": event.get("employer_npp"),
        "sponsor": event.get("sponsor_id"),
        "work_unit": event.get("work_unit"),
        "batch": event.get("batch_id"),
        "programs": {p["program"]: [[iso(p["effective_date"]), None]] for p in event["programs"]},
        "ledger": "",
        "ledger_tags": "",
        "ended": None,
        "claims": {},
        "pos": [pos.partition, pos.offset],
    }


def programs_changed(state: State, event: Mapping[str, Any], pos: Position) -> State:
    """Open periods for added programs, close periods for removed ones, take a new wage if given."""
    programs: dict[str, list[list[str | None]]] = {
        k: [list(p) for p in v] for k, v in state["programs"].items()
    }
    for added in event.get("added", ()):
        periods = programs.setdefault(added["program"], [])
        if not periods or periods[-1][1] is not None:
            periods.append([iso(added["effective_date"]), None])
    for removed in event.get("removed", ()):
        periods = programs.get(removed["program"], [])
        if periods and periods[-1][1] is None:
            periods[-1][1] = iso(removed["end_date"])
    wage = event.get("wage")
    return {
        **state,
        "programs": programs,
        "wage": state["wage"] if wage is None else int(wage),
        "pos": [pos.partition, pos.offset],
    }


def coverage_ended(state: State, event: Mapping[str, Any], pos: Position) -> State:
    """Coverage ends for every program on end_date (resignation, termination, death, ...)."""
    end = iso(event["end_date"])
    programs = {
        k: [[s, e if e is not None else end] for s, e in v] for k, v in state["programs"].items()
    }
    return {
        **state,
        "programs": programs,
        "ended": [end, event["reason"]],
        "pos": [pos.partition, pos.offset],
    }


def contribution_posted(state: State, event: Mapping[str, Any], pos: Position) -> State:
    """Add one posted contribution to its month in the participant's ledger.

    A second posting for the same month (a correction or top-up) adds to it; the same posting
    delivered twice (same event_id) is applied once. The ledger's layout, and why it is text:
    services/app/contribution_ledger.py. A state in the old layout is rewritten in the new one.
    """
    current, tags = ledger.ledger_of(state)
    tag = f"{event_tag(event['event_id'])}|"
    if tag in tags:  # tags are fixed-width and end with "|": no false match across two
        return advanced(upgraded(state), pos)
    amounts: dict[str, int] = {}
    for a in event["amounts"]:
        amounts[a["program"]] = amounts.get(a["program"], 0) + int(a["amount"])
    months = ledger.posted(
        current, event["period"], int(event["wage_base"]), amounts, str(iso(event["paid_date"]))
    )
    new = {k: v for k, v in state.items() if k != ledger.OLD_LEDGER}
    return {
        **new,
        ledger.LEDGER: months,
        ledger.TAGS: tags + tag,
        "pos": [pos.partition, pos.offset],
    }


def upgraded(state: State) -> State:
    """`state` with its ledger in the current layout (the same state when it already is)."""
    if ledger.OLD_LEDGER not in state:
        return state
    months, tags = ledger.ledger_of(state)
    new = {k: v for k, v in state.items() if k != ledger.OLD_LEDGER}
    return {**new, ledger.LEDGER: months, ledger.TAGS: tags}


def history(state: State) -> State:
    """What a re-enrolment keeps of the participant: the ledger and the decided claims."""
    months, tags = ledger.ledger_of(state)
    return {ledger.LEDGER: months, ledger.TAGS: tags, "claims": state["claims"]}


def ledger_months(months: str) -> dict[str, ledger.Month]:
    """The ledger read back per month: (wage_base, amounts per program, latest paid date).

    Takes the ledger text of either layout (state["ledger"], or an old state's "contributions")."""
    return ledger.ledger_months(months)


def claim_recorded(state: State, claim_id: str, summary: Mapping[str, Any], pos: Position) -> State:
    """Remember a decided claim: for duplicate detection and to re-emit its decision on replay."""
    claims = dict(state["claims"])
    claims[claim_id] = dict(summary)
    return {**state, "claims": claims, "pos": [pos.partition, pos.offset]}


def advanced(state: State, pos: Position) -> State:
    """Only the position moves (for an event that changed nothing else, e.g. a replayed one)."""
    return {**state, "pos": [pos.partition, pos.offset]}
