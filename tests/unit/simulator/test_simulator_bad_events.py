"""Each deliberately bad or edge event is present exactly as often as `expected["bad"]` says.

The detectors below look only at the event stream, so they also prove that the normal data never
trips one of them by accident.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from simulator_checks import nik_problem

from simulator import JAKARTA_BAD

CLAIM = "bpjs.claim.ClaimSubmitted"


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError


def _years_later(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def detect(events: list) -> Counter[str]:
    found: Counter[str] = Counter()
    enrolled: dict[str, dict] = {}
    ended: dict[str, date] = {}
    claims: list[dict] = []
    seen_ids: Counter[str] = Counter()
    for _, _, name, r in events:
        seen_ids[r["event_id"]] += 1
        if name == "bpjs.enrollment.ParticipantEnrolled":
            enrolled[r["kpj"]] = r
            problem = nik_problem(r["nik"], r["birth_date"])
            kind = {
                "format": "malformed_nik",
                "birth_date": "nik_birth_date_mismatch",
                "province": "unknown_province",
            }.get(problem or "")
            if kind:
                found[kind] += 1
        elif name == "bpjs.enrollment.CoverageEnded":
            ended[r["kpj"]] = r["end_date"]
        elif name == CLAIM and seen_ids[r["event_id"]] == 1:
            claims.append(r)
    found["exact_redelivery"] = sum(1 for n in seen_ids.values() if n > 1)
    same_event = defaultdict(set)
    deaths = defaultdict(set)
    for c in claims:
        same_event[(c["kpj"], c["program"], c["event_date"])].add(c["claim_id"])
        kind, detail = c["detail"]
        person = enrolled.get(c["kpj"])
        submitted = c["occurred_at"].date()
        if person is None:
            found["unknown_kpj_claim"] += 1
            continue
        if c["program"] == "JP" and person["category"] == "BPU":
            found["bpu_claims_jp"] += 1
        if c["program"] == "JKM" or detail.get("outcome") == "DEATH":
            deaths[c["kpj"]].add(c["program"])
        ground = detail.get("ground")
        if ground in ("RESIGNATION", "TERMINATION") and submitted < _add_months(
            detail["exit_date"], 1
        ):
            found["jht_resignation_in_waiting_period"] += 1
        if ground in ("PARTIAL_10", "PARTIAL_30") and c["event_date"] < _years_later(
            person["enrolled_on"], 10
        ):
            found["partial_jht_under_10_years"] += 1
        if c["program"] == "JKK" and submitted > _years_later(c["event_date"], 5):
            found["jkk_claim_after_5_years"] += 1
        if c["kpj"] in ended and c["event_date"] > ended[c["kpj"]]:
            found["claim_after_coverage_ended"] += 1
    found["duplicate_claim"] = sum(len(ids) - 1 for ids in same_event.values())
    found["jkk_and_jkm_death_same_person"] = sum(
        1 for programs in deaths.values() if programs == {"JKK", "JKM"}
    )
    return +found


def test_jakarta_lists_every_bad_kind_of_the_brief(jakarta_small) -> None:
    scenario, _ = jakarta_small
    assert scenario.expected["bad"] == JAKARTA_BAD
    assert all(n >= 1 for n in JAKARTA_BAD.values())
    assert len(JAKARTA_BAD) == 12


@pytest.mark.parametrize("kind", sorted(JAKARTA_BAD))
def test_each_bad_kind_is_present_exactly_as_often_as_expected(jakarta_small, kind: str) -> None:
    scenario, events = jakarta_small
    assert detect(events)[kind] == scenario.expected["bad"][kind]


def test_the_other_scenarios_carry_no_bad_events(other_small) -> None:
    scenario, events = other_small
    assert detect(events) == Counter()
    assert not any(scenario.expected["bad"].values())


def test_an_exact_redelivery_repeats_the_very_same_record_right_away(jakarta_small) -> None:
    _, events = jakarta_small
    repeats = [
        i for i in range(1, len(events)) if events[i][3]["event_id"] == events[i - 1][3]["event_id"]
    ]
    assert len(repeats) == JAKARTA_BAD["exact_redelivery"]
    for i in repeats:
        assert events[i] == events[i - 1]
        assert events[i][2] == CLAIM
