"""The scenarios: determinism, published counts, valid identifiers, ordering, money, schemas."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from random import Random

import fastavro
import pytest
from simulator_checks import nik_problem

from simulator import SCENARIOS, build_scenario
from simulator.__main__ import main
from simulator.planning import plan_claims

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
CLAIM = "bpjs.claim.ClaimSubmitted"


def test_the_same_seed_gives_a_byte_identical_event_sequence() -> None:
    first = build_scenario("jakarta-2016", seed=11, scale=0.005)
    again = build_scenario("jakarta-2016", seed=11, scale=0.005)
    other = build_scenario("jakarta-2016", seed=12, scale=0.005)
    assert repr(list(first.events())) == repr(list(again.events()))
    assert repr(list(first.events())) == repr(list(first.events()))  # events() can be replayed
    assert repr(list(first.events())) != repr(list(other.events()))


def test_full_scale_expectations_match_the_published_figures() -> None:
    jakarta = build_scenario("jakarta-2016", seed=2016).expected
    assert jakarta["participants"] == {
        "dki-sanitation-2015": 13_526,
        "dki-ppsu-2015": 18_000,
        "pemprov-dki-bpu-2016": 250_000,
    }
    assert jakarta["claims"] == {"JHT": 34_685, "JKK": 474, "JKM": 239, "JP": 54}
    assert jakarta["fundings"] == 11  # 2016-03 .. 2026-03, renewed yearly
    kemensos = build_scenario("kemensos-2024", seed=1).expected
    assert kemensos["participants"] == {"kemensos-bpu-2024": 102_000}
    jambi = build_scenario("jambi-2025", seed=1).expected
    assert jambi["participants"] == {"jambi-desa-2025": 78_000}
    assert jambi["batches"] == 1_562


def test_full_scale_enrollments_are_generated_as_expected_without_keeping_them() -> None:
    scenario = build_scenario("jambi-2025", seed=3)
    counts = Counter(name for _, _, name, _ in scenario.events())
    assert counts[ENROLLED] == 78_000
    assert counts["bpjs.enrollment.EnrollmentBatchCompleted"] == 1_562


def test_small_scale_counts_are_proportional_and_match_what_is_generated(jakarta_small) -> None:
    scenario, events = jakarta_small
    exp = scenario.expected
    assert exp["participants"] == {
        "dki-sanitation-2015": 135,
        "dki-ppsu-2015": 180,
        "pemprov-dki-bpu-2016": 2_500,
    }
    assert exp["claims"] == {"JHT": 347, "JKK": 5, "JKM": 2, "JP": 1}
    counts = Counter(name for _, _, name, _ in events)
    assert counts[ENROLLED] == exp["enrollments"]
    assert counts["bpjs.enrollment.EnrollmentBatchCompleted"] == exp["batches"]
    assert counts["bpjs.enrollment.SponsoredCohortFunded"] == exp["fundings"]
    assert counts["bpjs.enrollment.ProgramsChanged"] == exp["program_changes"]
    claims = Counter(r["program"] for _, _, name, r in events if name == CLAIM)
    assert dict(claims) == exp["claim_events"]


def test_batches_announce_exactly_the_enrollments_they_carried(jakarta_small) -> None:
    _, events = jakarta_small
    carried = Counter(r["batch_id"] for _, _, name, r in events if name == ENROLLED)
    announced = {
        r["batch_id"]: r["expected_count"]
        for _, _, name, r in events
        if name == "bpjs.enrollment.EnrollmentBatchCompleted"
    }
    assert announced == dict(carried)


def test_every_nik_is_valid_and_agrees_with_its_birth_date_apart_from_the_bad_ones(
    jakarta_small, other_small
) -> None:
    for scenario, events in (jakarta_small, other_small):
        enrolled = [r for _, _, name, r in events if name == ENROLLED]
        problems = Counter(nik_problem(r["nik"], r["birth_date"]) for r in enrolled)
        bad = scenario.expected["bad"]
        assert problems == Counter(
            {
                None: len(enrolled)
                - sum(
                    bad.get(k, 0)
                    for k in ("malformed_nik", "nik_birth_date_mismatch", "unknown_province")
                )
            }
            | {
                k: n
                for k, n in (
                    ("format", bad.get("malformed_nik", 0)),
                    ("birth_date", bad.get("nik_birth_date_mismatch", 0)),
                    ("province", bad.get("unknown_province", 0)),
                )
                if n
            }
        )
        assert len({r["nik"] for r in enrolled}) == len(enrolled)
        kpjs = [r["kpj"] for r in enrolled]
        assert len(set(kpjs)) == len(kpjs)
        assert all(len(k) == 11 and k.isdigit() for k in kpjs)


def test_jakarta_and_jambi_people_carry_their_province_code(jakarta_small) -> None:
    _, events = jakarta_small
    codes = Counter(r["nik"][:4] for _, _, n, r in events if n == ENROLLED)
    assert {c[:2] for c in codes} <= {"31", "20"}
    assert {c[2:] for c in codes if c[:2] == "31"} <= {"71", "72", "73", "74", "75", "01"}
    jambi = build_scenario("jambi-2025", seed=1, scale=0.01)
    assert {r["nik"][:2] for _, _, n, r in jambi.events() if n == ENROLLED} == {"15"}


def test_no_participant_event_precedes_its_enrollment_and_sponsors_come_first(
    jakarta_small, other_small
) -> None:
    for _, events in (jakarta_small, other_small):
        enrolled: set[str] = set()
        sponsors_done = False
        for topic, key, name, record in events:
            if name == "bpjs.enrollment.SponsoredCohortFunded":
                assert not sponsors_done, "funding after enrollments started"
                continue
            sponsors_done = True
            if name == ENROLLED:
                enrolled.add(key)
            elif topic == "bpjs.participant-events.v1":
                assert key == record["kpj"]
                assert key in enrolled or key.startswith("99"), name  # 99…: the unknown-KPJ claim


def test_claims_come_after_every_contribution_and_contributions_in_period_order(
    jakarta_small,
) -> None:
    _, events = jakarta_small
    names = [name for _, _, name, _ in events]
    last_contribution = max(i for i, n in enumerate(names) if n.endswith("ContributionPosted"))
    first_claim = names.index(CLAIM)
    assert last_contribution < first_claim
    periods = [r["period"] for _, _, n, r in events if n.endswith("ContributionPosted")]
    assert periods == sorted(periods)


def test_money_values_are_ints_and_never_negative(jakarta_small, other_small) -> None:
    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, path)
        elif isinstance(value, float):
            raise AssertionError(f"float at {path}")
        elif isinstance(value, int) and not isinstance(value, bool):
            assert value >= 0, path

    for _, events in (jakarta_small, other_small):
        for _, _, name, record in events:
            walk(record, name)


def test_contributions_follow_the_rate_table(jakarta_small) -> None:
    _, events = jakarta_small
    contributions = [r for _, _, n, r in events if n.endswith("ContributionPosted")]
    assert contributions
    for r in contributions:
        amounts = {a["program"]: a["amount"] for a in r["amounts"]}
        if r["payer"] == "EMPLOYER":  # PU
            assert amounts["JHT"] == (r["wage_base"] * 570 + 5_000) // 10_000
            assert amounts["JKM"] == (r["wage_base"] * 30 + 5_000) // 10_000
            assert amounts["JP"] <= (11_086_300 * 300 + 5_000) // 10_000
        else:  # sponsored BPU at the lowest bracket
            assert amounts["JKK"] == 10_000
            assert amounts["JKM"] == 6_800
            assert amounts.get("JHT", 20_000) == 20_000
            assert ("JHT" in amounts) == (r["period"] >= "2017-01")
            assert "JP" not in amounts


def test_instants_are_aware_utc_and_ids_are_uuids(jakarta_small) -> None:
    _, events = jakarta_small
    for _, _, _, r in events:
        assert isinstance(r["occurred_at"], datetime)
        assert r["occurred_at"].utcoffset() == UTC.utcoffset(None)
        assert uuid.UUID(r["event_id"]).version == 4


def _schemas() -> dict[str, dict]:
    named: dict[str, dict] = {}
    parsed: dict[str, dict] = {}
    pending = [json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.avsc"))]
    while pending:
        waiting = []
        for schema in pending:
            try:
                full = f"{schema['namespace']}.{schema['name']}"
                parsed[full] = fastavro.parse_schema(schema, named_schemas=named)
            except fastavro.schema.UnknownType:
                waiting.append(schema)
        if len(waiting) == len(pending):
            raise AssertionError("unresolvable schemas")
        pending = waiting
    return parsed


def test_every_record_encodes_with_the_project_schemas(jakarta_small, other_small) -> None:
    schemas = _schemas()
    seen: Counter[str] = Counter()
    for _, events in (jakarta_small, other_small):
        for _, _, name, record in events:
            if seen[name] >= 400 and name != CLAIM:
                continue
            seen[name] += 1
            fastavro.schemaless_writer(BytesIO(), schemas[name], record)
    assert set(seen) >= {
        ENROLLED,
        CLAIM,
        "bpjs.contribution.ContributionPosted",
        "bpjs.enrollment.CoverageEnded",
        "bpjs.enrollment.ProgramsChanged",
    }


def test_jakarta_claims_cover_every_ground_outcome_and_kind_at_full_mix() -> None:
    scenario = build_scenario("jakarta-2016", seed=5, scale=0.2)
    details = Counter()
    for _, _, name, r in scenario.events():
        if name == CLAIM:
            kind, d = r["detail"]
            details[d.get("ground") or d.get("outcome") or d.get("kind") or kind] += 1
    assert {
        "RESIGNATION",
        "TERMINATION",
        "CONTRACT_END",
        "AGE_56",
        "PARTIAL_10",
        "PARTIAL_30",
        "RECOVERED",
        "PARTIAL_DISABILITY",
        "DEATH",
        "OLD_AGE",
        "bpjs.claim.JkmClaimDetail",
    } <= set(details)


def test_the_cli_prints_counts_per_topic_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--scenario", "jambi-2025", "--seed", "1", "--scale", "0.01", "--count"]) == 0
    out = capsys.readouterr().out
    assert "bpjs.enrollment.ParticipantEnrolled" in out and "780" in out


def test_unknown_scenarios_and_scales_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        build_scenario("bali-2030", seed=1)
    with pytest.raises(ValueError, match="scale"):
        build_scenario("jakarta-2016", seed=1, scale=0)
    assert set(SCENARIOS) == {"jakarta-2016", "kemensos-2024", "jambi-2025"}


def test_scenario_dates_stay_within_the_scenario(jakarta_small) -> None:
    scenario, events = jakarta_small
    for _, _, name, r in events:
        if name == CLAIM:
            assert r["event_date"] <= scenario.spec.as_of
            assert r["occurred_at"].date() <= scenario.spec.as_of
            assert r["event_date"] >= date(2018, 1, 1)


def _jht_claimants_by_category(uniform: bool) -> Counter[str]:
    spec = build_scenario("jakarta-2016", seed=2016, scale=0.1, uniform_claimants=uniform).spec
    starts, lo = [], 0
    for cohort in spec.cohorts:
        starts.append((lo, lo + cohort.count, cohort.category))
        lo += cohort.count
    plans = plan_claims(spec, Random("jakarta-2016:2016:plan"))
    return Counter(
        next(cat for a, b, cat in starts if a <= i < b)
        for i, plan in plans.items()
        if plan.program == "JHT" and plan.bad is None
    )


def test_jakarta_draws_its_calibrated_share_of_jht_claimants_from_the_pu_cohorts() -> None:
    # 3,468 JHT claims at 0.1, 31.5% of them (1,092.4, half up 1,092) from PU, the rest from BPU.
    assert _jht_claimants_by_category(uniform=False) == Counter({"PU": 1_092, "BPU": 2_376})


def test_uniform_claimants_draw_jht_claimants_in_proportion_to_the_cohorts() -> None:
    # 3,153 of the 28,153 people are PU (11.2%): a uniform draw gives about that share.
    drawn = _jht_claimants_by_category(uniform=True)
    assert drawn.total() == 3_468
    assert 0.08 < drawn["PU"] / drawn.total() < 0.15
