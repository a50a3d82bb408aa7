"""The shapes a scenario is built from: units, cohorts, fundings, claim plans and people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, NamedTuple

Record = dict[str, Any]
"""An event dict ready for the Avro codec (field names exactly as in schemas/)."""

PARTICIPANT_TOPIC = "bpjs.participant-events.v1"
SPONSOR_TOPIC = "bpjs.sponsor-events.v1"


@dataclass(frozen=True, slots=True)
class Place:
    """Where people of a unit are registered: a regency and the range of its district codes."""

    regency: str
    district_lo: int
    district_hi: int


@dataclass(frozen=True, slots=True)
class Unit:
    """One enrollment batch: a work unit, village or provincial import, with its head count."""

    batch_id: str
    count: int
    province: str
    places: tuple[Place, ...]
    work_units: tuple[str | None, ...]
    branch: str
    source: str


@dataclass(frozen=True, slots=True)
class Cohort:
    """People enrolled together under the same terms (category, programs, payer, wage model)."""

    cohort_id: str
    category: str
    programs: tuple[str, ...]
    added_programs: tuple[tuple[str, date], ...]
    enrol_months: tuple[date, ...]
    units: tuple[Unit, ...]
    payer: str
    age_range: tuple[int, int]
    female_percent: int
    wage_model: str  # "ump-dki" (PU, around the Jakarta minimum wage) or "bpu-min" (lowest bracket)
    sponsor_id: str | None = None
    employer_npp: str | None = None
    risk_class: int | None = None

    @property
    def count(self) -> int:
        return sum(u.count for u in self.units)

    def has(self, program: str) -> bool:
        return program in self.programs or any(p == program for p, _ in self.added_programs)

    def since(self, program: str, enrolled_on: date) -> date | None:
        """The date a person of this cohort enrolled on starts being covered by a program."""
        if program in self.programs:
            return enrolled_on
        return next((d for p, d in self.added_programs if p == program), None)


@dataclass(frozen=True, slots=True)
class Funding:
    """One SponsoredCohortFunded period of a sponsor."""

    sponsor_id: str
    sponsor_name: str
    sponsor_kind: str
    cohort_id: str
    period_start: date
    period_end: date
    programs: tuple[str, ...]
    participant_count: int
    budget: int


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What a chosen person will claim: the program, a variant (ground/outcome/kind), a bad kind."""

    program: str
    variant: str
    bad: str | None = None


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """One published line: claims and, where the source gives it, the amount in whole Rupiah."""

    claims: int
    amount: int | None


@dataclass(frozen=True, slots=True)
class Published:
    """The figures a scenario's replay is compared with, already × `scale`, and their source.

    `total_amount` covers every program; a program whose own amount the source does not give has
    `amount=None` (its share is only in the total)."""

    source: str
    scale: float
    programs: dict[str, PublishedFigure]
    total_claims: int
    total_amount: int


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """Everything that defines a scenario before a seed turns it into events."""

    name: str
    description: str
    as_of: date
    claim_from: date
    claim_to: date
    fundings: tuple[Funding, ...]
    cohorts: tuple[Cohort, ...]
    claims: dict[str, int]
    bad: dict[str, int] = field(default_factory=dict)
    bad_cohort_id: str | None = None
    contribution_months: int = 24
    full_history_for_pu_jht: bool = True
    published: Published | None = None
    # program -> {category: share of that program's claims drawn from the category's cohorts};
    # the rest of the program's claims come from its other cohorts. A program absent here draws
    # its claimants uniformly from every cohort that has it.
    claim_shares: dict[str, dict[str, Fraction]] = field(default_factory=dict)


class Person(NamedTuple):
    """A generated participant (a NamedTuple: built 280k times, 4x cheaper than a dataclass)."""

    kpj: str
    nik: str
    name: str
    female: bool
    birth_date: date
    enrolled_on: date
    cohort: Cohort
    unit: Unit
    wage_permille: int
    plan: ClaimPlan | None
    event_date: date | None
