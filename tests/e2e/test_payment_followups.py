"""Benefits paid over time (#15) through real Kafka and PostgreSQL: a FAILED payment corrected by
a branch and re-paid exactly once (the correction published twice re-issues once), and the
statutory late interest of a late JKK payment paid exactly once (its PAID result redelivered
issues nothing more); corrections for a paid or an unknown claim are rejected and recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from kafka import KafkaProducer

from reference_payment.service import ReferencePaymentService
from streams.kafka import acls
from streams.kafka.auth import kafka_python_options
from tests.e2e.conftest import REPO, Env, as_user
from tests.e2e.events import PARTICIPANTS, claim, contributions, enrolled, envelope, jkk, nik
from tests.e2e.test_employer_accounts import DUE_5M, PROGRAMS, topic_records

CORRECTIONS = "bpjs.payment-corrections.v1"
RESULTS = "bpjs.payment-results.v1"
CORRECTED = "bpjs.payment.PaymentAccountCorrected"
KPJ_F, KPJ_L = "25015000001", "25015000002"
NIK_F, NIK_L = nik(date(1988, 3, 7), 5001), nik(date(1988, 3, 7), 5002)
FAILS, LATE = "H15-FAILS-ONCE", "H15-PAID-LATE"
NEW_PAYEE = {"name": "Penerima", "bank_code": "BRI", "account_number": "0987654321"}
DAYS_LATE = 3


def decide(ins: dict[str, Any]) -> tuple[str, date | None, str | None]:
    """The first instruction of FAILS fails (a closed account); LATE's is paid 3 days late;
    everything else (the re-issue, the interest) is paid on its due date."""
    key = ins["idempotency_key"]
    if key == f"claim:{FAILS}":
        return "FAILED", None, "account closed"
    if key == f"claim:{LATE}":
        return "PAID", ins["due_date"] + timedelta(days=DAYS_LATE), None
    return "PAID", ins["due_date"], None


def participant(env: Env, kpj: str, person_nik: str, serial: int, claim_id: str) -> None:
    record = enrolled(kpj, date(1988, 3, 7), serial, "PU", PROGRAMS, 5_000_000, date(2024, 1, 1))
    assert record["nik"] == person_nik
    env.send(PARTICIPANTS, kpj, "bpjs.enrollment.ParticipantEnrolled", record)
    for posting in contributions(kpj, person_nik, 5_000_000, date(2024, 1, 1), 17, DUE_5M):
        env.send(PARTICIPANTS, kpj, "bpjs.contribution.ContributionPosted", posting)
    accident = jkk("RECOVERED", 5_000_000, date(2025, 6, 2), medical=5_000_000)
    env.send(
        PARTICIPANTS,
        kpj,
        "bpjs.claim.ClaimSubmitted",
        claim(claim_id, kpj, person_nik, "JKK", date(2025, 6, 2), date(2025, 6, 3), accident),
    )


def correction(claim_id: str) -> dict[str, Any]:
    return {
        **envelope(date(2025, 6, 20)),
        "claim_id": claim_id,
        "payee": NEW_PAYEE,
        "reason": "account closed: new account at BRI",
    }


def instructions(env: Env, claim_id: str) -> list[dict[str, Any]]:
    return env.query(
        "SELECT purpose, status, amount, replaces_instruction_id FROM payment_outbox"
        " WHERE claim_id = $1 ORDER BY created_at",
        claim_id,
    )


def results_consumed(env: Env) -> int:
    rows = env.query(
        'SELECT coalesce(sum("offset" + 1), 0) AS n FROM processed_offsets'
        " WHERE consumer = 'payment-results'"
    )
    return int(rows[0]["n"])


@pytest.fixture(scope="module")
def payments(pipeline: Env) -> Any:
    service = ReferencePaymentService(
        pipeline.settings.kafka_bootstrap_servers,
        REPO / "schemas",
        group=f"{pipeline.settings.app_id}-payments",
        decide=decide,
        topic_prefix=pipeline.settings.topic_prefix,
        kafka_options=kafka_python_options(as_user(pipeline.settings, acls.PAYMENTS)),
    )
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def paid_once(pipeline: Env, payments: Any) -> Env:
    participant(pipeline, KPJ_F, NIK_F, 5001, FAILS)
    participant(pipeline, KPJ_L, NIK_L, 5002, LATE)

    def settled() -> bool:
        rows = pipeline.query("SELECT claim_id, status FROM settlements ORDER BY claim_id")
        return rows == [
            {"claim_id": FAILS, "status": "FAILED"}, {"claim_id": LATE, "status": "PAID"},
        ]  # fmt: skip

    pipeline.wait_for("one payment failed, one paid late", settled)
    pipeline.wait_for(
        "the late interest paid",
        lambda: [r["status"] for r in instructions(pipeline, LATE)] == ["PAID", "PAID"],
    )
    return pipeline


def test_a_late_payment_pays_its_interest_once_and_a_redelivered_result_adds_none(
    paid_once: Env, payments: Any
) -> None:
    env = paid_once
    (s,) = env.query(
        "SELECT amount, days_late, late_interest FROM settlements WHERE claim_id = $1", LATE
    )
    assert s["days_late"] == DAYS_LATE and s["late_interest"] == s["amount"] * DAYS_LATE // 100
    first, interest = instructions(env, LATE)
    assert (first["purpose"], interest["purpose"]) == ("claim", "interest")
    assert interest["amount"] == s["late_interest"] and isinstance(interest["amount"], int)
    # The PAID result of the late payment delivered again by the payment service.
    sent = [m for m in topic_records(env, RESULTS) if m["claim_id"] == LATE]
    paid = next(m for m in sent if m["idempotency_key"] == f"claim:{LATE}")
    before = results_consumed(env)
    producer = KafkaProducer(
        bootstrap_servers=env.settings.kafka_bootstrap_servers,
        acks="all",
        **kafka_python_options(as_user(env.settings, acls.PAYMENTS)),
    )
    try:
        value = env.codec.encode("bpjs.payment.PaymentResult", paid)
        producer.send(env.topic(RESULTS), key=LATE.encode(), value=value)
        producer.flush()
    finally:
        producer.close()
    env.wait_for("the redelivered result consumed", lambda: results_consumed(env) == before + 1)
    assert [r["purpose"] for r in instructions(env, LATE)] == ["claim", "interest"]
    keys = [m["idempotency_key"] for m in topic_records(env, "bpjs.payment-instructions.v1")]
    assert sorted(set(k for k in keys if LATE in k)) == [f"claim:{LATE}", f"interest:{LATE}"]


def test_a_failed_payment_corrected_twice_is_reissued_and_paid_once(
    paid_once: Env, payments: Any
) -> None:
    env = paid_once
    fix = correction(FAILS)
    env.send(CORRECTIONS, FAILS, CORRECTED, fix)
    env.send(CORRECTIONS, FAILS, CORRECTED, fix)  # redelivered: the same event
    env.send(CORRECTIONS, LATE, CORRECTED, correction(LATE))  # paid already: rejected
    env.send(CORRECTIONS, "H15-NOBODY", CORRECTED, correction("H15-NOBODY"))  # unknown
    env.wait_for(
        "the re-issue paid and the corrections recorded",
        lambda: (
            env.query("SELECT status FROM settlements WHERE claim_id = $1", FAILS)
            == [{"status": "PAID"}]
            and len(env.query("SELECT 1 FROM account_corrections")) == 3
        ),
    )
    first, reissue = instructions(env, FAILS)
    assert (first["status"], reissue["purpose"], reissue["status"]) == ("FAILED", "reissue", "PAID")
    assert reissue["amount"] == first["amount"]
    published = [
        m for m in topic_records(env, "bpjs.payment-instructions.v1") if m["claim_id"] == FAILS
    ]
    by_key = {m["idempotency_key"]: m for m in published}
    assert sorted(by_key) == [f"claim:{FAILS}", f"reissue:{FAILS}:1"]
    again = by_key[f"reissue:{FAILS}:1"]
    assert again["payee"] == NEW_PAYEE
    assert again["replaces_instruction_id"] == by_key[f"claim:{FAILS}"]["instruction_id"]
    recorded = env.query(
        "SELECT claim_id, outcome, rejection FROM account_corrections ORDER BY claim_id"
    )
    assert recorded == [
        {"claim_id": FAILS, "outcome": "REISSUED", "rejection": None},
        {"claim_id": "H15-NOBODY", "outcome": "REJECTED", "rejection": "unknown_claim"},
        {"claim_id": LATE, "outcome": "REJECTED", "rejection": "already_paid"},
    ]
    # The payment service paid each purpose once: FAILS' re-issue, LATE's benefit and interest.
    results = env.query("SELECT instruction_id, count(*) AS n FROM payment_results GROUP BY 1")
    assert len(results) == 4 and payments.paid == 3 and payments.failed == 1
    assert env.query("SELECT 1 FROM dead_letters") == []
    # Nothing owed any more: every instruction paid or replaced.
    assert (
        env.query(
            "SELECT 1 FROM payment_outbox o WHERE status <> 'PAID' AND NOT EXISTS (SELECT 1 FROM"
            " payment_outbox r WHERE r.replaces_instruction_id = o.instruction_id)"
        )
        == []
    )
