"""Settlement: due dates in working days from the Jakarta submission date, deterministic ids."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from app_events import DEAD_LETTER, DECIDED, KEY, RESULT, codec, fixture, instant

from services.app.records import Position
from services.app.settlement import (
    INSTRUCTION_NS,
    complete_on,
    dead_letter_row,
    decision_row,
    interest_fn,
    payment_result_row,
    settlement_row,
)
from services.rules import RuleSet, UnknownHolidayYear
from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, Opener, Sealer
from streams.kafka.codec import AvroCodec

POS = Position("bpjs.claims.approved.jkk.v1", 2, 41)
NOW = instant("2025-07-07T03:00")
# Monday 2025-07-07 in Jakarta; the fortnight after it has no national holiday.
MONDAY_EARLY_WIB = instant("2025-07-06T18:00")


def decided(program: str = "JKK", **overrides: Any) -> dict[str, Any]:
    return fixture(DECIDED, **{"program": program, "submitted_at": MONDAY_EARLY_WIB, **overrides})


def working_days_after(start: date, n: int) -> date:
    """An independent count: weekends only (the test dates avoid holidays)."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def test_the_statutory_clock_starts_on_the_jakarta_date_of_submission() -> None:
    assert MONDAY_EARLY_WIB.date() == date(2025, 7, 6)  # still Sunday in UTC
    assert complete_on(decided()) == date(2025, 7, 7)


@pytest.mark.parametrize(("program", "days"), [("JKM", 3), ("JHT", 5), ("JKK", 7), ("JP", 5)])
def test_the_due_date_is_the_programs_working_days_after_the_jakarta_submission_date(
    program: str, days: int, avro: AvroCodec, rules: RuleSet
) -> None:
    row = settlement_row(decided(program), POS, avro.encode, rules, NOW)
    assert row.complete_on == date(2025, 7, 7)
    assert row.due_date == working_days_after(date(2025, 7, 7), days)
    assert (
        row.due_date
        == {
            "JKM": date(2025, 7, 10),
            "JHT": date(2025, 7, 14),
            "JP": date(2025, 7, 14),
            "JKK": date(2025, 7, 16),
        }[program]
    )


def test_a_holiday_inside_the_window_is_not_a_working_day(avro: AvroCodec, rules: RuleSet) -> None:
    # Submitted Tuesday 2025-12-23; Thursday the 25th is Christmas, a national holiday.
    tuesday = decided("JKM", submitted_at=instant("2025-12-23T02:00"))
    row = settlement_row(tuesday, POS, avro.encode, rules, NOW)
    assert row.due_date == date(2025, 12, 29)  # 24 Wed, 26 Fri, 29 Mon


def test_a_claim_whose_due_date_needs_a_year_without_holidays_raises_the_typed_error(
    avro: AvroCodec, rules: RuleSet
) -> None:
    # The settlement agent turns this into a dead letter (error_class UnknownHolidayYear) and
    # settles the rest of the batch; replay it once the year's SKB is in the holiday table.
    late = decided("JKK", submitted_at=instant("2027-12-28T02:00"))
    with pytest.raises(UnknownHolidayYear, match="2028"):
        settlement_row(late, POS, avro.encode, rules, NOW)


def test_the_settlement_row_carries_the_decision(avro: AvroCodec, rules: RuleSet) -> None:
    decision = decided()
    row = settlement_row(decision, POS, avro.encode, rules, NOW)
    assert (row.claim_id, row.program, row.amount, row.payable_by) == (
        "KLM-JKK-2025-000123",
        "JKK",
        16250000,
        "BPJS",
    )
    assert row.rule_set_version == "2025.06.1"
    assert row.position == POS
    assert '"jkk.stmb"' in row.decision_json


def test_instruction_ids_and_idempotency_keys_depend_only_on_the_claim(
    avro: AvroCodec, rules: RuleSet
) -> None:
    one = settlement_row(decided(), POS, avro.encode, rules, NOW)
    two = settlement_row(decided(), Position("t", 0, 1), avro.encode, rules, NOW + timedelta(1))
    other = settlement_row(decided(claim_id="KLM-2"), POS, avro.encode, rules, NOW)
    assert one.instruction_id == two.instruction_id == str(uuid.uuid5(INSTRUCTION_NS, one.claim_id))
    assert one.idempotency_key == two.idempotency_key == "claim:KLM-JKK-2025-000123"
    assert other.instruction_id != one.instruction_id
    assert other.idempotency_key != one.idempotency_key


def test_the_payload_is_a_payment_instruction(avro: AvroCodec, rules: RuleSet) -> None:
    row = settlement_row(decided(), POS, avro.encode, rules, NOW)
    decoded = avro.decode(row.instruction_payload)
    assert decoded.name == "bpjs.payment.PaymentInstruction"
    assert decoded.record == {
        "event_id": row.instruction_id,
        "occurred_at": NOW,
        "source": "bpjs-claims",
        "instruction_id": row.instruction_id,
        "claim_id": "KLM-JKK-2025-000123",
        "idempotency_key": "claim:KLM-JKK-2025-000123",
        "program": "JKK",
        "payee": {"name": "SITI RAHAYU", "bank_code": "002", "account_number": "034101000123307"},
        "amount": 16250000,
        "currency": "IDR",
        "due_date": row.due_date,
        "issued_at": NOW,
        "employer_npp": None,  # set only on a reimbursement to an employer
        "replaces_instruction_id": None,  # set only on a re-issue
    }


def test_an_employer_first_approval_settles_without_a_payment_instruction(
    avro: AvroCodec, rules: RuleSet
) -> None:
    """PP 44/2015 jo PP 82/2019: the employer in arrears pays the worker; BPJS pays nothing now."""
    row = settlement_row(
        {**decided(), "payable_by": "EMPLOYER_FIRST"}, POS, avro.encode, rules, NOW
    )
    assert row.instruction_payload is None
    assert (row.payable_by, row.amount) == ("EMPLOYER_FIRST", 16250000)


def test_a_decision_row_keeps_the_decision_and_its_provenance() -> None:
    decision = fixture(DECIDED)
    row = decision_row(decision)
    assert (row.claim_id, row.outcome, row.total, row.reasons) == (
        "KLM-JKK-2025-000123",
        "APPROVED",
        16250000,
        (),
    )
    assert (row.submitted_at, row.decided_at) == (decision["submitted_at"], decision["occurred_at"])
    assert '"coverage_active"' in row.decision_json and '"jkk.transport"' in row.decision_json


def test_a_decision_row_never_records_a_negative_total() -> None:
    assert decision_row(fixture(DECIDED, total=-5)).total == 0


def test_a_payment_result_row_keeps_its_fields() -> None:
    row = payment_result_row(fixture(RESULT))
    assert (row.instruction_id, row.status, row.paid_on, row.failure_reason) == (
        "PI-2025-000456",
        "PAID",
        date(2025, 6, 13),
        None,
    )


SEALER = Sealer.from_config(DEMO_PUBLIC_KEY, KEY)
WHERE = Position("bpjs.participant-events.v1", 3, 184467)


def test_a_v1_dead_letter_holding_the_clear_original_is_sealed_before_it_is_stored() -> None:
    clear = fixture(DEAD_LETTER)  # schema v1: clear key and value, no envelope
    row = dead_letter_row(clear, SEALER, codec().writer_name)
    assert (row.topic, row.partition, row.offset) == (WHERE.topic, 3, 184467)
    assert row.error_class == "streams.codec.UnknownFingerprint"
    assert not hasattr(row, "value") and not hasattr(row, "key")
    opened = Opener.from_config([DEMO_PRIVATE_KEY]).open(row.sealed, WHERE)
    assert opened == (b"24012345678", clear["value"])
    assert (row.key_id, row.value_size) == (SEALER.key_id, len(clear["value"]))
    assert row.value_digest == SEALER.seal(clear["key"], clear["value"], WHERE).value_digest
    assert row.value_schema is None  # the fixture's fingerprint is unknown


def test_a_sealed_dead_letter_keeps_its_envelope_and_metadata() -> None:
    sealed = SEALER.seal(b"24012345678", b"original", WHERE)
    record = fixture(
        DEAD_LETTER,
        key=None,
        value=b"",
        sealed=sealed.envelope,
        key_id=sealed.key_id,
        value_digest=sealed.value_digest,
        value_size=sealed.value_size,
        value_schema="bpjs.enrollment.ParticipantEnrolled",
    )
    row = dead_letter_row(record, SEALER, codec().writer_name)
    assert (row.sealed, row.value_digest, row.value_size) == (
        sealed.envelope,
        sealed.value_digest,
        8,
    )
    assert row.value_schema == "bpjs.enrollment.ParticipantEnrolled"


def test_a_sealed_dead_letter_without_its_digest_is_refused() -> None:
    record = fixture(DEAD_LETTER, sealed=b"\x01", key_id="00" * 8)
    with pytest.raises(ValueError, match="value_digest"):
        dead_letter_row(record, SEALER, codec().writer_name)


@pytest.mark.parametrize("program", ["JKK", "JKM"])
def test_a_late_jkk_or_jkm_payment_owes_one_percent_a_day(program: str, rules: RuleSet) -> None:
    interest = interest_fn(rules)
    assert interest(program, 10_000_000, date(2025, 7, 10), date(2025, 7, 13)) == (3, 300_000)


@pytest.mark.parametrize("program", ["JHT", "JKK", "JKM", "JP"])
@pytest.mark.parametrize("paid_on", [date(2025, 7, 9), date(2025, 7, 10)])
def test_a_payment_on_or_before_its_due_date_owes_no_interest(
    program: str, paid_on: date, rules: RuleSet
) -> None:
    assert interest_fn(rules)(program, 10_000_000, date(2025, 7, 10), paid_on) == (0, 0)


@pytest.mark.parametrize("program", ["JHT", "JP"])
def test_a_late_jht_or_jp_payment_owes_no_statutory_interest(program: str, rules: RuleSet) -> None:
    days, amount = interest_fn(rules)(program, 10_000_000, date(2025, 7, 10), date(2025, 7, 13))
    assert (days, amount) == (3, 0)
