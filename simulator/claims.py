"""Claim drafts: when the insured event happens, when it is claimed and with which detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random
from typing import Any

from simulator import reference as ref
from simulator.claims_jkk import jkk_detail
from simulator.family import children, heirs
from simulator.identity import add_months, add_years, random_day
from simulator.model import ClaimPlan, Cohort, Person, ScenarioSpec

EXIT_REASONS = {
    "RESIGNATION": "RESIGNED",
    "TERMINATION": "TERMINATED",
    "CONTRACT_END": "CONTRACT_ENDED",
    "LEFT_INDONESIA": "LEFT_INDONESIA",
    "DEATH": "DIED",
}
_WAITING_GROUNDS = ("RESIGNATION", "TERMINATION")  # 1-month wait: Permenaker 4/2022


@dataclass(frozen=True, slots=True)
class ClaimDraft:
    """A claim before ids are drawn; `ended` is a CoverageEnded (date, reason) to publish first."""

    program: str
    event_date: date
    submitted: date
    detail: tuple[str, dict[str, Any]]
    payee_name: str
    source: str
    ended: tuple[date, str] | None = None


def plan_dates(
    plan: ClaimPlan, cohort: Cohort, enrolled_on: date, rng: Random, spec: ScenarioSpec
) -> tuple[date, date | None]:
    """The insured event's date and, for age-based claims, the birth date it forces."""
    lo, hi = spec.claim_from, spec.claim_to
    if plan.bad == "jkk_claim_after_5_years":
        return random_day(
            rng, max(add_years(enrolled_on, 1), date(2018, 1, 1)), date(2019, 6, 30)
        ), None
    if plan.bad == "claim_after_coverage_ended":
        return random_day(rng, lo, hi - timedelta(days=120)), None
    if plan.variant in ("PARTIAL_10", "PARTIAL_30") and plan.bad is None:
        lo = max(lo, add_months(add_years(enrolled_on, 10), 1))
    day = random_day(rng, lo, hi)
    if plan.variant == "AGE_56":
        return day, add_years(day, -ref.JHT_AGE)
    if plan.variant == "OLD_AGE":
        return day, add_years(day, -ref.jp_retirement_age(day.year))
    return day, None


def drafts(p: Person, rng: Random, spec: ScenarioSpec, wage: int) -> list[ClaimDraft]:
    """The claims a planned person submits (two for the JKK-and-JKm-death bad case)."""
    assert p.plan is not None and p.event_date is not None
    plan, day = p.plan, p.event_date
    branch = f"branch-{p.unit.branch}"
    if plan.bad == "jkk_and_jkm_death_same_person":
        jkk = _jkk(p, rng, spec, wage, "DEATH", day, branch)
        jkm = _jkm(p, rng, spec, day, branch)
        return [jkk, ClaimDraft("JKM", day, jkm.submitted, jkm.detail, jkm.payee_name, branch)]
    if plan.program == "JHT":
        return [_jht(p, rng, spec, plan, day, branch)]
    if plan.program == "JKK":
        if plan.bad == "claim_after_coverage_ended":
            accident = day + timedelta(days=rng.randrange(30, 91))
            draft = _jkk(p, rng, spec, wage, plan.variant, accident, branch)
            return [
                ClaimDraft(
                    draft.program,
                    accident,
                    draft.submitted,
                    draft.detail,
                    draft.payee_name,
                    branch,
                    (day, "CONTRACT_ENDED"),
                )
            ]
        return [_jkk(p, rng, spec, wage, plan.variant, day, branch)]
    if plan.program == "JKM":
        return [_jkm(p, rng, spec, day, branch)]
    return [_jp(p, rng, spec, plan.variant, day, branch)]


def _submitted(rng: Random, day: date, lo_days: int, spec: ScenarioSpec) -> date:
    return min(spec.as_of, day + timedelta(days=rng.randrange(lo_days, 62)))


def _jht(
    p: Person, rng: Random, spec: ScenarioSpec, plan: ClaimPlan, day: date, branch: str
) -> ClaimDraft:
    ground = plan.variant
    if plan.bad == "jht_resignation_in_waiting_period":
        submitted = day + timedelta(days=rng.randrange(3, 21))
    elif ground in _WAITING_GROUNDS:
        submitted = _submitted(rng, day, 32, spec)  # 32 days is past any 1-month wait
    elif ground in ("PARTIAL_10", "PARTIAL_30"):
        submitted = day
    else:
        submitted = _submitted(rng, day, 3, spec)
    exits = (ground in EXIT_REASONS and ground != "DEATH") or ground == "AGE_56"
    detail: dict[str, Any] = {"ground": ground, "exit_date": day if exits else None, "heirs": []}
    payee = p.name
    if ground == "DEATH":
        detail["heirs"] = heirs(rng, p.name, p.female, [])
        payee = detail["heirs"][0]["name"]
    source = "jmo-app" if ground != "DEATH" and rng.random() < 0.5 else branch
    reason = EXIT_REASONS.get(ground)
    ended = (day, reason) if reason else None
    return ClaimDraft(
        "JHT", day, submitted, ("bpjs.claim.JhtClaimDetail", detail), payee, source, ended
    )


def _jkk(
    p: Person, rng: Random, spec: ScenarioSpec, wage: int, outcome: str, accident: date, branch: str
) -> ClaimDraft:
    detail, submitted = jkk_detail(p, rng, spec, wage, outcome, accident)
    if p.plan is not None and p.plan.bad == "jkk_claim_after_5_years":
        submitted = add_years(accident, 5) + timedelta(days=rng.randrange(30, 200))
    payee = p.name
    ended = None
    if outcome == "DEATH":
        detail["heirs"] = heirs(rng, p.name, p.female, detail["children"])
        payee = detail["heirs"][0]["name"]
        ended = (accident, "DIED")
    return ClaimDraft(
        "JKK", accident, submitted, ("bpjs.claim.JkkClaimDetail", detail), payee, branch, ended
    )


def _jkm(p: Person, rng: Random, spec: ScenarioSpec, day: date, branch: str) -> ClaimDraft:
    kids = children(rng, p.birth_date, day)
    heir_list = heirs(rng, p.name, p.female, kids)
    detail = {"heirs": heir_list, "children": kids, "during_placement": False}
    return ClaimDraft(
        "JKM",
        day,
        _submitted(rng, day, 7, spec),
        ("bpjs.claim.JkmClaimDetail", detail),
        heir_list[0]["name"],
        branch,
        (day, "DIED"),
    )


def _jp(
    p: Person, rng: Random, spec: ScenarioSpec, kind: str, day: date, branch: str
) -> ClaimDraft:
    payee, ended, survivors = p.name, None, []
    if kind in ("WIDOW_WIDOWER", "CHILD", "PARENT"):
        kids = children(rng, p.birth_date, day)
        family = heirs(rng, p.name, p.female, kids)
        wanted = {"WIDOW_WIDOWER": "SPOUSE", "CHILD": "CHILD", "PARENT": "PARENT"}[kind]
        payee = next((h["name"] for h in family if h["relation"] == wanted), family[0]["name"])
        # The survivors the pension is for (a child pension: the widow(er) has died or remarried;
        # a parent pension: no spouse or child). The claimant is one of them.
        survivors = [h for h in family if h["relation"] == wanted] or [
            {"name": payee, "relation": wanted}
        ]
        ended = (day, "DIED")
    return ClaimDraft(
        "JP",
        day,
        _submitted(rng, day, 7, spec),
        ("bpjs.claim.JpClaimDetail", {"kind": kind, "heirs": survivors}),
        payee,
        branch,
        ended,
    )
