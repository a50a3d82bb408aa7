"""`claims run`'s comparison of the replay with the published figures (streams/report.py)."""

from __future__ import annotations

from typing import Any

from streams.report import replay_check

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
        "JKK settlements paid or failed",
    ]
