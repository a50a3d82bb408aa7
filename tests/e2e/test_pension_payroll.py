"""The JP pension payroll (#15) through real Kafka and PostgreSQL: a disability pension paid over
14 months across a January indexation by `claims payroll`'s use case, each month once however
often it is run; then the pensioner's death (reported twice) ends it and starts the widow's
pension the month after, at her share, clamped to the year's minimum; changes that do not apply
are rejected and recorded. The leader's timer is in test_payroll_timer.py.
"""

from __future__ import annotations

import asyncio
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from claims.payroll import run_months
from services.rules import default_rules
from services.rules.dates import add_months
from services.rules.money import to_rupiah
from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, PAYEE, claim, contributions, enrolled, envelope, jp, nik
from tests.e2e.test_employer_accounts import DUE_5M, PROGRAMS, topic_records

PENSIONS = "bpjs.benefit-changes.v1"
CHANGED = "bpjs.pension.PensionChanged"
KPJ = "25016000001"
BIRTH = date(1980, 4, 12)
NIK = nik(BIRTH, 6001)
CLAIM = "P15-JP-DISABILITY"
WIDOW = {"name": "Siti Rahayu", "bank_code": "BRI", "account_number": "5550001111"}
FOURTEEN = [add_months(date(2024, 7, 1), n) for n in range(14)]  # Jul 2024 .. Aug 2025
RULES = default_rules()


def pay(env: Env, months: list[date]) -> list[Any]:
    return [run for run, _ in asyncio.run(run_months(env.settings, months, RULES))]


def pension_instructions(env: Env) -> list[dict[str, Any]]:
    return env.query(
        "SELECT idempotency_key, period, amount, due_date, status, published_at IS NOT NULL AS"
        " published FROM payment_outbox WHERE purpose = 'pension' ORDER BY period, idempotency_key"
    )


def change(kind: str, on: date, **extra: Any) -> dict[str, Any]:
    return {
        **envelope(on),
        "claim_id": extra.pop("claim_id", CLAIM),
        "change": kind,
        "effective_date": on,
        "survivors": extra.pop("survivors", []),
        "payee": extra.pop("payee", None),
        "child_name": extra.pop("child_name", None),
    }


@pytest.fixture(scope="module")
def pensioner(pipeline: Env) -> Any:
    """A disability pension decided in June 2024 (imputed 180 months: member 17 months, all
    paid), its first month paid by the claim's own instruction."""
    payments = pipeline.payment_service()
    payments.start()
    env = pipeline
    record = enrolled(KPJ, BIRTH, 6001, "PU", PROGRAMS, 5_000_000, date(2023, 1, 1))
    env.send(PARTICIPANTS, KPJ, "bpjs.enrollment.ParticipantEnrolled", record)
    for posting in contributions(KPJ, NIK, 5_000_000, date(2023, 1, 1), 17, DUE_5M):
        env.send(PARTICIPANTS, KPJ, "bpjs.contribution.ContributionPosted", posting)
    submitted = claim(CLAIM, KPJ, NIK, "JP", date(2024, 6, 3), date(2024, 6, 5), jp("DISABILITY"))
    env.send(PARTICIPANTS, KPJ, "bpjs.claim.ClaimSubmitted", submitted)
    env.wait_for(
        "the disability pension settled and its first month paid",
        lambda: (
            env.query("SELECT status FROM settlements WHERE claim_id = $1", CLAIM)
            == [{"status": "PAID"}]
        ),
    )
    yield env, payments
    payments.stop()


def test_a_pension_is_paid_for_14_months_across_a_january_indexation_once_each(
    pensioner: Any,
) -> None:
    env, payments = pensioner
    (s,) = env.query("SELECT amount FROM settlements WHERE claim_id = $1", CLAIM)
    (p,) = env.query(
        "SELECT kind, base_amount, base_year, payroll_from, last_month FROM pensions"
        " WHERE pension_id = $1",
        CLAIM,
    )
    # 1% × 180/12 × the average indexed wage: 12 months of 2023 revalued by 2023's 2.61%, 5 of
    # 2024 at Rp5m: Rp86,566,000 / 17 × 15% = Rp763,817.65, rounded half up.
    assert p == {
        "kind": "DISABILITY", "base_amount": 763_818, "base_year": 2024,
        "payroll_from": date(2024, 7, 1), "last_month": None,
    }  # fmt: skip
    assert s["amount"] == 763_818  # the first month, June 2024, by the claim's own instruction

    runs = pay(env, FOURTEEN)
    assert [(r.pensions_paid, r.written, r.already) for r in runs] == [(1, 1, 0)] * 14
    rows = pension_instructions(env)
    assert [r["period"] for r in rows] == FOURTEEN
    assert [r["idempotency_key"] for r in rows] == [f"pension:{CLAIM}:{m:%Y-%m}" for m in FOURTEEN]
    # July-December 2024 at the decided amount; from January 2025 × (1 + 2024's CPI, 1.57%).
    indexed = to_rupiah(763_818 * Fraction(10157, 10000))
    assert indexed == 775_810
    assert [r["amount"] for r in rows] == [763_818] * 6 + [indexed] * 8
    assert rows[6]["due_date"] == date(2025, 1, 2)  # 1 January is a holiday

    # Re-running every month, and one month alone, writes nothing.
    again = pay(env, FOURTEEN) + pay(env, [date(2024, 9, 1)])
    assert all((r.written, r.already) == (0, 1) for r in again)
    assert len(pension_instructions(env)) == 14

    # Published through the outbox and paid once each by the payment service.
    env.wait_for(
        "the 14 months published and paid",
        lambda: all(r["published"] and r["status"] == "PAID" for r in pension_instructions(env)),
    )
    published = [
        m["idempotency_key"]
        for m in topic_records(env, "bpjs.payment-instructions.v1")
        if m["idempotency_key"].startswith("pension:")
    ]
    assert sorted(set(published)) == [r["idempotency_key"] for r in rows]
    # The claim's settlement is its first instruction's: untouched by the months' results.
    assert env.query("SELECT status FROM settlements WHERE claim_id = $1", CLAIM) == [
        {"status": "PAID"}
    ]
    assert payments.failed == 0


def test_the_pensioner_s_death_ends_the_pension_and_starts_the_widow_s(pensioner: Any) -> None:
    env, _ = pensioner
    died = change(
        "PENSIONER_DIED",
        date(2025, 8, 20),
        survivors=[
            {"name": "Siti Rahayu", "relation": "SPOUSE", "birth_date": None},
            {"name": "Adi", "relation": "CHILD", "birth_date": date(2010, 2, 3)},
        ],
        payee=WIDOW,
    )
    env.send(PENSIONS, CLAIM, CHANGED, died)
    env.send(PENSIONS, CLAIM, CHANGED, died)  # redelivered: applied once
    env.send(PENSIONS, "P15-NOBODY", CHANGED, change("PENSIONER_DIED", date(2025, 8, 1),
                                                     claim_id="P15-NOBODY"))  # fmt: skip
    env.wait_for(
        "the death and the unknown claim recorded",
        lambda: len(env.query("SELECT 1 FROM pension_changes")) == 2,
    )
    assert env.query(
        "SELECT pension_id, kind, base_amount, payroll_from, last_month, end_reason, follows"
        " FROM pensions ORDER BY payroll_from"
    ) == [
        {"pension_id": CLAIM, "kind": "DISABILITY", "base_amount": 763_818,
         "payroll_from": date(2024, 7, 1), "last_month": date(2025, 8, 1),
         "end_reason": "PENSIONER_DIED", "follows": None},
        {"pension_id": f"{CLAIM}/WIDOW_WIDOWER", "kind": "WIDOW_WIDOWER", "base_amount": 381_909,
         "payroll_from": date(2025, 9, 1), "last_month": None, "end_reason": None,
         "follows": CLAIM},
    ]  # fmt: skip
    changes = env.query(
        "SELECT claim_id, outcome, rejection, started_pension_id FROM pension_changes"
        " ORDER BY claim_id"
    )
    assert changes == [
        {"claim_id": CLAIM, "outcome": "APPLIED", "rejection": None,
         "started_pension_id": f"{CLAIM}/WIDOW_WIDOWER"},
        {"claim_id": "P15-NOBODY", "outcome": "REJECTED", "rejection": "unknown_pension",
         "started_pension_id": None},
    ]  # fmt: skip

    runs = pay(env, [date(2025, 8, 1), date(2025, 9, 1), date(2025, 10, 1)])
    assert [(r.pensions_paid, r.written) for r in runs] == [(1, 0), (1, 1), (1, 1)]
    widow = [r for r in pension_instructions(env) if "WIDOW" in r["idempotency_key"]]
    # 50% of Rp763,818 indexed by 1.57% is Rp387,906: below 2025's minimum, Rp399,700.
    assert [(r["period"], r["amount"]) for r in widow] == [
        (date(2025, 9, 1), 399_700), (date(2025, 10, 1), 399_700),
    ]  # fmt: skip
    env.wait_for(
        "the widow's first month published",
        lambda: any(
            m["idempotency_key"] == f"pension:{CLAIM}/WIDOW_WIDOWER:2025-09"
            for m in topic_records(env, "bpjs.payment-instructions.v1")
        ),
    )
    sent = next(
        m for m in topic_records(env, "bpjs.payment-instructions.v1")
        if m["idempotency_key"] == f"pension:{CLAIM}/WIDOW_WIDOWER:2025-09"
    )  # fmt: skip
    assert sent["payee"] == WIDOW and sent["claim_id"] == CLAIM and sent["program"] == "JP"
    # The pensioner is paid nothing after August, the month he died.
    own = [r["period"] for r in pension_instructions(env) if "WIDOW" not in r["idempotency_key"]]
    assert max(own) == date(2025, 8, 1) and sent["payee"] != PAYEE

    # A change that does not apply to the widow's pension is rejected, never paid.
    env.send(PENSIONS, CLAIM, CHANGED, change("CHILD_LEFT", date(2025, 11, 2), child_name="Adi"))
    env.wait_for(
        "the child-left change recorded",
        lambda: len(env.query("SELECT 1 FROM pension_changes")) == 3,
    )
    (rejected,) = env.query("SELECT rejection FROM pension_changes WHERE change = 'CHILD_LEFT'")
    assert rejected == {"rejection": "not_applicable"}
    assert env.query("SELECT 1 FROM dead_letters") == []
