"""Sponsor, settlement, payment-result and dead-letter agents, and the outbox relay."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date

import pytest
from prometheus_client import CollectorRegistry
from streams_support import (
    MemoryStore,
    Meta,
    RecordingProducer,
    Worker,
    eventually,
    fixture,
)

from services.adapters.metrics import Metrics
from services.app.records import OutboxItem, Position
from services.errors import StoreError, TransientError
from services.sealing import DEMO_PRIVATE_KEY, Opener
from streams.delivery.outbox import relay_outbox

FUNDED = "bpjs.enrollment.SponsoredCohortFunded"
BATCH = "bpjs.enrollment.EnrollmentBatchCompleted"
DECIDED = "bpjs.claim.ClaimDecided"
RESULT = "bpjs.payment.PaymentResult"
DEAD_LETTER = "bpjs.ops.DeadLetter"
INSTRUCTION = "bpjs.payment.PaymentInstruction"


async def test_a_funded_cohort_fills_the_sponsor_table_and_is_saved(worker: Worker) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["sponsor-events"].test_context() as a:
        await a.put(codec.encode(FUNDED, fixture(codec, FUNDED)), key=b"PEMPROV-DKI")
        await a.put(codec.encode(BATCH, fixture(codec, BATCH)), key=b"PEMPROV-DKI")
        await eventually(lambda: bool(worker.store.batches))
    assert await worker.store.sponsor_fundings(["PEMPROV-DKI"]) == {
        "PEMPROV-DKI": {
            "fundings": [["2025-01-01", "2025-12-31", ["JKK", "JKM"], "DKI-2025-BPU-RENTAN"]]
        }
    }
    assert worker.store.commits == 1  # one transaction for the batch, positions included
    assert [f.cohort_id for f in worker.store.fundings] == ["DKI-2025-BPU-RENTAN"]
    assert [b.batch_id for b in worker.store.batches] == ["DKI-2025-01-BPU-0007"]


async def test_an_invalid_sponsor_event_is_dead_lettered(worker: Worker) -> None:
    codec = worker.pipe.codec
    bad = fixture(codec, FUNDED, period_end=date(2024, 1, 1))
    async with worker.app.agents["sponsor-events"].test_context() as a:
        await a.put(codec.encode(FUNDED, bad), key=b"PEMPROV-DKI")
        await eventually(lambda: bool(worker.producer.sent))
    (parked,) = worker.producer.sent
    assert codec.decode(parked.value).record["error_class"] == "InvalidEvent"
    assert worker.store.fundings == []


async def test_a_row_the_database_refuses_is_dead_lettered_and_the_rest_is_written(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    poison = fixture(codec, DECIDED, claim_id="POISON")
    good = fixture(codec, DECIDED)
    async with worker.app.agents["settlement-jkk"].test_context() as a:
        await a.put(codec.encode(DECIDED, poison), key=b"POISON", wait=False)
        await a.put(codec.encode(DECIDED, good), key=b"KLM-JKK-2025-000123")
        await eventually(lambda: bool(worker.store.settlements) and bool(worker.producer.sent))
    assert list(worker.store.settlements) == ["KLM-JKK-2025-000123"]
    (parked,) = worker.producer.sent
    assert codec.decode(parked.value).record["error_class"] == "StoreError"
    # Both positions are recorded: the poison's with its dead letter, the other with its row.
    assert worker.store.positions[("settlement-jkk", "bpjs.claims.approved.jkk.v1", 0)] == 1
    assert worker.fatal == []


async def test_a_transient_database_error_is_retried_until_the_write_succeeds(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    worker.store.fail["settle"] = [TransientError("connection lost")]
    async with worker.app.agents["settlement-jkk"].test_context() as a:
        await a.put(codec.encode(DECIDED, fixture(codec, DECIDED)), key=b"KLM-JKK-2025-000123")
        await eventually(lambda: bool(worker.store.settlements))
    assert worker.producer.sent == []
    assert worker.store.fail["settle"] == []


async def test_a_batch_another_worker_recorded_meanwhile_is_rolled_back_not_applied_twice(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    where = ("settlement-jkk", "bpjs.claims.approved.jkk.v1", 0)

    def another_worker_records_offset_0() -> None:
        worker.store.positions[where] = 0

    def fenced() -> float | None:
        return worker.pipe.metrics.registry.get_sample_value(
            "claims_batches_fenced_total", {"consumer": "settlement-jkk"}
        )

    worker.store.racing = another_worker_records_offset_0
    async with worker.app.agents["settlement-jkk"].test_context() as a:
        await a.put(codec.encode(DECIDED, fixture(codec, DECIDED)), key=b"KLM-JKK-2025-000123")
        await eventually(lambda: fenced() == 1)
    assert worker.store.settlements == {} and worker.store.commits == 0
    assert worker.fatal == []


async def test_an_approved_decision_settles_once_with_its_payment_instruction(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    payload = codec.encode(DECIDED, fixture(codec, DECIDED))
    async with worker.app.agents["settlement-jkk"].test_context() as a:
        await a.put(payload, key=b"KLM-JKK-2025-000123")
        await a.put(payload, key=b"KLM-JKK-2025-000123")
        await eventually(lambda: len(worker.store.settle_calls) >= 1)
        await eventually(lambda: a.processed_offset >= 2)
    (row,) = worker.store.settlements.values()
    assert (row.program, row.amount, row.idempotency_key) == (
        "JKK",
        16250000,
        "claim:KLM-JKK-2025-000123",
    )
    assert set(worker.store.settle_calls) == {"settlement-jkk"}
    instruction = codec.decode(row.instruction_payload)
    assert instruction.name == INSTRUCTION
    assert instruction.record["due_date"] == row.due_date


async def test_payment_results_are_applied_and_invalid_ones_parked(worker: Worker) -> None:
    codec = worker.pipe.codec
    bad = fixture(codec, RESULT, paid_on=None)
    async with worker.app.agents["payment-results"].test_context() as a:
        await a.put(codec.encode(RESULT, bad), key=b"KLM-JKK-2025-000123", wait=False)
        await a.put(codec.encode(RESULT, fixture(codec, RESULT)), key=b"KLM-JKK-2025-000123")
        await eventually(lambda: bool(worker.store.payments) and bool(worker.producer.sent))
    assert [p.status for p in worker.store.payments] == ["PAID"]
    (parked,) = worker.producer.sent
    assert codec.decode(parked.value).record["error_class"] == "InvalidEvent"


async def test_dead_letters_are_recorded_and_unreadable_ones_too_but_never_parked_again(
    worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["dead-letter-recorder"].test_context() as a:
        await a.put(b"garbage", key=b"t", wait=False)
        await a.put(codec.encode(DEAD_LETTER, fixture(codec, DEAD_LETTER)), key=b"t")
        await eventually(lambda: len(worker.store.dead_letters) == 2)
    unreadable, row = worker.store.dead_letters
    # Something on the dead-letter topic that is no dead letter: a dead letter of that topic,
    # stored (sealed) straight into PostgreSQL, never published again.
    assert (unreadable.error_class, unreadable.consumer) == ("BadMarker", "dead-letter-recorder")
    assert unreadable.value_size == len(b"garbage")
    assert Opener.from_config([DEMO_PRIVATE_KEY]).open(
        unreadable.sealed, Position(unreadable.topic, unreadable.partition, unreadable.offset)
    ) == (b"t", b"garbage")
    assert row.error_class == "streams.codec.UnknownFingerprint"
    assert worker.producer.sent == []  # a dead letter is never parked again
    # The fixture is a schema v1 dead letter with the clear value: the recorder seals it.
    where = Position(row.topic, row.partition, row.offset)
    clear = fixture(codec, DEAD_LETTER)
    opened = Opener.from_config([DEMO_PRIVATE_KEY]).open(row.sealed, where)
    assert opened == (clear["key"], clear["value"])


async def test_a_failure_outside_the_error_policy_stops_the_worker_unacknowledged(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    worker.store.fail["settle"] = [RuntimeError("driver bug")]
    agent = worker.app.agents["settlement-jkk"]
    async with agent.test_context() as a:
        decided = fixture(codec, DECIDED)
        await a.put(codec.encode(DECIDED, decided), key=decided["claim_id"].encode())
        await eventually(lambda: bool(worker.fatal))  # a real worker exits here (os._exit)
    (where, error), *_ = worker.fatal
    assert where == "settlement-jkk" and isinstance(error, RuntimeError)


# -- the outbox relay ---------------------------------------------------------------------------


async def test_the_relay_publishes_pending_instructions_and_marks_them_with_their_offsets(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    store, producer = MemoryStore(), RecordingProducer()
    for n in range(3):
        record = fixture(codec, INSTRUCTION, instruction_id=f"PI-{n}", claim_id=f"KLM-{n}")
        payload = codec.encode(INSTRUCTION, record)
        store.outbox[f"PI-{n}"] = OutboxItem(f"PI-{n}", f"KLM-{n}", payload)
    metrics = Metrics(CollectorRegistry())

    async def send(claim_id: str, payload: bytes) -> Awaitable[Meta]:
        return await producer.send("bpjs.payment-instructions.v1", claim_id, payload)

    assert await relay_outbox(store, send, metrics, limit=2) == 2  # type: ignore[arg-type]
    assert await relay_outbox(store, send, metrics, limit=2) == 1  # type: ignore[arg-type]
    assert await relay_outbox(store, send, metrics, limit=2) == 0  # type: ignore[arg-type]
    assert [s.key for s in producer.sent] == ["KLM-0", "KLM-1", "KLM-2"]
    assert store.published == {"PI-0": (0, 0), "PI-1": (0, 1), "PI-2": (0, 2)}
    assert metrics.registry.get_sample_value("claims_outbox_backlog") == 0


async def test_a_store_error_leaves_the_outbox_untouched() -> None:
    store, producer = MemoryStore(), RecordingProducer()
    store.fail["outbox_pending"] = [StoreError("boom")]
    with pytest.raises(StoreError):
        await relay_outbox(store, producer.send, Metrics(CollectorRegistry()), limit=5)  # type: ignore[arg-type]  # never called
    assert producer.sent == [] and store.published == {}


@pytest.mark.parametrize("key", [None, b"PEMPROV-JABAR", b"\xff"])
async def test_a_sponsor_event_not_keyed_by_its_sponsor_id_is_dead_lettered(
    worker: Worker, key: bytes | None
) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["sponsor-events"].test_context() as a:
        await a.put(codec.encode(FUNDED, fixture(codec, FUNDED)), key=key)
        await eventually(lambda: bool(worker.producer.sent))
    (parked,) = worker.producer.sent
    letter = codec.decode(parked.value).record
    assert letter["error_class"] == "KeyMismatch"
    assert "sponsor events must be keyed by their sponsor_id" in letter["error_message"]
    assert worker.store.fundings == []


async def test_an_employer_batch_without_a_sponsor_may_be_keyed_by_its_npp(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["sponsor-events"].test_context() as a:
        await a.put(codec.encode(BATCH, fixture(codec, BATCH, sponsor_id=None)), key=b"31001501")
        await eventually(lambda: bool(worker.store.batches))
    assert worker.producer.sent == []
