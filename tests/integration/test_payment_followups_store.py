"""Migration 0007 and the payment follow-ups against a real PostgreSQL, as the worker's role: a
FAILED payment re-issued once to a corrected payee, every other correction rejected and recorded,
the late interest issued once as its own instruction, what is still owed; and 0007 over rows
written before it (the first instruction keeps its id, status and amount come from the
settlement)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "app"))
from app_events import DECIDED, fixture, instant

from services.adapters.postgres import PostgresStore, migrations
from services.app.followups import FollowUps
from services.app.payment_rows import AccountCorrectionRow, PaymentResultRow
from services.app.records import Position, SettlementRow
from services.app.settlement import INSTRUCTION_NS, interest_fn, settlement_row
from services.rules import default_rules
from streams.kafka.codec import AvroCodec
from tests.conftest import Stack, with_schema

pytestmark = pytest.mark.integration
TOPIC = "bpjs.claims.approved.jkk.v1"
NOW = datetime(2025, 7, 7, 3, tzinfo=UTC)
CODEC = AvroCodec.from_directory(Path(__file__).resolve().parents[2] / "schemas")
FOLLOWUPS = FollowUps(CODEC.encode, lambda b: CODEC.decode(b).record, clock=lambda: NOW)
INTEREST = interest_fn(default_rules())
NEW_PAYEE = {"name": "SITI RAHAYU", "bank_code": "009", "account_number": "0987654321"}


async def _schema(database_url: str, upto: int | None = None) -> str:
    """A schema of its own, migrated by the owner (up to migration `upto` when given)."""
    schema = f"test_followups_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    if upto is None:
        owner = await PostgresStore.connect(with_schema(database_url, schema), size=1)
        try:
            await owner.migrate()
        finally:
            await owner.close()
        return schema
    conn = await asyncpg.connect(with_schema(database_url, schema))
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, sql in migrations():
            if version <= upto:
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, name)
    finally:
        await conn.close()
    return schema


async def _drop(database_url: str, schema: str) -> None:
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


@pytest.fixture
async def store(database_url: str, stack: Stack) -> AsyncIterator[PostgresStore]:
    schema = await _schema(database_url)
    s = await PostgresStore.connect(with_schema(stack.worker_url, schema), size=2)
    try:
        yield s
    finally:
        await s.close()
        await _drop(database_url, schema)


def settled(claim_id: str, offset: int = 0) -> SettlementRow:
    # Submitted Monday 7 July 2025 (Jakarta): JKK is due 7 working days later, 16 July.
    decision = fixture(
        DECIDED, claim_id=claim_id, program="JKK", submitted_at=instant("2025-07-07T02:00")
    )
    rules = default_rules()
    return settlement_row(decision, Position(TOPIC, 0, offset), CODEC.encode, rules, NOW)


def result(claim_id: str, instruction_id: str, status: str, paid_on: date | None = None,
           event: str | None = None) -> PaymentResultRow:  # fmt: skip
    return PaymentResultRow(
        event or f"r-{uuid.uuid4()}", instruction_id, claim_id, status, paid_on,
        None if status == "PAID" else "account closed",
    )  # fmt: skip


def correction(claim_id: str, event: str | None = None) -> AccountCorrectionRow:
    return AccountCorrectionRow(
        event or f"c-{uuid.uuid4()}", NOW, "branch-service", claim_id, NEW_PAYEE, "new account"
    )


async def instructions(store: PostgresStore, claim_id: str) -> list[dict[str, object]]:
    return await store.read_only(
        "SELECT instruction_id, purpose, status, amount, due_date, replaces_instruction_id,"
        " payload FROM payment_outbox WHERE claim_id = $1 ORDER BY created_at, purpose",
        claim_id,
    )


async def test_a_failed_payment_is_reissued_once_to_the_corrected_payee(
    store: PostgresStore,
) -> None:
    row = settled("C-1")
    await store.settle("settlement-jkk", [row])
    first = row.instruction_id
    assert first == str(uuid.uuid5(INSTRUCTION_NS, "C-1"))  # the first instruction's id, as ever
    await store.apply_payment_results([result("C-1", first, "FAILED")], INTEREST, None, FOLLOWUPS)
    again = correction("C-1", "c-same")
    (done,) = await store.apply_account_corrections([again], FOLLOWUPS)
    assert done.rejection is None and done.reissued is not None
    # The same correction redelivered, even in one batch with itself, re-issues nothing more;
    # another correction while the re-issue is pending is rejected.
    assert await store.apply_account_corrections([again, again], FOLLOWUPS) == []
    (later,) = await store.apply_account_corrections([correction("C-1")], FOLLOWUPS)
    assert later.rejection == "payment_pending"
    rows = await instructions(store, "C-1")
    assert [(r["purpose"], r["status"]) for r in rows] == [
        ("claim", "FAILED"),
        ("reissue", "PENDING"),
    ]
    reissue = rows[1]
    assert reissue["replaces_instruction_id"] == first and reissue["amount"] == row.amount
    record = CODEC.decode(bytes(reissue["payload"])).record
    assert record["payee"] == NEW_PAYEE and record["idempotency_key"] == "reissue:C-1:1"
    assert record["replaces_instruction_id"] == first
    status = await store.read_only("SELECT status FROM settlements WHERE claim_id = 'C-1'")
    assert status == [{"status": "PENDING"}]  # owed again, to the new account
    # A FAILED result of the replaced instruction arriving late changes nothing.
    await store.apply_payment_results([result("C-1", first, "FAILED")], INTEREST, None, FOLLOWUPS)
    status = await store.read_only("SELECT status FROM settlements WHERE claim_id = 'C-1'")
    assert status == [{"status": "PENDING"}]
    # Owed: the re-issue only (the failed first instruction is owed through it, never twice).
    assert await store.owed_by_due_date() == [("JKK", row.due_date, 1, row.amount)]
    (paid,) = await store.apply_payment_results(
        [result("C-1", str(done.reissued), "PAID", row.due_date)], INTEREST, None, FOLLOWUPS
    )
    assert paid.status == "PAID" and paid.interest_instruction is None  # on time: no interest
    (after,) = await store.apply_account_corrections([correction("C-1")], FOLLOWUPS)
    assert after.rejection == "already_paid"
    assert await store.owed_by_due_date() == []
    recorded = await store.read_only(
        "SELECT outcome, rejection, detail IS NOT NULL AS explained FROM account_corrections"
        " WHERE claim_id = 'C-1' ORDER BY received_at, outcome"
    )
    assert [(r["outcome"], r["rejection"]) for r in recorded] == [
        ("REISSUED", None), ("REJECTED", "payment_pending"), ("REJECTED", "already_paid"),
    ]  # fmt: skip


async def test_corrections_for_unknown_or_pending_claims_are_rejected(store: PostgresStore) -> None:
    await store.settle("settlement-jkk", [settled("C-2")])
    out = await store.apply_account_corrections([correction("NOPE"), correction("C-2")], FOLLOWUPS)
    assert {o.claim_id: o.rejection for o in out} == {
        "NOPE": "unknown_claim",
        "C-2": "payment_pending",
    }
    assert [r["purpose"] for r in await instructions(store, "C-2")] == ["claim"]


async def test_a_late_payment_issues_its_interest_once_in_the_same_transaction(
    store: PostgresStore,
) -> None:
    row = settled("C-3")
    await store.settle("settlement-jkk", [row])
    late = result("C-3", row.instruction_id, "PAID", date(2025, 7, 21), event="paid-late")
    (paid,) = await store.apply_payment_results([late], INTEREST, None, FOLLOWUPS)
    # 16 July due, 21 July paid: 5 days at 1% of the benefit a day (PP 44/2015 Pasal 37).
    assert paid.days_late == 5 and paid.late_interest == row.amount * 5 // 100
    assert paid.interest_instruction is not None
    # Redelivered (same event), or reported again (a new event): no second interest.
    assert await store.apply_payment_results([late], INTEREST, None, FOLLOWUPS) == []
    again = result("C-3", row.instruction_id, "PAID", date(2025, 7, 22))
    assert await store.apply_payment_results([again], INTEREST, None, FOLLOWUPS) == []
    rows = await instructions(store, "C-3")
    assert [(r["purpose"], r["status"]) for r in rows] == [
        ("claim", "PAID"),
        ("interest", "PENDING"),
    ]
    interest = rows[1]
    assert (interest["amount"], interest["due_date"]) == (paid.late_interest, date(2025, 7, 21))
    record = CODEC.decode(bytes(interest["payload"])).record
    first = CODEC.decode(bytes(rows[0]["payload"])).record
    assert record["payee"] == first["payee"] and record["idempotency_key"] == "interest:C-3"
    assert await store.owed_by_due_date() == [("JKK", date(2025, 7, 21), 1, paid.late_interest)]
    # The interest's own result marks the interest paid, and leaves the settlement as it was.
    done = result("C-3", str(paid.interest_instruction), "PAID", date(2025, 7, 22))
    assert await store.apply_payment_results([done], INTEREST, None, FOLLOWUPS) == []
    assert await store.owed_by_due_date() == []
    s = await store.read_only("SELECT paid_on, late_interest FROM settlements")
    assert s == [{"paid_on": date(2025, 7, 21), "late_interest": paid.late_interest}]


async def test_late_interest_is_on_what_the_late_instruction_paid(store: PostgresStore) -> None:
    # A settlement whose scholarships go by school year: its own instruction pays less than the
    # settlement's amount, and the interest of its late payment is 1% a day of that instruction.
    full = settled("C-5")
    decision = fixture(
        DECIDED, claim_id="C-5", program="JKK", submitted_at=instant("2025-07-07T02:00")
    )
    pays = full.amount - 1_000_000
    row = settlement_row(
        decision, Position(TOPIC, 0, 9), CODEC.encode, default_rules(), NOW, instruction_amount=pays
    )
    await store.settle("settlement-jkk", [row])
    late = result("C-5", row.instruction_id, "PAID", date(2025, 7, 21))
    (paid,) = await store.apply_payment_results([late], INTEREST, None, FOLLOWUPS)
    assert paid.days_late == 5 and paid.late_interest == pays * 5 // 100
    (s,) = await store.read_only("SELECT amount FROM settlements WHERE claim_id = 'C-5'")
    assert s["amount"] == full.amount  # the settlement keeps the decided total


async def test_migration_0007_keeps_the_instructions_written_before_it(
    database_url: str, stack: Stack
) -> None:
    schema = await _schema(database_url, upto=6)
    try:
        row = settled("C-OLD")
        conn = await asyncpg.connect(with_schema(database_url, schema))
        try:
            await conn.execute(
                "INSERT INTO settlements (claim_id, program, amount, payable_by,"
                " rule_set_version, decision, complete_on, due_date, status, paid_on,"
                " failure_reason) VALUES ($1, 'JKK', $2, 'BPJS', 'v', '{}', $3, $4, 'FAILED',"
                " NULL, 'account closed')",
                "C-OLD", row.amount, row.complete_on, row.due_date,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO payment_outbox (instruction_id, claim_id, idempotency_key, payload)"
                " VALUES ($1, 'C-OLD', $2, $3)",
                row.instruction_id, row.idempotency_key, row.instruction_payload,
            )  # fmt: skip
        finally:
            await conn.close()
        owner = await PostgresStore.connect(with_schema(database_url, schema), size=1)
        try:
            assert await owner.migrate() == [
                "0007_payment_followups.sql", "0008_benefits_over_time.sql",
            ]  # fmt: skip
        finally:
            await owner.close()
        worker = await PostgresStore.connect(with_schema(stack.worker_url, schema), size=1)
        try:
            await worker.check_schema()  # the worker's grants cover the new table
            (old,) = await instructions(worker, "C-OLD")
            assert old["instruction_id"] == row.instruction_id  # uuid5 of the claim id, kept
            assert (old["purpose"], old["status"], old["amount"]) == ("claim", "FAILED", row.amount)
            (done,) = await worker.apply_account_corrections([correction("C-OLD")], FOLLOWUPS)
            assert done.rejection is None  # a payment failed before 0007 can be re-issued
        finally:
            await worker.close()
    finally:
        await _drop(database_url, schema)
