"""End to end through the real Kafka broker and PostgreSQL: every program, every reason code,
dead letters, the payment loop, idempotent replay."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from services.app.records import Position
from services.rules.reasons import ReasonCode
from services.sealing import Opener
from tests.e2e.conftest import REPO, Env
from tests.e2e.events import (
    PARTICIPANTS,
    SPONSORS,
    claim,
    contributions,
    ended,
    enrolled,
    funded,
    jht,
    jkk,
    jkm,
    jp,
    nik,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PU_ALL = ["JHT", "JKK", "JKM", "JP"]
PU_RATES = {"JHT": 285_000, "JKK": 44_500, "JKM": 15_000, "JP": 150_000}  # wage 5m, risk III
WAGE = 5_000_000

# claim id -> (outcome, reasons, total or None when the rules' balance arithmetic decides it)
EXPECTED: dict[str, tuple[str, set[str], int | None]] = {
    # medical 12.5m + land transport 0.75m + STMB 60 days (2 × 5m) + 70% × 80 × 5m + periodic 12m
    "A1-JKK-TD": ("APPROVED", set(), 12_500_000 + 750_000 + 10_000_000 + 280_000_000 + 12_000_000),
    "A2-JKK-DUP": ("REJECTED", {"duplicate_claim"}, 0),
    "A3-JHT-AGE": ("REJECTED", {"age_not_reached"}, 0),
    "A4-JP-AGE": ("REJECTED", {"age_not_reached"}, 0),
    # JKm: lump sum 20m + periodic 12m + funeral 10m (PP 82/2019); no scholarship (< 3 years paid)
    "B1-JKM": ("APPROVED", set(), 42_000_000),
    "C1-JP-BPU": ("REJECTED", {"category_not_entitled"}, 0),
    # JKK death, declared income 2m: 48 × 2m + funeral 10m + periodic 12m
    "C2-JKK-DEATH": ("APPROVED", set(), 96_000_000 + 10_000_000 + 12_000_000),
    "C3-JKM-AFTER-JKK": ("REJECTED", {"duplicate_claim"}, 0),
    "D1-JHT-WAIT": ("REJECTED", {"waiting_period_not_met"}, 0),
    "D2-JHT-RESIGN": ("APPROVED", set(), None),
    "E1-JKK-OLD": ("REJECTED", {"claim_expired"}, 0),
    "F1-JKK-LAPSED": ("REJECTED", {"coverage_lapsed"}, 0),
    "G1-JHT-PARTIAL": ("REJECTED", {"minimum_membership_not_met"}, 0),
    "H1-JHT-PARTIAL10": ("APPROVED", set(), None),
    "H2-JHT-PARTIAL30": ("REJECTED", {"partial_withdrawal_used"}, 0),
    "I1-JHT-NOBAL": ("REJECTED", {"no_balance"}, 0),
    "J1-JKK-INVALID": ("REJECTED", {"invalid_claim"}, 0),
    "K1-JKK-JAMSOSTEK": ("REJECTED", {"out_of_scope"}, 0),
    "L1-JHT-DEATH-NO-HEIR": ("REJECTED", {"no_eligible_heir"}, 0),
    "M1-JHT-DEATH-PAYEE": ("REJECTED", {"payee_not_beneficiary"}, 0),
    "X1-UNKNOWN": ("REJECTED", {"not_enrolled"}, 0),
}


def test_the_scenario_exercises_every_reason_code() -> None:
    assert set().union(*(reasons for _, reasons, _ in EXPECTED.values())) == {
        r.value for r in ReasonCode
    }


DEAD = {"InvalidEvent": 2, "BadMarker": 1, "TruncatedMessage": 2, "UnknownParticipant": 1}
# Dead letters whose bytes hold a whole clear NIK: valid Avro with a NIK of an unknown province,
# and a ParticipantEnrolled cut after its NIK (undecodable, yet the NIK's digits are inside).
POISON_KPJ, POISON_NIK = "31000000016", "99" + nik(date(1990, 1, 1), 16)[2:]
CUT_KPJ, CUT_NIK = "31000000017", nik(date(1991, 2, 3), 17)


def pu(
    env: Env,
    kpj: str,
    birth: date,
    serial: int,
    first: date,
    months: int,
    female: bool = False,
    enrolled_on: date = date(2015, 7, 1),
) -> str:
    person = enrolled(kpj, birth, serial, "PU", PU_ALL, WAGE, enrolled_on, female=female)
    env.send(PARTICIPANTS, kpj, "bpjs.enrollment.ParticipantEnrolled", person)
    for c in contributions(kpj, person["nik"], WAGE, first, months, PU_RATES):
        env.send(PARTICIPANTS, kpj, "bpjs.contribution.ContributionPosted", c)
    return str(person["nik"])


def submit(env: Env, record: dict[str, Any]) -> None:
    env.send(PARTICIPANTS, record["kpj"], "bpjs.claim.ClaimSubmitted", record)


def publish_scenario(env: Env) -> None:
    ev = "bpjs.enrollment"
    # A: PU, contributions current since enrolment (no arrears: BPJS pays, not the employer
    # first); a total disability, a duplicate of it, claims before age.
    a = pu(
        env, "31000000001", date(1985, 4, 12), 1, date(2023, 6, 1), 24, enrolled_on=date(2023, 6, 1)
    )
    submit(
        env,
        claim(
            "A1-JKK-TD",
            "31000000001",
            a,
            "JKK",
            date(2025, 6, 2),
            date(2025, 6, 20),
            jkk(
                "TOTAL_DISABILITY",
                WAGE,
                date(2025, 6, 3),
                medical=12_500_000,
                land=750_000,
                days=60,
            ),
        ),
    )
    submit(
        env,
        claim(
            "A2-JKK-DUP",
            "31000000001",
            a,
            "JKK",
            date(2025, 6, 2),
            date(2025, 6, 25),
            jkk("TOTAL_DISABILITY", WAGE, date(2025, 6, 3)),
        ),
    )
    submit(
        env,
        claim(
            "A3-JHT-AGE",
            "31000000001",
            a,
            "JHT",
            date(2025, 6, 30),
            date(2025, 7, 1),
            jht("AGE_56"),
        ),
    )
    submit(
        env,
        claim(
            "A4-JP-AGE", "31000000001", a, "JP", date(2025, 7, 1), date(2025, 7, 2), jp("OLD_AGE")
        ),
    )
    # B: PU, dies (not at work).
    b = pu(
        env,
        "31000000002",
        date(1970, 2, 1),
        2,
        date(2023, 3, 1),
        24,
        female=True,
        enrolled_on=date(2023, 3, 1),
    )
    env.send(
        PARTICIPANTS,
        "31000000002",
        f"{ev}.CoverageEnded",
        ended("31000000002", b, date(2025, 3, 10), "DIED"),
    )
    submit(
        env, claim("B1-JKM", "31000000002", b, "JKM", date(2025, 3, 10), date(2025, 3, 20), jkm())
    )
    # C: BPU funded by a province; JP is not for BPU; JKK death excludes a JKm death.
    env.send(
        SPONSORS,
        "pemprov-test",
        f"{ev}.SponsoredCohortFunded",
        funded("pemprov-test", date(2024, 1, 1), date(2026, 12, 31), ["JKK", "JKM"]),
    )
    env.wait_for_funding("pemprov-test")  # funding precedes claims, as it does upstream
    c = enrolled(
        "31000000003",
        date(1990, 8, 17),
        3,
        "BPU",
        ["JKK", "JKM"],
        2_000_000,
        date(2024, 1, 1),
        sponsor="pemprov-test",
    )
    env.send(PARTICIPANTS, "31000000003", f"{ev}.ParticipantEnrolled", c)
    submit(
        env,
        claim(
            "C1-JP-BPU",
            "31000000003",
            c["nik"],
            "JP",
            date(2025, 5, 1),
            date(2025, 5, 2),
            jp("OLD_AGE"),
        ),
    )
    submit(
        env,
        claim(
            "C2-JKK-DEATH",
            "31000000003",
            c["nik"],
            "JKK",
            date(2025, 5, 5),
            date(2025, 5, 12),
            jkk("DEATH", 2_000_000, date(2025, 5, 6)),
        ),
    )
    submit(
        env,
        claim(
            "C3-JKM-AFTER-JKK",
            "31000000003",
            c["nik"],
            "JKM",
            date(2025, 5, 5),
            date(2025, 5, 13),
            jkm(),
        ),
    )
    # D: PU resigns; too early, then after the one-month wait.
    d = pu(env, "31000000004", date(1988, 11, 3), 4, date(2023, 1, 1), 24)
    env.send(
        PARTICIPANTS,
        "31000000004",
        f"{ev}.CoverageEnded",
        ended("31000000004", d, date(2025, 1, 31), "RESIGNED"),
    )
    submit(
        env,
        claim(
            "D1-JHT-WAIT",
            "31000000004",
            d,
            "JHT",
            date(2025, 1, 31),
            date(2025, 2, 10),
            jht("RESIGNATION", date(2025, 1, 31)),
        ),
    )
    submit(
        env,
        claim(
            "D2-JHT-RESIGN",
            "31000000004",
            d,
            "JHT",
            date(2025, 1, 31),
            date(2025, 3, 15),
            jht("RESIGNATION", date(2025, 1, 31)),
        ),
    )
    # E: an accident of 2019 claimed in 2025 (JKK expires after 5 years).
    e = pu(env, "31000000005", date(1979, 1, 20), 5, date(2017, 1, 1), 24)
    submit(
        env,
        claim(
            "E1-JKK-OLD",
            "31000000005",
            e,
            "JKK",
            date(2019, 1, 10),
            date(2025, 6, 1),
            jkk("RECOVERED", WAGE, date(2019, 1, 11), medical=1_000_000),
        ),
    )
    # F: BPU who stopped paying at the end of 2024.
    f = enrolled(
        "31000000006", date(1995, 3, 9), 6, "BPU", ["JKK", "JKM"], 1_000_000, date(2023, 1, 1)
    )
    env.send(PARTICIPANTS, "31000000006", f"{ev}.ParticipantEnrolled", f)
    for row in contributions(
        "31000000006", f["nik"], 1_000_000, date(2023, 1, 1), 24, {"JKK": 10_000, "JKM": 6_800}
    ):
        env.send(PARTICIPANTS, "31000000006", "bpjs.contribution.ContributionPosted", row)
    submit(
        env,
        claim(
            "F1-JKK-LAPSED",
            "31000000006",
            f["nik"],
            "JKK",
            date(2025, 6, 1),
            date(2025, 6, 5),
            jkk("RECOVERED", 1_000_000, date(2025, 6, 2), medical=500_000),
        ),
    )
    # G: five years of membership is not enough for a partial JHT withdrawal.
    g = pu(
        env, "31000000007", date(1983, 7, 7), 7, date(2023, 6, 1), 24, enrolled_on=date(2020, 1, 1)
    )
    submit(
        env,
        claim(
            "G1-JHT-PARTIAL",
            "31000000007",
            g,
            "JHT",
            date(2025, 6, 1),
            date(2025, 6, 2),
            jht("PARTIAL_10"),
        ),
    )
    # H: ten years a member; a 10% partial JHT withdrawal, then a 30% one (one per membership).
    h = pu(
        env, "31000000012", date(1980, 5, 5), 12, date(2024, 1, 1), 18, enrolled_on=date(2015, 7, 1)
    )
    for claim_id, ground, day in (
        ("H1-JHT-PARTIAL10", "PARTIAL_10", date(2025, 8, 1)),
        ("H2-JHT-PARTIAL30", "PARTIAL_30", date(2025, 9, 1)),
    ):
        submit(env, claim(claim_id, "31000000012", h, "JHT", day, day, jht(ground)))
    # I: enrolled in JHT but never paid for: nothing to pay out after resigning.
    i = pu(env, "31000000013", date(1991, 9, 9), 13, date(2023, 1, 1), 0)
    env.send(
        PARTICIPANTS,
        "31000000013",
        f"{ev}.CoverageEnded",
        ended("31000000013", i, date(2025, 1, 31), "RESIGNED"),
    )
    submit(
        env,
        claim(
            "I1-JHT-NOBAL",
            "31000000013",
            i,
            "JHT",
            date(2025, 1, 31),
            date(2025, 3, 15),
            jht("RESIGNATION", date(2025, 1, 31)),
        ),
    )
    # J: an accident report whose second stage is dated before its first.
    j = pu(env, "31000000014", date(1987, 2, 2), 14, date(2024, 1, 1), 18)
    inconsistent = jkk("RECOVERED", WAGE, date(2025, 6, 3), medical=1_000_000)
    inconsistent[1]["reported_stage2_on"] = date(2025, 6, 1)
    submit(
        env,
        claim(
            "J1-JKK-INVALID",
            "31000000014",
            j,
            "JKK",
            date(2025, 6, 2),
            date(2025, 6, 9),
            inconsistent,
        ),
    )
    # K: an accident before 1 July 2015, under the Jamsostek regime the rules do not model.
    k = pu(
        env, "31000000015", date(1975, 3, 3), 15, date(2015, 1, 1), 6, enrolled_on=date(2015, 1, 1)
    )
    submit(
        env,
        claim(
            "K1-JKK-JAMSOSTEK",
            "31000000015",
            k,
            "JKK",
            date(2015, 5, 4),
            date(2015, 5, 11),
            jkk("RECOVERED", WAGE, date(2015, 5, 5), medical=1_000_000),
        ),
    )
    # L: dies; the JHT claim names no heir (PP 46/2015: the balance goes to the heirs).
    ell = pu(env, "31000000018", date(1980, 8, 8), 18, date(2023, 1, 1), 24, date(2023, 1, 1))
    death = jht("DEATH")
    submit(
        env,
        claim(
            "L1-JHT-DEATH-NO-HEIR",
            "31000000018",
            ell,
            "JHT",
            date(2025, 2, 3),
            date(2025, 2, 10),
            death,
        ),
    )
    # M: dies leaving a widow; the claim asks to pay someone else.
    m = pu(env, "31000000019", date(1981, 9, 9), 19, date(2023, 1, 1), 24, date(2023, 1, 1))
    widow = (
        "bpjs.claim.JhtClaimDetail",
        {**death[1], "heirs": [{"name": "Siti Rahayu", "relation": "SPOUSE"}]},
    )
    submit(
        env,
        claim(
            "M1-JHT-DEATH-PAYEE",
            "31000000019",
            m,
            "JHT",
            date(2025, 2, 3),
            date(2025, 2, 10),
            widow,
        ),
    )
    # X: a KPJ nobody enrolled.
    submit(
        env,
        claim(
            "X1-UNKNOWN",
            "31099999999",
            nik(date(1990, 1, 1), 9),
            "JKK",
            date(2025, 6, 1),
            date(2025, 6, 2),
            jkk("RECOVERED", WAGE, date(2025, 6, 1)),
        ),
    )
    # Dead letters: a NIK that is not 16 digits, bytes that are not ours, a cut-off message,
    # and a contribution for a KPJ that was never enrolled.
    bad = enrolled("31000000008", date(1990, 1, 1), 8, "PU", PU_ALL, WAGE, date(2020, 1, 1))
    bad["nik"] = bad["nik"][:15]
    env.send(PARTICIPANTS, "31000000008", f"{ev}.ParticipantEnrolled", bad)
    env.send_raw(PARTICIPANTS, "31000000010", b"not avro at all")
    whole = env.codec.encode(
        f"{ev}.ParticipantEnrolled",
        enrolled("31000000011", date(1990, 1, 1), 11, "PU", PU_ALL, WAGE, date(2020, 1, 1)),
    )
    env.send_raw(PARTICIPANTS, "31000000011", whole[:14])
    stray = contributions(
        "31000000009", nik(date(1990, 1, 1), 12), WAGE, date(2025, 1, 1), 1, PU_RATES
    )[0]
    env.send(PARTICIPANTS, "31000000009", "bpjs.contribution.ContributionPosted", stray)
    poison = enrolled(POISON_KPJ, date(1990, 1, 1), 16, "PU", PU_ALL, WAGE, date(2020, 1, 1))
    poison["nik"] = POISON_NIK
    env.send(PARTICIPANTS, POISON_KPJ, f"{ev}.ParticipantEnrolled", poison)
    cut = env.codec.encode(
        f"{ev}.ParticipantEnrolled",
        enrolled(CUT_KPJ, date(1991, 2, 3), 17, "PU", PU_ALL, WAGE, date(2020, 1, 1)),
    )
    env.send_raw(PARTICIPANTS, CUT_KPJ, cut[: cut.index(CUT_NIK.encode()) + len(CUT_NIK) + 3])
    # An exact redelivery of A1: the same bytes twice must not judge or settle twice.
    topic, key, value = next(m for m in env.sent if b"A1-JKK-TD" in m[2])
    env.send_raw(topic, key, value)


def snapshot(env: Env) -> dict[str, Any]:
    """The business content of every table (bookkeeping columns such as offsets left out)."""
    return {
        "claims": env.query(
            "SELECT claim_id, outcome, reasons, total, payable_by, decision"
            " FROM claims ORDER BY claim_id"
        ),
        "settlements": env.query(
            "SELECT claim_id, amount, due_date, status, paid_on,"
            " late_interest FROM settlements ORDER BY claim_id"
        ),
        "outbox": env.query(
            "SELECT claim_id, idempotency_key, payload FROM payment_outbox ORDER BY claim_id"
        ),
        "participants": env.query(
            # The state's own source position ("pos") is bookkeeping too: a replayed
            # contribution moves it, and changes nothing else.
            "SELECT kpj, participant_ref, category, coverage - 'pos' AS coverage"
            " FROM participants ORDER BY kpj"
        ),
        "dead": env.query(
            "SELECT topic, error_class, error_message, key, value, sealed, key_id, value_digest,"
            " value_size, value_schema FROM dead_letters ORDER BY id"
        ),
        "payments": env.query("SELECT event_id, status FROM payment_results ORDER BY event_id"),
    }


def settled(env: Env) -> bool:
    approved = sum(1 for o, _, _ in EXPECTED.values() if o == "APPROVED")
    rows = env.query(
        "SELECT (SELECT count(*) FROM claims) AS claims,"
        " (SELECT count(*) FROM dead_letters) AS dead,"
        " (SELECT count(*) FROM settlements WHERE status = 'PAID') AS paid"
    )[0]
    return (
        rows["claims"] == len(EXPECTED)
        and rows["dead"] == sum(DEAD.values())
        and rows["paid"] == approved
    )


@pytest.fixture(scope="module")
def payments(pipeline: Env) -> Any:
    service = pipeline.payment_service()
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def first_pass(pipeline: Env, payments: Any) -> dict[str, Any]:
    publish_scenario(pipeline)
    pipeline.wait_for("every claim decided, settled and paid", lambda: settled(pipeline))
    return snapshot(pipeline)


def test_every_claim_is_decided_with_the_expected_outcome_reasons_and_amount(
    first_pass: dict[str, Any],
) -> None:
    got = {
        r["claim_id"]: (r["outcome"], set(r["reasons"]), r["total"]) for r in first_pass["claims"]
    }
    assert set(got) == set(EXPECTED)
    for claim_id, (outcome, reasons, total) in EXPECTED.items():
        assert got[claim_id][:2] == (outcome, reasons), claim_id
        if total is not None:
            assert got[claim_id][2] == total, claim_id
    assert got["D2-JHT-RESIGN"][2] > 0


def test_approved_claims_settle_once_with_one_instruction_each_and_are_paid(
    first_pass: dict[str, Any],
    payments: Any,
) -> None:
    approved = {c: t for c, (o, _, t) in EXPECTED.items() if o == "APPROVED"}
    settlements = {r["claim_id"]: r for r in first_pass["settlements"]}
    assert set(settlements) == set(approved)
    for claim_id, total in approved.items():
        if total is not None:
            assert settlements[claim_id]["amount"] == total
        assert settlements[claim_id]["status"] == "PAID"
    keys = [r["idempotency_key"] for r in first_pass["outbox"]]
    assert sorted(keys) == sorted(f"claim:{c}" for c in approved)
    assert payments.paid == len(approved)


def test_statutory_due_dates_count_working_days(first_pass: dict[str, Any]) -> None:
    due = {r["claim_id"]: r["due_date"] for r in first_pass["settlements"]}
    # JKm: 3 working days after Thu 20 Mar 2025 -> Tue 25 Mar (weekend skipped).
    assert due["B1-JKM"] == date(2025, 3, 25)
    # JKK: 7 working days after Fri 20 Jun 2025, skipping the weekends and Fri 27 Jun (Islamic
    # New Year 1447 H, a national holiday) -> Wed 2 Jul.
    assert due["A1-JKK-TD"] == date(2025, 7, 2)


def test_bad_events_end_in_the_dead_letter_table_with_their_error(
    first_pass: dict[str, Any],
) -> None:
    found: dict[str, int] = {}
    for row in first_pass["dead"]:
        found[row["error_class"]] = found.get(row["error_class"], 0) + 1
    assert found == DEAD


def test_no_clear_nik_is_stored_or_logged(pipeline: Env, first_pass: dict[str, Any]) -> None:
    clear = produced_niks(pipeline)
    assert {POISON_NIK, CUT_NIK, nik(date(1985, 4, 12), 1)} <= clear
    dump = repr(first_pass)
    log = pipeline.worker.log.read_text(errors="replace")
    for n in clear:
        assert n not in dump
        assert n not in log


def test_no_clear_nik_is_in_any_table_or_in_any_topic_but_the_upstream_one(
    pipeline: Env, first_pass: dict[str, Any]
) -> None:
    """Every NIK the scenario produced, searched as ASCII digits in the raw bytes of every row of
    every table (bytea included, as a pg_dump holds them) and of every record of every topic of
    this run (dead letters, decisions, payments, Faust's changelogs) except the upstream one."""
    clear = [n.encode() for n in produced_niks(pipeline)]
    rows = table_bytes(pipeline)
    assert len(dict(rows)["dead_letters"]) > 1000  # the dead letters are in the dump
    for table, blob in rows:
        for n in clear:
            assert n not in blob, f"a clear NIK in table {table}"
            assert n.hex().encode() not in blob, f"a clear NIK (hex) in table {table}"
    records = topic_bytes(pipeline)
    dead_topic = pipeline.topic("bpjs.dead-letters.v1")
    assert sum(1 for t, _ in records if t == dead_topic) >= sum(DEAD.values())
    for topic, blob in records:
        for n in clear:
            assert n not in blob, f"a clear NIK in topic {topic}"


def test_dead_letters_list_without_a_key_and_show_the_original_with_the_private_key(
    pipeline: Env, first_pass: dict[str, Any]
) -> None:
    listed = [json.loads(line) for line in dead_letters(pipeline, "list").stdout.splitlines()]
    assert {d["error_class"] for d in listed} == set(DEAD)
    assert all(d["sealed"] and d["key_id"] for d in listed)
    for n in produced_niks(pipeline):
        assert all(n not in json.dumps(d) for d in listed)
    poison = letter_of(pipeline, listed, POISON_KPJ)
    assert poison["value_schema"] == "bpjs.enrollment.ParticipantEnrolled"
    shown = json.loads(dead_letters(pipeline, "show", str(poison["id"]), key=True).stdout)
    assert (shown["key"], shown["record"]["nik"]) == (POISON_KPJ, POISON_NIK)
    assert shown["record"]["kpj"] == POISON_KPJ
    cut = letter_of(pipeline, listed, CUT_KPJ)
    shown = json.loads(dead_letters(pipeline, "show", str(cut["id"]), key=True).stdout)
    assert shown["record"] is None and shown["decode_error"].startswith("TruncatedMessage")
    assert CUT_NIK.encode() in base64.b64decode(shown["value_base64"])
    # Without the private key nothing opens, and the refusal names the variable.
    refused = dead_letters(pipeline, "show", str(cut["id"]), check=False)
    assert refused.returncode == 2 and "DEAD_LETTER_PRIVATE_KEYS" in refused.stderr
    assert dead_letters(pipeline, "show", "999999", key=True, check=False).returncode == 3


def test_a_replayed_dead_letter_is_republished_byte_for_byte_once(
    pipeline: Env, first_pass: dict[str, Any]
) -> None:
    listed = [json.loads(line) for line in dead_letters(pipeline, "list").stdout.splitlines()]
    ids = [str(letter_of(pipeline, listed, kpj)["id"]) for kpj in (POISON_KPJ, CUT_KPJ)]
    out = dead_letters(pipeline, "replay", *ids, key=True).stdout.splitlines()
    replayed = [json.loads(line) for line in out]
    for done, kpj in zip(replayed, (POISON_KPJ, CUT_KPJ), strict=True):
        assert done["replayed_to"] == pipeline.topic(PARTICIPANTS)
        original = next(v for t, k, v in pipeline.sent if k == kpj)
        assert read_one(pipeline, done["replayed_to"], done["partition"], done["offset"]) == (
            kpj.encode(),
            original,
        )
    again = dead_letters(pipeline, "replay", ids[0], key=True, check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    assert dead_letters(pipeline, "replay", ids[0], "--force", key=True).returncode == 0
    stamped = pipeline.query("SELECT id FROM dead_letters WHERE replayed_at IS NOT NULL")
    assert sorted(str(r["id"]) for r in stamped) == sorted(ids)
    # Failing again after its replay, the same message stays one dead letter (keyed digest).
    pipeline.wait_for("the replays to be consumed", lambda: _consumed_all(pipeline))
    assert len(pipeline.query("SELECT id FROM dead_letters")) == sum(DEAD.values())


def produced_niks(env: Env) -> set[str]:
    """Every NIK the scenario sent (decodable events), plus the two inside damaged messages."""
    found = {POISON_NIK, CUT_NIK}
    for _, _, value in env.sent:
        try:
            record = env.codec.decode(value).record
        except Exception:
            continue
        if isinstance(record.get("nik"), str) and len(record["nik"]) == 16:
            found.add(record["nik"])
    return found


def table_bytes(env: Env) -> list[tuple[str, bytes]]:
    """Each table of the run's schema as (name, every value's raw bytes): a pg_dump's content."""
    tables = env.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", env.schema
    )
    out = []
    for t in tables:
        name = t["table_name"]
        blob = b"".join(
            v if isinstance(v, bytes) else repr(v).encode()
            for row in env.query(f'SELECT * FROM "{name}"')
            for v in row.values()
        )
        out.append((name, blob))
    return out


def topic_bytes(env: Env) -> list[tuple[str, bytes]]:
    """Key and value bytes of every record of every topic of this run but the upstream one."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        bootstrap_servers=env.settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        names = [
            t
            for t in consumer.topics()
            if t.startswith((env.settings.topic_prefix, env.settings.app_id))
            and t != env.topic(PARTICIPANTS)
        ]
        consumer.subscribe(names)
        return [(m.topic, (m.key or b"") + b"|" + (m.value or b"")) for m in consumer]
    finally:
        consumer.close()


def read_one(env: Env, topic: str, partition: int, offset: int) -> tuple[bytes | None, bytes]:
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=env.settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        for records in consumer.poll(timeout_ms=10_000, max_records=1).values():
            return records[0].key, records[0].value
        raise AssertionError(f"nothing at {topic}[{partition}]@{offset}")
    finally:
        consumer.close()


def letter_of(env: Env, listed: list[dict[str, Any]], kpj: str) -> dict[str, Any]:
    """The listed dead letter of the message sent with key `kpj` (opened here to find it)."""
    opener = Opener.from_config([env.dead_letter_private_key])
    rows = env.query('SELECT id, topic, partition, "offset", sealed FROM dead_letters')
    for r in rows:
        where = Position(r["topic"], r["partition"], r["offset"])
        if opener.open(bytes(r["sealed"]), where)[0] == kpj.encode():
            return next(d for d in listed if d["id"] == r["id"])
    raise AssertionError(f"no dead letter for {kpj}")


def dead_letters(
    env: Env, *args: str, key: bool = False, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`claims dead-letters ...` as an operator runs it: no NIK_HASH_KEY, no worker key."""
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    cmd_env = {k: v for k, v in os.environ.items() if k in keep}
    cmd_env |= {
        "DATABASE_URL": env.settings.dsn,
        # list/show read as the read-only role, replay marks rows as the worker's role.
        "READER_DATABASE_URL": env.settings.dsn_for("reader"),
        "WORKER_DATABASE_URL": env.settings.dsn_for("worker"),
        "KAFKA_BOOTSTRAP_SERVERS": env.settings.kafka_bootstrap_servers,
    }
    if key:
        cmd_env["DEAD_LETTER_PRIVATE_KEYS"] = env.dead_letter_private_key
    done = subprocess.run(
        [sys.executable, "-m", "claims.cli", "dead-letters", *args],
        env=cmd_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_replaying_the_same_input_changes_nothing(
    pipeline: Env, first_pass: dict[str, Any]
) -> None:
    before = pipeline.query("SELECT count(*) AS n FROM processed_offsets")[0]["n"]
    pipeline.replay()
    # The replay is done when the worker has caught up past the replayed messages.
    pipeline.wait_for("the replay to be consumed", lambda: _consumed_all(pipeline))
    assert pipeline.query("SELECT count(*) AS n FROM processed_offsets")[0]["n"] >= before
    assert snapshot(pipeline) == first_pass


def _consumed_all(env: Env) -> bool:
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=env.settings.kafka_bootstrap_servers,
        group_id=env.settings.app_id,
        enable_auto_commit=False,
    )
    try:
        behind = 0
        for name in (
            "bpjs.participant-events.v1",
            "bpjs.claims.approved.jkk.v1",
            "bpjs.dead-letters.v1",
        ):
            parts = [
                TopicPartition(env.topic(name), p)
                for p in consumer.partitions_for_topic(env.topic(name)) or ()
            ]
            ends = consumer.end_offsets(parts)
            behind += sum(ends[tp] - (consumer.committed(tp) or 0) for tp in parts)
        return behind == 0
    finally:
        consumer.close()


def test_every_topic_the_worker_uses_was_created_by_the_project_not_by_faust(
    pipeline: Env, first_pass: dict[str, Any]
) -> None:
    """faust-streaming#667: on Kafka 4 Faust's assignor fails to create its own topics. The
    service never relies on that: `ensure_topics` creates every topic up front
    (streams/kafka/topics.py and Faust's internal ones it lists). After a whole run, the broker
    holds exactly those topics under this worker's prefix and app id: one Faust created itself
    would be an extra name."""
    from kafka import KafkaAdminClient

    from streams.kafka.admin import internal_topics
    from streams.kafka.topics import TOPICS

    settings = pipeline.settings
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        on_broker = set(admin.list_topics())
    finally:
        admin.close()
    ours = {
        t
        for t in on_broker
        if t.startswith((settings.topic_prefix, settings.app_id)) and not t.startswith("__")
    }
    declared = {settings.topic_prefix + spec.name for spec in TOPICS} | {
        t.name for t in internal_topics(settings)
    }
    assert ours == declared
