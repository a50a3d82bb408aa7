"""Heirs and children of a participant, for JKK/JKm death claims and JP survivor pensions."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from simulator.identity import add_years, person_name, random_day
from simulator.model import Record


def school_level(age: int, rng: Random) -> str:
    """School level by age; about a third of 18-22 year-olds are not at university."""
    if age < 4:
        return "NONE"
    if age < 6:
        return "TK"
    if age < 12:
        return "SD"
    if age < 15:
        return "SMP"
    if age < 18:
        return "SMA"
    return "UNIVERSITY" if rng.random() < 0.65 else "NONE"


def children(rng: Random, parent_birth: date, on: date) -> list[Record]:
    """0-3 children under 23 on `on` (older children no longer count for scholarships or JP)."""
    lo = max(add_years(parent_birth, 20), add_years(on, -22))
    hi = on - timedelta(days=30)
    if lo > hi:
        return []
    out: list[Record] = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3))):
        born = random_day(rng, lo, hi)
        age = (on - born).days // 365
        out.append({"birth_date": born, "school_level": school_level(age, rng)})
    return sorted(out, key=lambda c: c["birth_date"])


def family_name(name: str) -> str:
    parts = name.split(" ", 1)
    return parts[1] if len(parts) == 2 else ""


def heirs(rng: Random, name: str, female: bool, kids: list[Record]) -> list[Record]:
    """Spouse and children when married (most), otherwise a parent (PP 44/2015 heir order)."""
    surname = family_name(name)
    if kids or rng.random() < 0.7:
        out = [{"name": person_name(rng, not female), "relation": "SPOUSE"}]
        for _ in kids:
            child = person_name(rng, rng.random() < 0.5).split(" ")[0]
            out.append({"name": f"{child} {surname}".strip(), "relation": "CHILD"})
        return out
    return [{"name": person_name(rng, rng.random() < 0.5), "relation": "PARENT"}]
