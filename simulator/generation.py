"""One pass of scenario generation: the `Event` tuple, and `Run`, which yields sponsors,
enrollments, program changes, contributions and claims in publishing order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from random import Random

from simulator import events as ev
from simulator import reference as ref
from simulator.claims import ClaimDraft, drafts, plan_dates
from simulator.contributions import monthly_wage, wage_permille
from simulator.identity import (
    Identities,
    bank_account,
    below,
    office_time,
    person_name,
)
from simulator.model import (
    PARTICIPANT_TOPIC,
    SPONSOR_TOPIC,
    ClaimPlan,
    Cohort,
    Person,
    Record,
    ScenarioSpec,
    Unit,
)
from simulator.planning import ENROLLMENT_BAD_KINDS
from simulator.postings import ContributionPostings

Event = tuple[str, str, str, Record]
"""(topic, key, schema full name, record)."""


class Run:
    """One pass of generation; state (issued NIKs, kept people) lives only as long as the pass."""

    def __init__(self, spec: ScenarioSpec, plans: dict[int, ClaimPlan], rng: Random) -> None:
        self.spec, self.plans, self.rng = spec, plans, rng
        self.ids = Identities(rng)
        self.claimants: list[Person] = []
        self.changes: list[tuple[str, str, str, Cohort]] = []
        self.claim_seq = 0
        self.postings = ContributionPostings(spec, rng)

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
            wage_permille=wage_permille(cohort, rng),
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

    def _contributions(self, claim_drafts: list[tuple[Person, ClaimDraft]]) -> Iterator[Event]:
        by_person: dict[str, tuple[Person, list[ClaimDraft]]] = {}
        for p, d in claim_drafts:
            by_person.setdefault(p.kpj, (p, []))[1].append(d)
        starts: dict[int, list[tuple[Person, int]]] = {}
        for p, ds in by_person.values():
            lo, hi = self.postings.window(p, ds)
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
                    self.postings.record(p, month),
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


def _flat(starts: dict[int, list[tuple[Person, int]]]) -> Iterator[tuple[Person, int]]:
    for items in starts.values():
        yield from items
