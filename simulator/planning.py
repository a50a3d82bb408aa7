"""Who claims what: chosen once per seed, before any event is generated, so counts are known."""

from __future__ import annotations

from fractions import Fraction
from random import Random

from simulator.identity import add_months, add_years
from simulator.model import ClaimPlan, Cohort, ScenarioSpec

# Relative weights of claim variants, read off the published mix (domain §6, §10): JHT is mostly
# exits (resignation, termination, contract end), a few age-56, partial and death claims.
JHT_GROUNDS = {
    "RESIGNATION": 84,
    "TERMINATION": 36,
    "CONTRACT_END": 56,
    "AGE_56": 12,
    "PARTIAL_10": 4,
    "PARTIAL_30": 2,
    "LEFT_INDONESIA": 1,
    "TOTAL_DISABILITY": 1,
    "DEATH": 4,
}
JKK_OUTCOMES = {"RECOVERED": 82, "PARTIAL_DISABILITY": 10, "TOTAL_DISABILITY": 2, "DEATH": 6}
JP_KINDS = {"OLD_AGE": 50, "WIDOW_WIDOWER": 25, "DISABILITY": 10, "CHILD": 10, "PARENT": 5}
_VARIANTS = {"JHT": JHT_GROUNDS, "JKK": JKK_OUTCOMES, "JP": JP_KINDS, "JKM": {"DEATH": 1}}

# Bad kinds carried by an enrolled person (a "subject"), and the claim each one submits.
SUBJECT_BAD_KINDS: dict[str, ClaimPlan] = {
    kind: ClaimPlan(program, variant, kind)
    for kind, program, variant in (
        ("jkk_and_jkm_death_same_person", "JKK", "DEATH"),
        ("bpu_claims_jp", "JP", "OLD_AGE"),
        ("jht_resignation_in_waiting_period", "JHT", "RESIGNATION"),
        ("partial_jht_under_10_years", "JHT", "PARTIAL_30"),
        ("jkk_claim_after_5_years", "JKK", "RECOVERED"),
        ("claim_after_coverage_ended", "JKK", "RECOVERED"),
    )
}
ENROLLMENT_BAD_KINDS = ("malformed_nik", "nik_birth_date_mismatch", "unknown_province")
# Claims that need no subject: an unknown KPJ, and copies of normal JHT claims.
EXTRA_CLAIM_BAD_KINDS = {
    "unknown_kpj_claim": "JKK",
    "duplicate_claim": "JHT",
    "exact_redelivery": "JHT",
}


def plan_claims(spec: ScenarioSpec, rng: Random) -> dict[int, ClaimPlan]:
    """Person index -> claim plan: the published mix first, then the bad subjects."""
    used: dict[int, ClaimPlan] = {}
    for program in ("JP", "JKK", "JKM", "JHT"):
        pool = [(lo, c) for lo, c in _offsets(spec) if c.has(program)]
        for part, k in _shares(pool, spec.claims.get(program, 0), spec.claim_shares.get(program)):
            for i, cohort in _sample(rng, part, k, used, program):
                used[i] = ClaimPlan(program, _variant(rng, program, cohort, spec))
    bad_pool = [(lo, c) for lo, c in _offsets(spec) if c.cohort_id == spec.bad_cohort_id]
    wanted = [k for k in SUBJECT_BAD_KINDS for _ in range(spec.bad.get(k, 0))]
    for kind, (i, _) in zip(wanted, _sample(rng, bad_pool, len(wanted), used, "bad"), strict=True):
        used[i] = SUBJECT_BAD_KINDS[kind]
    return used


def _shares(
    pool: list[tuple[int, Cohort]], k: int, shares: dict[str, Fraction] | None
) -> list[tuple[list[tuple[int, Cohort]], int]]:
    """The pool split by category with each part's claim count (k × share, half up; the
    categories not named share the rest). Without shares: the whole pool, k claims."""
    if not shares:
        return [(pool, k)]
    out, named = [], 0
    for category, share in shares.items():
        n = int(k * share + Fraction(1, 2))
        out.append(([(lo, c) for lo, c in pool if c.category == category], n))
        named += n
    rest = [(lo, c) for lo, c in pool if c.category not in shares]
    return [*out, (rest, k - named)]


def _offsets(spec: ScenarioSpec) -> list[tuple[int, Cohort]]:
    out, lo = [], 0
    for c in spec.cohorts:
        out.append((lo, c))
        lo += c.count
    return out


def _sample(
    rng: Random, pool: list[tuple[int, Cohort]], k: int, used: dict[int, ClaimPlan], what: str
) -> list[tuple[int, Cohort]]:
    """k distinct unplanned people of the pool (one claim per person keeps counts exact)."""
    size = sum(c.count for _, c in pool)
    taken = sum(1 for i in used if any(lo <= i < lo + c.count for lo, c in pool))
    if k > size - taken:
        raise ValueError(
            f"{what}: {k} claimants wanted but only {size - taken} people left; raise the scale"
        )
    out: list[tuple[int, Cohort]] = []
    for pos in rng.sample(range(size), min(size, k + taken)):
        for lo, c in pool:
            if pos < c.count:
                if lo + pos not in used:
                    out.append((lo + pos, c))
                break
            pos -= c.count
        if len(out) == k:
            break
    return out


def _variant(rng: Random, program: str, cohort: Cohort, spec: ScenarioSpec) -> str:
    weights = dict(_VARIANTS[program])
    if program == "JHT" and not _partial_possible(cohort, spec):
        weights.pop("PARTIAL_10")
        weights.pop("PARTIAL_30")
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _partial_possible(cohort: Cohort, spec: ScenarioSpec) -> bool:
    """Partial JHT needs ≥10 years of membership (PP 46/2015 jo PP 60/2015) inside the window."""
    latest = max(cohort.enrol_months)
    return "JHT" in cohort.programs and add_months(add_years(latest, 10), 1) < spec.claim_to
