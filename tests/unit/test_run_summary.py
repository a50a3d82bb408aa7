"""`claims run`'s comparison of the replay with its plan and with the published figures
(claims/report.py, claims/published.py, claims/replay_reasons.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from claims.published import published_rows
from claims.replay_reasons import batch_lines, why
from claims.report import replay_check
from simulator import build_scenario
from simulator.model import Published, PublishedFigure

# The 10% Jakarta scenario's plan, as `jakarta-2016 --scale 0.1` builds it.
EXPECTED: dict[str, Any] = {
    "participants": {
        "dki-sanitation-2015": 1353,
        "dki-ppsu-2015": 1800,
        "pemprov-dki-bpu-2016": 25000,
    },
    "claims": {"JHT": 3468, "JKK": 47, "JKM": 24, "JP": 5},
    "bad": {
        "malformed_nik": 2,
        "nik_birth_date_mismatch": 2,
        "unknown_province": 2,
        "jkk_and_jkm_death_same_person": 1,
        "bpu_claims_jp": 2,
        "jht_resignation_in_waiting_period": 3,
        "partial_jht_under_10_years": 2,
        "jkk_claim_after_5_years": 2,
        "claim_after_coverage_ended": 2,
        "unknown_kpj_claim": 2,
        "duplicate_claim": 3,
        "exact_redelivery": 3,
    },
}


def found(jkk_approved: int = 48) -> dict[str, Any]:
    """What PostgreSQL held after that run (`make run`, 1 worker)."""
    approved = {"JHT": 3468, "JKK": jkk_approved, "JKM": 24, "JP": 5}
    rejected = {"JHT": 8, "JKK": 6, "JKM": 1, "JP": 2}
    failed = {"JHT": 38, "JKK": 1, "JKM": 0, "JP": 0}
    return {
        "participants": [{"category": "BPU", "n": 25000}, {"category": "PU", "n": 3153}],
        "dead_letters": [{"error_class": "InvalidEvent", "n": 6}],
        "claims": [{"program": p, "outcome": "APPROVED", "n": n} for p, n in approved.items()]
        + [{"program": p, "outcome": "REJECTED", "n": n} for p, n in rejected.items()],
        "settled": [
            {"program": p, "n": n, "paid": n - failed[p], "failed": failed[p]}
            for p, n in approved.items()
        ],
    }


def test_a_correct_replay_matches_every_planned_figure() -> None:
    rows = replay_check(EXPECTED, found())
    assert len(rows) == 2 + 4 * 4
    assert [(label, planned) for label, planned, got in rows if planned != got] == []
    # The published JKK figure (47) plus the approved JKK claim of the bad JKK-and-JKm case.
    assert ("JKK claims approved", 48, 48) in rows
    assert ("JKM claims rejected", 1, 1) in rows


def test_a_claim_approved_in_excess_is_a_difference() -> None:
    rows = replay_check(EXPECTED, found(jkk_approved=49))
    assert [label for label, planned, got in rows if planned != got] == [
        "JKK claims approved",
        "JKK approved claims settled",
        "JKK paid, failed or employer's to pay",
    ]


# -- published against replayed (claims/published.py) ---------------------------------------------

PUBLISHED = Published(
    "medcom, 16 Mar 2016",
    0.1,
    {
        "JHT": PublishedFigure(3468, 49_020_000_000),
        "JKK": PublishedFigure(47, None),
        "JKM": PublishedFigure(24, None),
        "JP": PublishedFigure(5, None),
    },
    3545,
    50_400_000_000,
)
SETTLED = {"JHT": 19_608_000_000, "JKK": 1_000_000_000, "JKM": 1_008_000_000, "JP": 50_000_000}


def replayed() -> dict[str, Any]:
    s = found()
    s["settled"] = [row | {"amount": SETTLED[row["program"]]} for row in s["settled"]]
    return s


def test_the_jakarta_spec_carries_the_published_figures_scaled() -> None:
    published = build_scenario("jakarta-2016", seed=2016, scale=0.1).spec.published
    assert published is not None
    assert published.programs["JHT"] == PublishedFigure(3468, 49_020_000_000)
    assert published.programs["JKK"] == PublishedFigure(47, None)
    assert (published.total_claims, published.total_amount) == (3545, 50_400_000_000)
    assert "medcom" in published.source


def test_each_program_is_compared_with_its_published_amount_and_the_gap() -> None:
    rows = {r.label: r for r in published_rows(PUBLISHED, replayed())}
    jht = rows["JHT"]
    assert (jht.published_claims, jht.claims, jht.amount) == (3468, 3468, 19_608_000_000)
    assert jht.gap == -29_412_000_000  # 19.608bn - 49.02bn
    assert jht.gap_percent == Decimal("-60.0")
    assert rows["JKK"].gap is None and rows["JKK"].gap_percent is None  # no published amount


def test_the_programs_without_an_amount_are_compared_together_then_the_total() -> None:
    rows = published_rows(PUBLISHED, replayed())
    assert [r.label for r in rows] == ["JHT", "JKK", "JKM", "JP", "JKK+JKM+JP", "total"]
    others, total = rows[-2], rows[-1]
    # 50.4bn - 49.02bn published for the three; replayed 1bn + 1.008bn + 0.05bn.
    assert (others.published_claims, others.published_amount) == (76, 1_380_000_000)
    assert (others.claims, others.amount, others.gap) == (48 + 24 + 5, 2_058_000_000, 678_000_000)
    assert others.gap_percent == Decimal("49.1")  # 678 / 1380 = 49.13%
    assert (total.published_claims, total.claims) == (3545, 3468 + 48 + 24 + 5)
    assert total.amount == 21_666_000_000
    assert total.gap == 21_666_000_000 - 50_400_000_000
    assert total.gap_percent == Decimal("-57.0")  # -28.734 / 50.4 = -57.01%


# -- why a figure differs, and the incomplete batches (claims/replay_reasons.py) -------------------

ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
CAUSES = [
    {"error_class": "InvalidEvent", "event": ENROLLED, "field": "nik", "n": 4},
    {"error_class": "InvalidEvent", "event": ENROLLED, "field": "birth_date", "n": 2},
    {"error_class": "UnknownFingerprint", "event": "unknown schema", "field": None, "n": 3},
]


def test_a_difference_in_approved_claims_names_the_rejection_reasons_and_dead_letters() -> None:
    s = found() | {
        "reasons": [
            {"program": "JKK", "reason": "claim_expired", "n": 2},
            {"program": "JHT", "reason": "duplicate_claim", "n": 3},
        ],
        "dead_letter_causes": CAUSES,
    }
    assert why("JKK claims approved", 48, 47, s) == (
        "JKK rejected for: claim_expired 2; dead letters: UnknownFingerprint 3"
    )


def test_a_difference_in_enrollments_names_the_dead_lettered_enrollments_by_error() -> None:
    s = found() | {"dead_letter_causes": CAUSES}
    assert why("participants enrolled", 28153, 28150, s) == (
        "enrollments in the dead letters: InvalidEvent nik 4, InvalidEvent birth_date 2"
    )
    assert "not consumed" in why("participants enrolled", 28153, 28150, found())


def test_unsettled_and_unpaid_claims_are_counted() -> None:
    s = found()
    s["settled"][0] |= {"n": 3460, "paid": 3400, "failed": 38}  # JHT: 8 unsettled, 22 unpaid
    assert why("JHT approved claims settled", 3468, 3460, s).startswith(
        "8 approved claims without a settlement"
    )
    assert why("JHT paid, failed or employer's to pay", 3468, 3438, s) == (
        "22 settlements without a payment result (paid or failed) yet"
    )


def test_each_incomplete_batch_is_named_with_its_missing_rows_and_why() -> None:
    s = {
        "batches": [
            {"batch_id": "pemprov-dki-2016-001", "expected_count": 90, "applied": 84},
            {"batch_id": "pemprov-dki-2016-002", "expected_count": 84, "applied": 84},
            {"batch_id": "31001501-2015-71", "expected_count": 300, "applied": 298},
        ],
        "dead_letter_causes": CAUSES,
    }
    assert batch_lines(s) == [
        "batch pemprov-dki-2016-001: 6 of 90 rows missing",
        "batch 31001501-2015-71: 2 of 300 rows missing",
        "why: 6 of the 8 rows missing are invalid enrollments sent to the dead letters"
        " (InvalidEvent nik 4, InvalidEvent birth_date 2)",
        "why: 2 rows missing are in no dead letter (not consumed)",
    ]


def test_complete_batches_need_no_explanation() -> None:
    s = {"batches": [{"batch_id": "b", "expected_count": 5, "applied": 5}]}
    assert batch_lines(s) == []


def test_a_settlement_figure_that_only_follows_the_approvals_says_so() -> None:
    s = found(jkk_approved=47)  # every approved claim settled and paid or failed
    assert why("JKK approved claims settled", 48, 47, s) == (
        "all 47 approved claims are settled: the approvals differ (above)"
    )
    assert why("JKK paid, failed or employer's to pay", 48, 47, s) == (
        "all 47 settlements are paid, failed or the employer's: see above"
    )
