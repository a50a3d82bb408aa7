"""JKK claim detail: accident, reports, costs, incapacity, disabilities (PP 44/2015 jo 82/2019)."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Any

from simulator import reference as ref
from simulator.family import children
from simulator.model import Person, ScenarioSpec

# Violence at the workplace counts as JKK only from Permenaker 1/2025.
_VIOLENCE_FROM = date(2025, 1, 1)
_TYPES = (
    ("WORKPLACE",) * 55
    + ("COMMUTING",) * 30
    + ("WORK_TRAVEL",) * 8
    + ("OCCUPATIONAL_DISEASE",) * 5
    + ("VIOLENCE",) * 2
)
# (incapacity days lo, hi; medical costs lo, hi in Rp) per outcome.
_SEVERITY = {
    "RECOVERED": (2, 90, 300_000, 15_000_000),
    "PARTIAL_DISABILITY": (30, 400, 5_000_000, 80_000_000),
    "TOTAL_DISABILITY": (180, 500, 20_000_000, 250_000_000),
    "DEATH": (0, 30, 0, 60_000_000),
}


def jkk_detail(
    p: Person, rng: Random, spec: ScenarioSpec, wage: int, outcome: str, accident: date
) -> tuple[dict[str, Any], date]:
    """The JkkClaimDetail dict and the day the stage-II report (the claim) is submitted."""
    kind = rng.choice(_TYPES)
    if kind == "VIOLENCE" and accident < _VIOLENCE_FROM:
        kind = "WORKPLACE"
    days_lo, days_hi, med_lo, med_hi = _SEVERITY[outcome]
    if p.plan is not None and p.plan.bad == "jkk_and_jkm_death_same_person":
        days_lo = days_hi = 0
    # Stage II is reported after the doctor's final statement; keep it before the scenario's end.
    room = max(0, (spec.as_of - accident).days - 8)
    days = min(rng.randrange(days_lo, days_hi + 1), room)
    late = rng.random() < 0.05  # a few employers miss the 2×24h stage-I deadline
    stage1 = accident + timedelta(days=rng.randrange(3, 15) if late else rng.randrange(0, 3))
    stage2 = max(stage1, accident + timedelta(days=days + rng.randrange(1, 3)))
    detail: dict[str, Any] = {
        "accident_type": kind,
        "reported_stage1_on": stage1,
        "reported_stage2_on": stage2,
        "wage": wage,
        "medical_costs": rng.randrange(med_lo, med_hi + 1) // 1_000 * 1_000,
        "transport": _transport(rng, p.unit.branch == "kepulauan-seribu"),
        "incapacity_days": days,
        "outcome": outcome,
        "disabilities": _disabilities(rng) if outcome == "PARTIAL_DISABILITY" else [],
        "left_handed": rng.random() < 0.1,
        "children": children(rng, p.birth_date, accident)
        if outcome in ("DEATH", "TOTAL_DISABILITY")
        else [],
        "heirs": [],  # a death's heir statement: simulator/claims.py
    }
    return detail, stage2 + timedelta(days=rng.randrange(0, 4))


def _transport(rng: Random, island: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if rng.random() < 0.7:
        out.append({"mode": "LAND", "amount": rng.randrange(50, 1_500) * 1_000})
    if island or rng.random() < 0.03:
        out.append({"mode": "SEA", "amount": rng.randrange(100, 1_500) * 1_000})
    if rng.random() < 0.01:
        out.append({"mode": "AIR", "amount": rng.randrange(1_000, 8_000) * 1_000})
    return out


def _disabilities(rng: Random) -> list[dict[str, Any]]:
    items = rng.sample(ref.DISABILITY_CODES, rng.choice((1, 1, 1, 2)))
    out: list[dict[str, Any]] = []
    for item in items:
        functional = item in ref.FUNCTIONAL_DISABILITY_CODES and rng.random() < 0.5
        out.append(
            {"item": item, "function_lost_percent": rng.randrange(25, 76) if functional else None}
        )
    return out
