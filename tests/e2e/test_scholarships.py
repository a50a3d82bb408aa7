"""Scholarships by school year (#15) through real Kafka and PostgreSQL: a JKm death with two
children in school. The claim's instruction pays the benefit without the scholarships; the
school year already begun goes with it, and each July's payroll pays the next, over three school
years, each once however often it runs; the branch's yearly check stops one child, and the age
limit ends the other's without any event.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from claims.payroll import run_months
from services.rules import default_rules
from tests.e2e.conftest import Env
from tests.e2e.events import HEIRS, PARTICIPANTS, claim, contributions, enrolled, envelope, nik
from tests.e2e.test_employer_accounts import DUE_5M, PROGRAMS

CHANGES = "bpjs.benefit-changes.v1"
STOPPED = "bpjs.scholarship.ScholarshipStopped"
KPJ, CLAIM = "25018000001", "S15-JKM-CHILDREN"
BIRTH = date(1979, 5, 20)
NIK = nik(BIRTH, 8001)
CHILDREN = [
    {"birth_date": date(2003, 9, 15), "school_level": "SMA"},  # 23 on 15 Sep 2026
    {"birth_date": date(2016, 2, 10), "school_level": "SD"},
]
RULES = default_rules()


def years(env: Env) -> list[tuple[int, date, int]]:
    """(child, school year, amount) of every scholarship instruction, in order."""
    rows = env.query(
        "SELECT idempotency_key, period, amount FROM payment_outbox WHERE purpose = 'scholarship'"
        " ORDER BY period, idempotency_key"
    )
    return [(int(r["idempotency_key"].split(":")[2]), r["period"], r["amount"]) for r in rows]


def stop(child: int, on: date, reason: str = "NOT_IN_SCHOOL") -> dict[str, Any]:
    return {
        **envelope(on), "claim_id": CLAIM, "child": child, "reason": reason,
        "effective_date": on,
    }  # fmt: skip


def pay(env: Env, *months: date) -> list[Any]:
    return [run for run, _ in asyncio.run(run_months(env.settings, list(months), RULES))]


@pytest.fixture(scope="module")
def settled(pipeline: Env) -> Any:
    payments = pipeline.payment_service()
    payments.start()
    env = pipeline
    record = enrolled(KPJ, BIRTH, 8001, "PU", PROGRAMS, 5_000_000, date(2020, 1, 1))
    env.send(PARTICIPANTS, KPJ, "bpjs.enrollment.ParticipantEnrolled", record)
    for posting in contributions(KPJ, NIK, 5_000_000, date(2020, 1, 1), 50, DUE_5M):
        env.send(PARTICIPANTS, KPJ, "bpjs.contribution.ContributionPosted", posting)
    detail = {"heirs": HEIRS, "children": CHILDREN, "during_placement": False}
    death = claim(CLAIM, KPJ, NIK, "JKM", date(2024, 3, 4), date(2024, 3, 6),
                  ("bpjs.claim.JkmClaimDetail", detail))  # fmt: skip
    env.send(PARTICIPANTS, KPJ, "bpjs.claim.ClaimSubmitted", death)
    env.wait_for(
        "the JKm claim settled and paid",
        lambda: (
            env.query("SELECT status FROM settlements WHERE claim_id = $1", CLAIM)
            == [{"status": "PAID"}]
        ),
    )
    yield env, payments
    payments.stop()


def test_the_claim_pays_its_benefit_and_the_school_year_begun(settled: Any) -> None:
    env, _ = settled
    (s,) = env.query("SELECT amount FROM settlements WHERE claim_id = $1", CLAIM)
    (first,) = env.query(
        "SELECT amount FROM payment_outbox WHERE claim_id = $1 AND purpose = 'claim'", CLAIM
    )
    # The entitlement: child 1 SMA 3 × Rp3m + university 5 × Rp12m = Rp69m; child 2 from SD:
    # 6 × Rp1.5m + 3 × Rp2m + 3 × Rp3m + 5 × Rp12m = Rp84m (PP 82/2019).
    grants = env.query(
        "SELECT child, entitlement, first_school_year FROM scholarships ORDER BY child"
    )
    assert grants == [
        {"child": 1, "entitlement": 69_000_000, "first_school_year": date(2023, 7, 1)},
        {"child": 2, "entitlement": 84_000_000, "first_school_year": date(2023, 7, 1)},
    ]
    # The decision still states the whole benefit; the claim's instruction pays it less the
    # scholarships (JKm: Rp20m lump sum + Rp12m periodic + Rp10m funeral).
    assert s["amount"] == first["amount"] + 69_000_000 + 84_000_000
    assert first["amount"] == 42_000_000
    # The school year 2023/24 had begun: paid with the claim.
    assert years(env) == [(1, date(2023, 7, 1), 3_000_000), (2, date(2023, 7, 1), 1_500_000)]


def test_three_school_years_each_paid_once_then_stopped_and_aged_out(settled: Any) -> None:
    env, payments = settled
    runs = pay(env, date(2024, 7, 1), date(2024, 8, 1), date(2025, 7, 1))
    assert [(r.scholarship_years, r.scholarships_written) for r in runs] == [
        (2, 2), (0, 0), (2, 2),
    ]  # fmt: skip
    again = pay(env, date(2024, 7, 1), date(2025, 7, 1))
    assert [(r.scholarship_years, r.scholarships_written) for r in again] == [(2, 0), (2, 0)]
    assert years(env) == [
        (1, date(2023, 7, 1), 3_000_000), (2, date(2023, 7, 1), 1_500_000),
        (1, date(2024, 7, 1), 3_000_000), (2, date(2024, 7, 1), 1_500_000),
        (1, date(2025, 7, 1), 3_000_000), (2, date(2025, 7, 1), 1_500_000),
    ]  # fmt: skip

    # The yearly check: child 2 is not in school. Sent twice (applied once), and twice more
    # for a stopped and an unknown child (rejected, recorded).
    env.send(CHANGES, CLAIM, STOPPED, stopped := stop(2, date(2025, 9, 1)))
    env.send(CHANGES, CLAIM, STOPPED, stopped)
    env.send(CHANGES, CLAIM, STOPPED, stop(2, date(2025, 10, 1)))
    env.send(CHANGES, CLAIM, STOPPED, stop(3, date(2025, 10, 1), "MARRIED"))
    env.wait_for(
        "the stops recorded", lambda: len(env.query("SELECT 1 FROM scholarship_changes")) == 3
    )
    assert env.query(
        "SELECT child, outcome, rejection FROM scholarship_changes ORDER BY child, outcome"
    ) == [
        {"child": 2, "outcome": "APPLIED", "rejection": None},
        {"child": 2, "outcome": "REJECTED", "rejection": "already_stopped"},
        {"child": 3, "outcome": "REJECTED", "rejection": "unknown_scholarship"},
    ]
    # July 2026: child 1 starts university (22); child 2 is stopped. July 2027: child 1 is 23.
    late = pay(env, date(2026, 7, 1), date(2027, 7, 1))
    assert [(r.scholarship_years, r.scholarships_written) for r in late] == [(1, 1), (0, 0)]
    assert years(env)[-1] == (1, date(2026, 7, 1), 12_000_000)
    assert sum(a for _, _, a in years(env)) == 25_500_000
    env.wait_for(
        "every school year paid",
        lambda: (
            env.query(
                "SELECT count(*) AS n FROM payment_outbox WHERE purpose = 'scholarship'"
                " AND status = 'PAID'"
            )
            == [{"n": 7}]
        ),
    )
    assert env.query("SELECT status FROM settlements WHERE claim_id = $1", CLAIM) == [
        {"status": "PAID"}
    ]
    assert payments.failed == 0 and env.query("SELECT 1 FROM dead_letters") == []
