"""The Scenario: its expected counts up front and a generator of events in publishing order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from services.simulator import events as ev
from services.simulator import reference as ref
from services.simulator.claims import ClaimDraft, drafts, plan_dates
from services.simulator.contributions import amounts, monthly_wage
from services.simulator.identity import (
    Identities,
    bank_account,
    below,
    office_time,
    person_name,
)
from services.simulator.model import (
    PARTICIPANT_TOPIC,
    SPONSOR_TOPIC,
    ClaimPlan,
    Cohort,
    Person,
    Record,
    ScenarioSpec,
    Unit,
)
from services.simulator.planning import (
    ENROLLMENT_BAD_KINDS,
    EXTRA_CLAIM_BAD_KINDS,
    SUBJECT_BAD_KINDS,
    plan_claims,
)

Event = tuple[str, str, str, Record]
"""(topic, key, schema full name, record)."""


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
        return _Run(self.spec, self._plans, Random(f"{self.spec.name}:{self.seed}:events")).run()


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


class _Run:
    """One pass of generation; state (issued NIKs, kept people) lives only as long as the pass."""

    def __init__(self, spec: ScenarioSpec, plans: dict[int, ClaimPlan], rng: Random) -> None:
        self.spec, self.plans, self.rng = spec, plans, rng
        self.ids = Identities(rng)
        self.claimants: list[Person] = []
        self.changes: list[tuple[str, str, str, Cohort]] = []
        self.claim_seq = 0
        # Contribution terms repeat across claimants: (cohort, wage level, month) -> terms.
        self._terms: dict[tuple[str, int, int], _Terms] = {}

    def run(self) -> Iterator[Event]:
        rng = self.rng
        for f in self.spec.fundings:
            at = office_time(f.period_start - timedelta(days=14), rng)
            yield (
                SPONSOR_TOPIC,
                f.sponsor_id,
                "bpjs.enrollment.SponsoredCohortFunded",
                ev.cohort_funded(rng, f, at),
            )
        index = 0
        for cohort in self.spec.cohorts:
            for u, unit in enumerate(cohort.units):
                yield from self._batch(cohort, unit, index, first=u == 0)
                index += unit.count
        yield from self._program_changes()
        claim_drafts = [(p, d) for p in self.claimants for d in self._drafts(p)]
        yield from self._contributions(claim_drafts)
        yield from self._claims(claim_drafts)

    # -- enrollment -------------------------------------------------------------------------
    def _batch(self, cohort: Cohort, unit: Unit, index: int, first: bool) -> Iterator[Event]:
        rng, name = self.rng, "bpjs.enrollment.ParticipantEnrolled"
        for i in range(index, index + unit.count):
            p = self._person(cohort, unit, self.plans.get(i))
            yield PARTICIPANT_TOPIC, p.kpj, name, self._enrolled(p)
        extra = 0
        if first and cohort.cohort_id == self.spec.bad_cohort_id:
            for kind in ENROLLMENT_BAD_KINDS:
                for _ in range(self.spec.bad.get(kind, 0)):
                    p = self._person(cohort, unit, None, keep=False, bad=kind)
                    yield PARTICIPANT_TOPIC, p.kpj, name, self._enrolled(p)
                    extra += 1
        at = office_time(min(cohort.enrol_months) - timedelta(days=1), rng)
        # Keyed by sponsor; an employer's (PU) batch has no sponsor, so its NPP stands in.
        key = cohort.sponsor_id or cohort.employer_npp or unit.batch_id
        yield (
            SPONSOR_TOPIC,
            key,
            "bpjs.enrollment.EnrollmentBatchCompleted",
            ev.batch_completed(rng, unit, cohort.sponsor_id, unit.count + extra, at),
        )

    def _person(
        self,
        cohort: Cohort,
        unit: Unit,
        plan: ClaimPlan | None,
        keep: bool = True,
        bad: str | None = None,
        kpj_prefix: str | None = None,
    ) -> Person:
        rng = self.rng
        enrolled_on = cohort.enrol_months[below(rng, len(cohort.enrol_months))]
        female = below(rng, 100) < cohort.female_percent
        event_date = birth = None
        if plan is not None:
            event_date, birth = plan_dates(plan, cohort, enrolled_on, rng, self.spec)
        if birth is None:
            lo, hi = cohort.age_range
            birth = date.fromordinal(
                enrolled_on.toordinal() - lo * 365 - below(rng, (hi - lo) * 365)
            )
        place = unit.places[below(rng, len(unit.places))]
        district = place.district_lo + below(rng, place.district_hi - place.district_lo + 1)
        province = ref.UNKNOWN_PROVINCE_CODE if bad == "unknown_province" else unit.province
        nik_birth = (
            birth.replace(year=birth.year - 1, day=min(birth.day, 28))
            if bad == "nik_birth_date_mismatch"
            else birth
        )
        nik = self.ids.nik(province, place.regency, district, nik_birth, female)
        if bad == "malformed_nik":
            nik = nik[:-1]  # 15 digits: a digit lost when the sponsor's spreadsheet was keyed in
        person = Person(
            kpj=self.ids.kpj(enrolled_on, kpj_prefix),
            nik=nik,
            name=person_name(rng, female),
            female=female,
            birth_date=birth,
            enrolled_on=enrolled_on,
            cohort=cohort,
            unit=unit,
            wage_permille=1_000 + below(rng, 150) if cohort.wage_model == "ump-dki" else 1_000,
            plan=plan,
            event_date=event_date,
        )
        if keep and plan is not None:
            self.claimants.append(person)
        if keep and cohort.added_programs:
            self.changes.append((person.kpj, person.nik, unit.source, cohort))
        return person

    def _enrolled(self, p: Person) -> Record:
        rng = self.rng
        units = p.unit.work_units
        work_unit = units[0] if len(units) == 1 else units[below(rng, len(units))]
        wage = monthly_wage(p.cohort, p.wage_permille, p.enrolled_on.year)
        at = office_time(p.enrolled_on - timedelta(days=1 + below(rng, 14)), rng)
        return ev.enrolled(rng, p, work_unit, wage, at)

    def _program_changes(self) -> Iterator[Event]:
        rng, name = self.rng, "bpjs.enrollment.ProgramsChanged"
        for kpj, nik, source, cohort in self.changes:
            notice = cohort.added_programs[0][1] - timedelta(days=rng.randrange(5, 20))
            at = office_time(notice, rng)
            yield (
                PARTICIPANT_TOPIC,
                kpj,
                name,
                ev.programs_added(rng, kpj, nik, cohort.added_programs, at, source),
            )

    # -- contributions ----------------------------------------------------------------------
    def _drafts(self, p: Person) -> list[ClaimDraft]:
        assert p.event_date is not None
        return drafts(
            p, self.rng, self.spec, monthly_wage(p.cohort, p.wage_permille, p.event_date.year)
        )

    def _window(self, p: Person, claims: list[ClaimDraft]) -> tuple[int, int]:
        """Months (year*12+month-1) of contributions posted for a claimant, both ends included."""
        last = min(
            min(d.event_date for d in claims),
            min((d.ended[0] for d in claims if d.ended), default=date.max),
        )
        end = last.year * 12 + last.month - 1
        first = p.enrolled_on.year * 12 + p.enrolled_on.month - 1
        assert p.plan is not None
        full = p.plan.program == "JP" or (
            p.plan.program == "JHT"
            and p.cohort.category == "PU"
            and self.spec.full_history_for_pu_jht
        )
        return (first if full else max(first, end - self.spec.contribution_months + 1)), end

    def _contributions(self, claim_drafts: list[tuple[Person, ClaimDraft]]) -> Iterator[Event]:
        by_person: dict[str, tuple[Person, list[ClaimDraft]]] = {}
        for p, d in claim_drafts:
            by_person.setdefault(p.kpj, (p, []))[1].append(d)
        starts: dict[int, list[tuple[Person, int]]] = {}
        for p, ds in by_person.values():
            lo, hi = self._window(p, ds)
            starts.setdefault(lo, []).append((p, hi))
        active: list[tuple[Person, int]] = []
        for month in range(
            min(starts, default=0), max((h for _, h in _flat(starts)), default=-1) + 1
        ):
            active = [a for a in active if a[1] >= month] + starts.get(month, [])
            for p, _ in active:
                yield (
                    PARTICIPANT_TOPIC,
                    p.kpj,
                    "bpjs.contribution.ContributionPosted",
                    self._contribution(p, month),
                )

    def _contribution(self, p: Person, month: int) -> Record:
        key = (p.cohort.cohort_id, p.wage_permille, month)
        terms = self._terms.get(key) or self._terms.setdefault(key, _month_terms(p, month))
        period, paid_days, wage, pairs = terms
        rnd = self.rng.random
        paid, office_open = paid_days[int(rnd() * len(paid_days))]
        at = office_open + timedelta(seconds=int(rnd() * 8 * 3600))
        return ev.contribution(
            self.rng,
            p,
            period,
            wage,
            p.cohort.payer,
            paid,
            [{"program": prog, "amount": amount} for prog, amount in pairs],
            at,
        )

    # -- claims -----------------------------------------------------------------------------
    def _claims(self, claim_drafts: list[tuple[Person, ClaimDraft]]) -> Iterator[Event]:
        rng = self.rng
        late: list[tuple[datetime, int, Event]] = []
        normal_jht: list[Event] = []
        for p, d in claim_drafts:
            if d.ended is not None:
                at = office_time(d.ended[0], rng)
                ended = ev.coverage_ended(rng, p, d.ended[0], d.ended[1], at)
                late.append(
                    (
                        at,
                        len(late),
                        (PARTICIPANT_TOPIC, p.kpj, "bpjs.enrollment.CoverageEnded", ended),
                    )
                )
            event = self._claim(p.kpj, p.nik, d)
            late.append((event[3]["occurred_at"], len(late), event))
            if d.program == "JHT" and p.plan is not None and p.plan.bad is None:
                normal_jht.append(event)
        for _ in range(self.spec.bad.get("unknown_kpj_claim", 0)):
            event = self._unknown_kpj_claim()
            late.append((event[3]["occurred_at"], len(late), event))
        n_dup = self.spec.bad.get("duplicate_claim", 0)
        n_redo = self.spec.bad.get("exact_redelivery", 0)
        if n_dup + n_redo > len(normal_jht):
            raise ValueError("not enough JHT claims to copy for duplicates; raise the scale")
        picked = rng.sample(normal_jht, n_dup + n_redo)
        for original in picked[:n_dup]:
            copy = self._resubmitted(original)
            late.append((copy[3]["occurred_at"], len(late), copy))
        redeliver = {e[3]["event_id"] for e in picked[n_dup:]}
        late.sort(key=lambda t: (t[0], t[1]))
        for _, _, event in late:
            yield event
            if event[3]["event_id"] in redeliver:  # the producer retried: same bytes again
                yield event[0], event[1], event[2], dict(event[3])

    def _claim(self, kpj: str, nik: str, d: ClaimDraft) -> Event:
        rng = self.rng
        self.claim_seq += 1
        claim_id = f"CLM{d.submitted:%Y%m}{self.claim_seq:07d}"
        bank, account = bank_account(rng)
        payee = {"name": d.payee_name, "bank_code": bank, "account_number": account}
        record = ev.claim(
            rng,
            claim_id,
            kpj,
            nik,
            d.program,
            d.event_date,
            payee,
            d.detail,
            office_time(d.submitted, rng),
            d.source,
        )
        return PARTICIPANT_TOPIC, kpj, "bpjs.claim.ClaimSubmitted", record

    def _resubmitted(self, original: Event) -> Event:
        """The same insured event claimed again, under a new claim id, a few days later."""
        rng = self.rng
        rec = dict(original[3])
        self.claim_seq += 1
        submitted = rec["occurred_at"] + timedelta(days=rng.randrange(2, 11))
        rec |= {
            "event_id": ev.envelope(rng, submitted, "")["event_id"],
            "claim_id": f"CLM{submitted:%Y%m}{self.claim_seq:07d}",
            "occurred_at": submitted,
            "source": "jmo-app",
        }
        return original[0], original[1], original[2], rec

    def _unknown_kpj_claim(self) -> Event:
        """A JKK claim quoting a KPJ no cohort was issued (a typo at the branch, say)."""
        cohort = next(c for c in self.spec.cohorts if c.cohort_id == self.spec.bad_cohort_id)
        plan = ClaimPlan("JKK", "RECOVERED", "unknown_kpj_claim")
        p = self._person(cohort, cohort.units[0], plan, keep=False, kpj_prefix="99")
        return self._claim(p.kpj, p.nik, self._drafts(p)[0])


_Terms = tuple[str, tuple[tuple[date, datetime], ...], int, tuple[tuple[str, int], ...]]
"""(period "YYYY-MM", possible (paid day, 08:00 WIB that day), wage base, (program, amount))."""


def _month_terms(p: Person, month: int) -> _Terms:
    """Programs in force, wage and amounts for a month (enrolment is always on a 1st)."""
    year, mon, c = month // 12, month % 12 + 1, p.cohort
    first = date(year, mon, 1)
    programs = tuple(
        prog
        for prog in ("JHT", "JKK", "JKM", "JP")
        if (since := c.since(prog, p.enrolled_on)) is not None and since <= first
    )
    wage = monthly_wage(c, p.wage_permille, year)
    # PU pay by the 15th of the next month, BPU by the 15th of the same month (domain §2.2).
    paid = date(year + mon // 12, mon % 12 + 1, 4) if c.category == "PU" else date(year, mon, 3)
    days = tuple(paid + timedelta(days=k) for k in range(10))
    return (
        f"{year:04d}-{mon:02d}",
        tuple((d, office_time(d, _OPENING)) for d in days),
        wage,
        amounts(c, programs, wage, year, mon),
    )


class _Opening(Random):
    """A stand-in generator whose draws are always 0: office_time() then gives 08:00 WIB."""

    def random(self) -> float:
        return 0.0


_OPENING = _Opening()


def _flat(starts: dict[int, list[tuple[Person, int]]]) -> Iterator[tuple[Person, int]]:
    for items in starts.values():
        yield from items
