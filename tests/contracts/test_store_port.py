"""The store port's contract (services/app/ports.py WorkerStore), run against both adapters.

The same behaviours against the memory store (services/adapters/memory.py) and the real
PostgreSQL (services/adapters/postgres.py, a schema of its own per test): what the agents rely
on when they commit a batch. A fake that drifts from PostgreSQL fails here, not in production.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "app"))
from app_events import DECIDED, fixture, instant

from services.adapters.memory import MemoryStore
from services.adapters.postgres import PostgresStore
from services.app.followups import FollowUps
from services.app.payment_rows import AccountCorrectionRow, PaymentResultRow
from services.app.ports import WorkerStore
from services.app.records import (
    BatchMarkerRow,
    Checkpoint,
    DecisionRow,
    Mark,
    OutboxEvent,
    ParticipantRow,
    Position,
    SettlementRow,
    SponsorFundingRow,
)
from services.app.settlement import settlement_row
from services.errors import Fenced
from services.rules import default_rules
from streams.kafka.codec import AvroCodec

PARTICIPANTS = "bpjs.participant-events.v1"
APPROVED = "bpjs.claims.approved.jht.v1"
RESULTS = "bpjs.payment-results.v1"
NOW = datetime(2025, 7, 7, 3, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[WorkerStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    database_url: str = request.getfixturevalue("database_url")
    schema = f"test_port_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in database_url else "?"
    owner = await PostgresStore.connect(f"{database_url}{joiner}search_path={schema}", size=1)
    try:
        await owner.migrate()
    finally:
        await owner.close()
    # The contract runs as the worker's role (WORKER_DATABASE_URL of the local stack): what the
    # agents do, the restricted role may do.
    worker_url: str = request.getfixturevalue("stack").worker_url
    joiner = "&" if "?" in worker_url else "?"
    pg = await PostgresStore.connect(f"{worker_url}{joiner}search_path={schema}", size=2)
    try:
        yield pg
    finally:
        await pg.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def checkpoint(consumer: str, topic: str, *marks: tuple[int, int, int]) -> Checkpoint:
    return Checkpoint(consumer, tuple(Mark(topic, p, first, last) for p, first, last in marks))


def participant(kpj: str, offset: int, wage: int = 5_000_000) -> ParticipantRow:
    return ParticipantRow(
        kpj=kpj,
        participant_ref=f"ref-{kpj}",
        category="PU",
        birth_date=date(1990, 1, 1),
        employer_npp="NPP-1",
        sponsor_id=None,
        work_unit=None,
        batch_id="B-1",
        enrolled_on=date(2020, 1, 1),
        declared_wage=wage,
        jkk_risk_class=1,
        ended_on=None,
        end_reason=None,
        coverage_json=json.dumps({"kpj": kpj, "wage": wage}),
        position=Position(PARTICIPANTS, 0, offset),
    )


def decision(claim_id: str, kpj: str) -> DecisionRow:
    return DecisionRow(
        claim_id=claim_id,
        kpj=kpj,
        participant_ref=f"ref-{kpj}",
        program="JHT",
        event_date=date(2025, 7, 1),
        submitted_at=NOW,
        outcome="APPROVED",
        reasons=(),
        total=10_000_000,
        payable_by="BPJS",
        rule_set_version="test",
        decision_json=json.dumps({"claim_id": claim_id}),
        decided_at=NOW,
    )


def settlement(claim_id: str, offset: int, amount: int = 10_000_000) -> SettlementRow:
    return SettlementRow(
        claim_id=claim_id,
        program="JHT",
        amount=amount,
        payable_by="BPJS",
        rule_set_version="test",
        decision_json=json.dumps({"claim_id": claim_id}),
        complete_on=date(2025, 7, 7),
        due_date=date(2025, 7, 14),
        instruction_id=f"PI-{claim_id}",
        idempotency_key=f"idem-{claim_id}",
        instruction_payload=f"instruction {claim_id}".encode(),
        position=Position(APPROVED, 0, offset),
    )


def late_by_days(program: str, amount: int, due: date, paid: date) -> tuple[int, int]:
    days = max(0, (paid - due).days)
    return days, amount * days // 100  # 1% a day, floored: an exact stand-in for the rule


# -- positions and the fence ---------------------------------------------------------------------


async def test_a_committed_batch_records_its_last_offsets(store: WorkerStore) -> None:
    cp = checkpoint("participants", PARTICIPANTS, (0, 0, 4), (3, 10, 12))
    await store.commit_participants(cp, [participant("K1", 4)], [], [])
    assert await store.processed_offsets("participants", PARTICIPANTS) == {0: 4, 3: 12}
    assert await store.processed_offsets("someone-else", PARTICIPANTS) == {}


async def test_a_batch_applied_already_is_fenced_and_changes_nothing(store: WorkerStore) -> None:
    cp = checkpoint("participants", PARTICIPANTS, (0, 0, 4))
    await store.commit_participants(cp, [participant("K1", 4, wage=1)], [], [])
    with pytest.raises(Fenced):
        await store.commit_participants(cp, [participant("K1", 4, wage=2)], [], [])
    overlapping = checkpoint("participants", PARTICIPANTS, (0, 3, 8))
    with pytest.raises(Fenced):
        await store.advance(overlapping)
    assert (await store.load_participants(["K1"]))["K1"]["wage"] == 1
    assert await store.processed_offsets("participants", PARTICIPANTS) == {0: 4}


async def test_the_next_batch_after_a_commit_goes_through(store: WorkerStore) -> None:
    await store.advance(checkpoint("sponsors", PARTICIPANTS, (1, 0, 9)))
    await store.advance(checkpoint("sponsors", PARTICIPANTS, (1, 10, 19)))
    assert await store.processed_offsets("sponsors", PARTICIPANTS) == {1: 19}


# -- participants, decisions and the event outbox ------------------------------------------------


async def test_participants_state_reads_back_as_committed(store: WorkerStore) -> None:
    cp = checkpoint("participants", PARTICIPANTS, (0, 0, 1))
    rows = [participant("K1", 0, wage=4_000_000), participant("K2", 1, wage=6_000_000)]
    await store.commit_participants(cp, rows, [], [])
    loaded = await store.load_participants(["K1", "K2", "never-enrolled"])
    assert loaded == {
        "K1": {"kpj": "K1", "wage": 4_000_000},
        "K2": {"kpj": "K2", "wage": 6_000_000},
    }


async def test_a_claim_is_decided_once_and_its_events_wait_until_published(
    store: WorkerStore,
) -> None:
    event = OutboxEvent((APPROVED,), "C-1", b"decided C-1")
    first = checkpoint("participants", PARTICIPANTS, (0, 0, 0))
    pending = await store.commit_participants(
        first, [participant("K1", 0)], [decision("C-1", "K1")], [event]
    )
    assert [(p.topics, p.key, p.payload) for p in pending] == [((APPROVED,), "C-1", b"decided C-1")]
    again = checkpoint("participants", PARTICIPANTS, (0, 1, 1))
    await store.commit_participants(again, [], [decision("C-1", "K1")], [])
    status = await store.claim_status("C-1")
    assert status is not None and status["outcome"] == "APPROVED"
    assert await store.claim_status("C-unknown") is None
    left = await store.events_pending(10, older_than_s=-60)
    assert [p.id for p in left] == [p.id for p in pending]
    await store.events_published([p.id for p in pending])
    assert await store.events_pending(10, older_than_s=-60) == []


async def test_sponsor_fundings_read_back_per_sponsor(store: WorkerStore) -> None:
    funding = SponsorFundingRow(
        "PEMPROV-DKI", "DKI-2025", "Pemprov DKI", "PEMDA", date(2025, 1, 1), date(2025, 12, 31),
        1_000_000_000, ("JKK", "JKM"), 250_000, "ev-1",
    )  # fmt: skip
    cp = checkpoint("sponsors", "bpjs.sponsor-events.v1", (0, 0, 0))
    await store.commit_sponsors(cp, [funding], [BatchMarkerRow("B-1", "PEMPROV-DKI", 250_000)])
    assert await store.sponsor_fundings(["PEMPROV-DKI", "nobody"]) == {
        "PEMPROV-DKI": {"fundings": [["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025"]]}
    }


# -- settlement and the payment outbox -----------------------------------------------------------


async def test_a_claim_settles_once_with_one_instruction(store: WorkerStore) -> None:
    cp = checkpoint("settlement-jht", APPROVED, (0, 10, 12))
    batch = [settlement("C-1", 10), settlement("C-2", 11), settlement("C-1", 12)]
    assert sorted(await store.settle("settlement-jht", batch, cp)) == ["C-1", "C-2"]
    later = checkpoint("settlement-jht", APPROVED, (0, 13, 13))
    assert await store.settle("settlement-jht", [settlement("C-1", 13)], later) == []
    pending = await store.outbox_pending(10)
    assert sorted(i.instruction_id for i in pending) == ["PI-C-1", "PI-C-2"]
    assert await store.outbox_backlog() == 2
    assert await store.unpaid_settlements() == 2


async def test_settling_without_a_checkpoint_records_each_row_s_position(
    store: WorkerStore,
) -> None:
    await store.settle("settlement-jht", [settlement("C-1", 10), settlement("C-2", 12)])
    assert await store.processed_offsets("settlement-jht", APPROVED) == {0: 12}


async def test_a_published_instruction_leaves_the_outbox_once(store: WorkerStore) -> None:
    await store.settle("settlement-jht", [settlement("C-1", 10), settlement("C-2", 11)])
    await store.mark_published([("PI-C-1", 3, 100)])
    await store.mark_published([("PI-C-1", 4, 200)])  # a second acknowledgement changes nothing
    assert [i.instruction_id for i in await store.outbox_pending(10)] == ["PI-C-2"]
    assert await store.outbox_backlog() == 1


# -- payment results -------------------------------------------------------------------------------


async def test_a_payment_result_applies_once_and_a_paid_claim_stays_paid(
    store: WorkerStore,
) -> None:
    await store.settle("settlement-jht", [settlement("C-1", 10, amount=1_000_000)])
    paid = PaymentResultRow("ev-1", "PI-C-1", "C-1", "PAID", date(2025, 7, 16), None)
    cp = checkpoint("payments", RESULTS, (0, 0, 0))
    outcomes = await store.apply_payment_results([paid], late_by_days, cp)
    assert [(o.claim_id, o.status, o.days_late, o.late_interest) for o in outcomes] == [
        ("C-1", "PAID", 2, 20_000)
    ]
    failed_later = PaymentResultRow("ev-2", "PI-C-1", "C-1", "FAILED", None, "account closed")
    again = checkpoint("payments", RESULTS, (0, 1, 2))
    assert await store.apply_payment_results([paid, failed_later], late_by_days, again) == []
    assert await store.unpaid_settlements() == 0
    assert await store.unpaid_by_due_date(date(2025, 12, 31)) == []


async def test_unpaid_settlements_are_counted_by_program_and_due_date(
    store: WorkerStore,
) -> None:
    await store.settle("settlement-jht", [settlement("C-1", 10), settlement("C-2", 11)])
    assert await store.unpaid_by_due_date(date(2025, 7, 13)) == []
    assert await store.unpaid_by_due_date(date(2025, 7, 14)) == [("JHT", date(2025, 7, 14), 2)]


CODEC = AvroCodec.from_directory(Path(__file__).resolve().parents[2] / "schemas")


def _jkk_settlement(claim_id: str) -> SettlementRow:
    """A settlement with a real encoded instruction (the follow-ups decode it)."""
    decision = fixture(
        DECIDED, claim_id=claim_id, program="JKK", submitted_at=instant("2025-07-07T02:00")
    )
    pos = Position("bpjs.claims.approved.jkk.v1", 0, 0)
    return settlement_row(decision, pos, CODEC.encode, default_rules(), NOW)


async def test_a_failed_payment_is_reissued_once_and_other_corrections_are_rejected(
    store: WorkerStore,
) -> None:
    followups = FollowUps(CODEC.encode, lambda b: CODEC.decode(b).record, clock=lambda: NOW)
    row = _jkk_settlement("C-9")
    await store.settle("settlement-jkk", [row])
    failed = PaymentResultRow("ev-9", row.instruction_id, "C-9", "FAILED", None, "closed")
    await store.apply_payment_results([failed], late_by_days, None, followups)
    payee = {"name": "SITI", "bank_code": "009", "account_number": "0987654321"}

    def fix(event: str, claim_id: str = "C-9") -> AccountCorrectionRow:
        return AccountCorrectionRow(event, NOW, "branch", claim_id, payee, "new account")

    (done,) = await store.apply_account_corrections([fix("c-1")], followups)
    assert done.rejection is None and done.reissued is not None
    assert await store.apply_account_corrections([fix("c-1")], followups) == []  # redelivered
    later = await store.apply_account_corrections([fix("c-2"), fix("c-3", "NOPE")], followups)
    assert [o.rejection for o in later] == ["payment_pending", "unknown_claim"]
    paid = PaymentResultRow("ev-10", done.reissued, "C-9", "PAID", row.due_date, None)
    (outcome,) = await store.apply_payment_results([paid], late_by_days, None, followups)
    assert outcome.status == "PAID"
    (after,) = await store.apply_account_corrections([fix("c-4")], followups)
    assert after.rejection == "already_paid"
