"""The Scenario: its expected counts up front and a generator of events in publishing order."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random
from typing import Any

from simulator.generation import Event, Run
from simulator.model import ScenarioSpec
from simulator.planning import (
    ENROLLMENT_BAD_KINDS,
    EXTRA_CLAIM_BAD_KINDS,
    SUBJECT_BAD_KINDS,
    plan_claims,
)


class Scenario:
    """A seeded scenario. `events()` can be called again and yields the identical sequence."""

    def __init__(self, spec: ScenarioSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self._plans = plan_claims(spec, Random(f"{spec.name}:{seed}:plan"))
        self.expected: dict[str, Any] = _expected(spec)

    @property
    def name(self) -> str:
        return self.spec.name

    def events(self) -> Iterator[Event]:
        """Sponsors, enrollments + batch ends, program changes, contributions, then claims."""
        return Run(self.spec, self._plans, Random(f"{self.spec.name}:{self.seed}:events")).run()


def _expected(spec: ScenarioSpec) -> dict[str, Any]:
    bad = {
        k: spec.bad.get(k, 0)
        for k in (*ENROLLMENT_BAD_KINDS, *SUBJECT_BAD_KINDS, *EXTRA_CLAIM_BAD_KINDS)
    }
    claim_events = dict(spec.claims)
    for kind, n in bad.items():
        programs: tuple[str, ...] = ()
        if kind == "jkk_and_jkm_death_same_person":
            programs = ("JKK", "JKM")
        elif kind in SUBJECT_BAD_KINDS:
            programs = (SUBJECT_BAD_KINDS[kind].program,)
        elif kind in EXTRA_CLAIM_BAD_KINDS:
            programs = (EXTRA_CLAIM_BAD_KINDS[kind],)
        for program in programs:
            claim_events[program] = claim_events.get(program, 0) + n
    participants = {c.cohort_id: c.count for c in spec.cohorts}
    return {
        "participants": participants,
        "enrollments": sum(participants.values()) + sum(bad[k] for k in ENROLLMENT_BAD_KINDS),
        "batches": sum(len(c.units) for c in spec.cohorts),
        "fundings": len(spec.fundings),
        "program_changes": sum(c.count for c in spec.cohorts if c.added_programs),
        "claims": dict(spec.claims),
        "claim_events": claim_events,
        "bad": bad,
    }
