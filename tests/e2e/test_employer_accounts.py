"""Contributions and employers through real Kafka and PostgreSQL (#14), three employers:

- A (NPP 31001501): exact months, an under-payment, an over-payment and a month paid two months
  late, with its 2% a month penalty;
- B (NPP 31002502): more than 3 months in arrears when its worker has an accident. The claim is
  approved employer-first: an obligation and no BPJS payment instruction. Then the arrears are
  paid and one reimbursement instruction to the employer follows, once, however often the
  postings are delivered;
- C (NPP 31003503): reports Rp4m for a worker whose true wage is Rp5m; the worker dies in a work
  accident: BPJS pays 48 × the reported wage, the employer's shortfall (48 × Rp1m) is recorded.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from kafka import KafkaConsumer

from streams.kafka.auth import kafka_python_options
from tests.e2e.conftest import Env, as_user
from tests.e2e.events import PARTICIPANTS, claim, contributions, enrolled, jkk, nik

POSTED = "bpjs.contribution.ContributionPosted"
# Wage Rp5,000,000, JKK risk class III (0.89%), 2025 (JP cap 10,547,400): domain.md §2.1.
DUE_5M = {"JKK": 44_500, "JKM": 15_000, "JHT": 285_000, "JP": 150_000}
DUE_4M = {"JKK": 35_600, "JKM": 12_000, "JHT": 228_000, "JP": 120_000}
PROGRAMS = ["JKK", "JKM", "JHT", "JP"]
A, B, C = "31001501", "31002502", "31003503"
KPJ_A, KPJ_B, KPJ_C = "25014000001", "25014000002", "25014000003"
NIK_A, NIK_B, NIK_C = (nik(date(1990, 1, 5), n) for n in (4001, 4002, 4003))
CLAIM_B, CLAIM_C = "E14-B-ACCIDENT", "E14-C-DEATH"


def person(kpj: str, person_nik: str, serial: int, npp: str, wage: int, on: date) -> dict[str, Any]:
    record = enrolled(kpj, date(1990, 1, 5), serial, "PU", PROGRAMS, wage, on)
    assert record["nik"] == person_nik
    return {**record, "employer_npp": npp}


def postings(
    kpj: str, person_nik: str, wage: int, first: date, months: int
) -> list[dict[str, Any]]:
    due = DUE_5M if wage == 5_000_000 else DUE_4M
    return contributions(kpj, person_nik, wage, first, months, due)


def publish_a(env: Env) -> None:
    env.send(
        PARTICIPANTS,
        KPJ_A,
        "bpjs.enrollment.ParticipantEnrolled",
        person(KPJ_A, NIK_A, 4001, A, 5_000_000, date(2025, 1, 1)),
    )
    jan, feb, mar, apr = postings(KPJ_A, NIK_A, 5_000_000, date(2025, 1, 1), 4)
    feb["amounts"] = [
        {"program": p, "amount": 250_000 if p == "JHT" else a} for p, a in DUE_5M.items()
    ]
    mar["amounts"] = [
        {"program": p, "amount": 160_000 if p == "JP" else a} for p, a in DUE_5M.items()
    ]
    apr["paid_date"] = date(2025, 6, 20)  # due 15 May: one month and a part late, so 2
    for posting in (jan, feb, mar, apr):
        env.send(PARTICIPANTS, KPJ_A, POSTED, posting)


def publish_b_claim(env: Env) -> None:
    env.send(
        PARTICIPANTS,
        KPJ_B,
        "bpjs.enrollment.ParticipantEnrolled",
        person(KPJ_B, NIK_B, 4002, B, 5_000_000, date(2024, 1, 1)),
    )
    for posting in postings(KPJ_B, NIK_B, 5_000_000, date(2024, 1, 1), 12):  # 2024 only
        env.send(PARTICIPANTS, KPJ_B, POSTED, posting)
    # 2 Jun 2025: January to April 2025 were due (by the 15th of the next month) and unpaid.
    accident = jkk("RECOVERED", 5_000_000, date(2025, 6, 2), medical=5_000_000, land=100_000)
    env.send(
        PARTICIPANTS,
        KPJ_B,
        "bpjs.claim.ClaimSubmitted",
        claim(CLAIM_B, KPJ_B, NIK_B, "JKK", date(2025, 6, 2), date(2025, 6, 3), accident),
    )


def arrears_paid(env: Env) -> list[dict[str, Any]]:
    late = postings(KPJ_B, NIK_B, 5_000_000, date(2025, 1, 1), 5)  # January to May 2025
    for posting in late:
        posting["paid_date"] = date(2025, 6, 20)
        env.send(PARTICIPANTS, KPJ_B, POSTED, posting)
    return late


def publish_c(env: Env) -> None:
    env.send(
        PARTICIPANTS,
        KPJ_C,
        "bpjs.enrollment.ParticipantEnrolled",
        person(KPJ_C, NIK_C, 4003, C, 4_000_000, date(2020, 1, 1)),
    )
    for posting in postings(KPJ_C, NIK_C, 4_000_000, date(2020, 1, 1), 65):  # to May 2025
        env.send(PARTICIPANTS, KPJ_C, POSTED, posting)
    death = jkk("DEATH", 5_000_000, date(2025, 6, 10))  # the true wage, above the reported 4m
    env.send(
        PARTICIPANTS,
        KPJ_C,
        "bpjs.claim.ClaimSubmitted",
        claim(CLAIM_C, KPJ_C, NIK_C, "JKK", date(2025, 6, 10), date(2025, 6, 12), death),
    )


def topic_records(env: Env, name: str) -> list[dict[str, Any]]:
    """Every record on one of the environment's topics, decoded."""
    consumer = KafkaConsumer(
        env.topic(name),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        **kafka_python_options(as_user(env.settings, "admin")),
        bootstrap_servers=env.settings.kafka_bootstrap_servers,
    )
    try:
        return [env.codec.decode(m.value).record for m in consumer]
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def payments(pipeline: Env) -> Any:
    service = pipeline.payment_service()
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def published(pipeline: Env, payments: Any) -> Env:
    publish_a(pipeline)
    publish_b_claim(pipeline)
    publish_c(pipeline)
    pipeline.wait_for(
        "both claims settled and every posting checked",
        lambda: (
            len(pipeline.query("SELECT 1 FROM settlements")) == 2
            and pipeline.query("SELECT count(DISTINCT event_id) AS n FROM contribution_checks")[0][
                "n"
            ]
            == 4 + 12 + 65
        ),
    )
    return pipeline


def checks_of(env: Env, kpj: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = env.query(
        "SELECT to_char(period, 'YYYY-MM') AS period, program, result, difference, expected,"
        " months_late, penalty, employer_npp FROM contribution_checks WHERE kpj = $1",
        kpj,
    )
    return {(r["period"], r["program"]): r for r in rows}


def test_every_posting_is_checked_exact_under_over_and_late_with_its_penalty(
    published: Env,
) -> None:
    got = checks_of(published, KPJ_A)
    assert len(got) == 16
    assert {r["employer_npp"] for r in got.values()} == {A}
    assert {got[("2025-01", p)]["result"] for p in PROGRAMS} == {"EXACT"}
    assert (got[("2025-02", "JHT")]["result"], got[("2025-02", "JHT")]["difference"]) == (
        "UNDERPAID",
        -35_000,
    )
    assert (got[("2025-03", "JP")]["result"], got[("2025-03", "JP")]["difference"]) == (
        "OVERPAID",
        10_000,
    )
    april = {
        p: (got[("2025-04", p)]["months_late"], got[("2025-04", p)]["penalty"]) for p in PROGRAMS
    }
    # 2% × 2 months × the contribution due (PP 44/2015, 45/2015, 46/2015)
    assert april == {"JKK": (2, 1_780), "JKM": (2, 600), "JHT": (2, 11_400), "JP": (2, 6_000)}
    assert sum(r["penalty"] for r in got.values()) == 19_780


def test_the_under_paid_month_is_kept_as_unpaid_in_the_participant_state(published: Env) -> None:
    (row,) = published.query("SELECT coverage FROM participants WHERE kpj = $1", KPJ_A)
    state = json.loads(row["coverage"])
    assert state["short_months"] == {"2025-02": "JHT"}


def test_an_employer_in_arrears_gets_an_obligation_and_bpjs_no_instruction(
    published: Env,
) -> None:
    (decided,) = published.query(
        "SELECT outcome, payable_by, total FROM claims WHERE claim_id = $1", CLAIM_B
    )
    assert (decided["outcome"], decided["payable_by"], decided["total"]) == (
        "APPROVED",
        "EMPLOYER_FIRST",
        5_100_000,
    )
    (owed,) = published.query(
        "SELECT kind, employer_npp, amount, reason FROM employer_obligations WHERE claim_id = $1",
        CLAIM_B,
    )
    assert (owed["kind"], owed["employer_npp"], owed["amount"]) == ("BENEFIT_FIRST", B, 5_100_000)
    assert "4 month(s) of JKK contributions in arrears on 2025-06-02; limit 3" in owed["reason"]
    assert published.query("SELECT 1 FROM payment_outbox WHERE claim_id = $1", CLAIM_B) == []
    (settled,) = published.query(
        "SELECT payable_by, status FROM settlements WHERE claim_id = $1", CLAIM_B
    )
    assert settled == {"payable_by": "EMPLOYER_FIRST", "status": "PENDING"}
    events = [
        r
        for r in topic_records(published, "bpjs.employer-obligations.v1")
        if r["claim_id"] == CLAIM_B
    ]
    assert [(e["kind"], e["employer_npp"], e["amount"]) for e in events] == [
        ("BENEFIT_FIRST", B, 5_100_000)
    ]
    assert events[0]["payee"]["account_number"] == "0123456789"  # the employer pays the worker


def test_once_the_arrears_are_paid_the_employer_is_reimbursed_once(published: Env) -> None:
    env = published
    late = arrears_paid(env)

    def reimbursed() -> bool:
        rows = env.query("SELECT status FROM employer_obligations WHERE claim_id = $1", CLAIM_B)
        return rows == [{"status": "REIMBURSEMENT_ISSUED"}]

    env.wait_for("the reimbursement", reimbursed)
    for posting in late[-2:]:  # delivered again: no second reimbursement
        env.send(PARTICIPANTS, KPJ_B, POSTED, posting)
    june = postings(KPJ_B, NIK_B, 5_000_000, date(2025, 6, 1), 1)  # a new month: neither
    env.send(PARTICIPANTS, KPJ_B, POSTED, june[0])
    env.wait_for(
        "the June posting",
        lambda: bool(
            env.query("SELECT 1 FROM contribution_checks WHERE event_id = $1", june[0]["event_id"])
        ),
    )
    env.wait_for(
        "the reimbursement paid",
        lambda: (
            env.query("SELECT status FROM settlements WHERE claim_id = $1", CLAIM_B)
            == [{"status": "PAID"}]
        ),
    )

    instructions = [
        r for r in topic_records(env, "bpjs.payment-instructions.v1") if r["claim_id"] == CLAIM_B
    ]
    assert len(instructions) == 1
    (paid_back,) = instructions
    assert paid_back["idempotency_key"] == f"reimburse:{CLAIM_B}"
    assert (paid_back["employer_npp"], paid_back["amount"]) == (B, 5_100_000)
    (row,) = env.query(
        "SELECT reimbursement_instruction_id, reimbursement_amount, reimbursement_due_on"
        " FROM employer_obligations WHERE claim_id = $1",
        CLAIM_B,
    )
    assert row["reimbursement_instruction_id"] == paid_back["instruction_id"]
    assert row["reimbursement_amount"] == 5_100_000
    assert row["reimbursement_due_on"] == paid_back["due_date"] > date(2025, 6, 20)
    (settled,) = env.query("SELECT late_interest FROM settlements WHERE claim_id = $1", CLAIM_B)
    assert settled["late_interest"] == 0  # the statutory 1%/day is owed to participants
    late_checks = checks_of(env, KPJ_B)
    assert late_checks[("2025-01", "JKK")]["months_late"] == 5  # due 15 Feb, paid 20 Jun


def test_a_death_on_an_under_reported_wage_records_the_employer_s_shortfall(
    published: Env,
) -> None:
    (decided,) = published.query(
        "SELECT outcome, payable_by, decision FROM claims WHERE claim_id = $1", CLAIM_C
    )
    assert (decided["outcome"], decided["payable_by"]) == ("APPROVED", "BPJS")
    (owed,) = published.query(
        "SELECT kind, employer_npp, amount, components FROM employer_obligations"
        " WHERE claim_id = $1",
        CLAIM_C,
    )
    lines = {c["code"]: c["amount"] for c in json.loads(owed["components"])}
    assert (owed["kind"], owed["employer_npp"]) == ("WAGE_SHORTFALL", C)
    assert lines == {"JKK_DEATH": 48 * 1_000_000}
    assert owed["amount"] == 48_000_000
    events = [
        r
        for r in topic_records(published, "bpjs.employer-obligations.v1")
        if r["claim_id"] == CLAIM_C
    ]
    assert [(e["kind"], e["amount"]) for e in events] == [("WAGE_SHORTFALL", 48_000_000)]
    instructions = [
        r
        for r in topic_records(published, "bpjs.payment-instructions.v1")
        if r["claim_id"] == CLAIM_C
    ]
    assert instructions and instructions[0]["amount"] > 48 * 4_000_000  # BPJS pays its part
