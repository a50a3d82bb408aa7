"""Programs, participant categories, and which programs each category may hold."""

from __future__ import annotations

from enum import StrEnum


class Program(StrEnum):
    """The four BPJS Ketenagakerjaan programs the claims service pays."""

    JHT = "JHT"
    JKK = "JKK"
    JKM = "JKM"
    JP = "JP"


class Category(StrEnum):
    """Participant segment (PP 44/2015 Pasal 5 jo PP 49/2023; Permenaker 44/2015; 4/2023)."""

    PU = "PU"
    BPU = "BPU"
    JAKON = "JAKON"
    PMI = "PMI"


# Entitlement matrix (PP 45/2015: no JP for BPU; Jakon Permenaker 44/2015 → 5/2021; PMI
# Permenaker 4/2023). PU may hold JP only at medium/large firms (Perpres 109/2013 Pasal 6,
# unconfirmed); firm size is not on the event, so the enrollment periods decide for PU.
ENTITLEMENT: dict[Category, frozenset[Program]] = {
    Category.PU: frozenset({Program.JKK, Program.JKM, Program.JHT, Program.JP}),
    Category.BPU: frozenset({Program.JKK, Program.JKM, Program.JHT}),
    Category.JAKON: frozenset({Program.JKK, Program.JKM}),
    Category.PMI: frozenset({Program.JKK, Program.JKM, Program.JHT}),
}


def may_hold(category: Category, program: Program) -> bool:
    """Whether a category may hold a program (PP 45/2015: no JP for BPU; Permenaker 44/2015)."""
    return program in ENTITLEMENT[category]
