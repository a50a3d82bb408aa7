"""The follow-up instructions (late interest, re-issue) and the ageing of what is owed: pure."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.app import intake
from services.app.aged_unpaid import BUCKETS, PROGRAMS, age_bucket, aged
from services.app.followups import REJECTIONS, FollowUps, interest_key, reissue_key
from services.app.payment_rows import AccountCorrectionRow
from services.app.settlement import INSTRUCTION_NS, payment_instruction
from services.errors import InvalidEvent
from streams.kafka.codec import AvroCodec
from streams.pipeline import SCHEMAS_DIR

NOW = datetime(2025, 6, 20, 3, 0, tzinfo=UTC)
PAYEE = {"name": "SITI RAHAYU", "bank_code": "002", "account_number": "034101000123307"}
NEW_PAYEE = {"name": "SITI RAHAYU", "bank_code": "009", "account_number": "0987654321"}
CLAIM = "KLM-JKK-2025-000123"


@pytest.fixture(scope="module")
def avro() -> AvroCodec:
    return AvroCodec.from_directory(SCHEMAS_DIR)


def first(avro: AvroCodec) -> bytes:
    record = payment_instruction(
        f"claim:{CLAIM}", CLAIM, "JKK", PAYEE, 16_250_000, date(2025, 6, 12), NOW
    )
    return avro.encode("bpjs.payment.PaymentInstruction", record)


def followups(avro: AvroCodec) -> FollowUps:
    return FollowUps(avro.encode, lambda b: avro.decode(b).record, clock=lambda: NOW)


def test_the_late_interest_is_its_own_instruction_to_the_same_payee(avro: AvroCodec) -> None:
    made = followups(avro).interest(first(avro), 812_500, date(2025, 6, 17))
    record = avro.decode(made.payload).record
    assert made.idempotency_key == record["idempotency_key"] == interest_key(CLAIM)
    assert (record["amount"], record["payee"], record["program"]) == (812_500, PAYEE, "JKK")
    assert record["due_date"] == made.due_date == date(2025, 6, 17)  # owed since the late payment
    assert record["replaces_instruction_id"] is None
    # Its id derives from its key: the same interest made again is the same instruction.
    assert made.instruction_id == str(uuid.uuid5(INSTRUCTION_NS, f"interest:{CLAIM}"))
    assert made.instruction_id != str(uuid.uuid5(INSTRUCTION_NS, CLAIM))


def test_a_reissue_pays_the_same_amount_by_the_same_date_to_the_corrected_payee(
    avro: AvroCodec,
) -> None:
    row = AccountCorrectionRow("ev-1", NOW, "branch-service", CLAIM, NEW_PAYEE, "account closed")
    made = followups(avro).reissue(first(avro), row, 1, "first-id")
    record = avro.decode(made.payload).record
    assert made.idempotency_key == reissue_key(CLAIM, 1) == f"reissue:{CLAIM}:1"
    assert (record["amount"], record["due_date"]) == (16_250_000, date(2025, 6, 12))
    assert record["payee"] == NEW_PAYEE and record["replaces_instruction_id"] == "first-id"
    second = followups(avro).reissue(first(avro), row, 2, made.instruction_id)
    assert second.instruction_id != made.instruction_id


def test_every_rejection_code_is_explained() -> None:
    assert set(REJECTIONS) >= {"unknown_claim", "payment_pending", "already_paid"}
    assert all(REJECTIONS.values())


@pytest.mark.parametrize(
    ("today", "bucket"),
    [
        (date(2025, 6, 1), "not_due"),
        (date(2025, 6, 12), "not_due"),  # the due date itself is the last day to pay
        (date(2025, 6, 13), "1-7"),
        (date(2025, 6, 19), "1-7"),
        (date(2025, 6, 20), "8-30"),
        (date(2025, 7, 12), "8-30"),
        (date(2025, 7, 13), "over_30"),
    ],
)
def test_age_buckets_count_days_past_the_due_date(today: date, bucket: str) -> None:
    assert age_bucket(date(2025, 6, 12), today) == bucket


def test_aged_has_every_program_and_bucket_and_sums_rupiah_as_integers() -> None:
    rows = [("JKK", date(2025, 6, 12), 2, 30_000_000), ("JKK", date(2025, 6, 10), 1, 812_500)]
    owed = {(o.program, o.bucket): o for o in aged(rows, date(2025, 6, 14))}
    assert set(owed) == {(p, b) for p in PROGRAMS for b in BUCKETS}
    assert (owed[("JKK", "1-7")].instructions, owed[("JKK", "1-7")].amount) == (3, 30_812_500)
    assert isinstance(owed[("JKK", "1-7")].amount, int)
    assert owed[("JHT", "not_due")].amount == 0


def test_a_correction_with_a_bad_account_is_refused_by_field_shape_and_reason() -> None:
    record = {
        "event_id": "ev-1", "occurred_at": NOW, "source": "branch-service", "claim_id": CLAIM,
        "payee": {**NEW_PAYEE, "account_number": "0987-654321"}, "reason": " ",
    }  # fmt: skip
    with pytest.raises(InvalidEvent) as e:
        intake.validate("bpjs.payment.PaymentAccountCorrected", record)
    message = str(e.value)
    assert "payee.account_number" in message and "0987-654321" not in message
    assert "reason" in message and "must not be empty" in message
