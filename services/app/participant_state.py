"""A participant's state as the adjudicator holds it: JSON-shaped, changed only by pure transitions.

The state lives in a Faust table (changelog-backed) keyed by KPJ number; it never holds a clear NIK,
only its keyed hash. Each transition records the position it applied, so a replayed message (offset
at or below `pos`) is recognised and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

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
        "contributions": {},
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
    """Record one paid month. A second posting for the same month (a correction or a top-up)
    adds to what was paid; the same posting delivered twice (same event_id) is applied once."""
    contributions = dict(state["contributions"])
    period, event_id = event["period"], event["event_id"]
    amounts = {a["program"]: int(a["amount"]) for a in event["amounts"]}
    seen: list[str] = []
    previous = contributions.get(period)
    if previous is not None:
        seen = list(previous[4])
        if event_id in seen:
            return advanced(state, pos)
        for program, amount in previous[1].items():
            amounts[program] = amounts.get(program, 0) + int(amount)
    contributions[period] = [
        int(event["wage_base"]),
        amounts,
        iso(event["paid_date"]),
        event["payer"],
        [*seen, event_id],
    ]
    return {**state, "contributions": contributions, "pos": [pos.partition, pos.offset]}


def claim_recorded(state: State, claim_id: str, summary: Mapping[str, Any], pos: Position) -> State:
    """Remember a decided claim: for duplicate detection and to re-emit its decision on replay."""
    claims = dict(state["claims"])
    claims[claim_id] = dict(summary)
    return {**state, "claims": claims, "pos": [pos.partition, pos.offset]}


def advanced(state: State, pos: Position) -> State:
    """Only the position moves (for an event that changed nothing else, such as a rejected claim)."""
    return {**state, "pos": [pos.partition, pos.offset]}
