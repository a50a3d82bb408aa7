"""The participant-events agent: decode, validate, apply, publish decisions, park what fails."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from streams_support import Worker, eventually, fixture

from services.app.records import Position
from services.errors import StoreError
from services.privacy import pseudonymise
from services.sealing import DEMO_PRIVATE_KEY, Opener
from streams.kafka.codec import AvroCodec

KPJ = "24012345678"
NIK = "3171014501900001"
ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
POSTED = "bpjs.contribution.ContributionPosted"
CLAIM = "bpjs.claim.ClaimSubmitted"
FUNDED = "bpjs.enrollment.SponsoredCohortFunded"
DECISIONS = "bpjs.claim-decisions.v1"
APPROVED_JKK = "bpjs.claims.approved.jkk.v1"
DEAD_LETTERS = "bpjs.dead-letters.v1"


def recovered_jkk(codec: AvroCodec, claim_id: str = "KLM-JKK-2025-000123") -> dict[str, Any]:
    base = fixture(codec, CLAIM, claim_id=claim_id)
    detail = {**base["detail"], "outcome": "RECOVERED", "disabilities": [], "wage": 1000000}
    return {**base, "detail": detail}


def postings(codec: AvroCodec) -> list[dict[str, Any]]:
    return [
        fixture(
            codec,
            POSTED,
            event_id=f"posting-2025-0{m}",
            period=f"2025-0{m}",
            paid_date=date(2025, m, 10),
        )
        for m in range(1, 6)
    ]


async def test_an_enrolment_is_committed_as_the_state_pseudonymised(worker: Worker) -> None:
    codec, agent = worker.pipe.codec, worker.app.agents["participant-events"]
    async with agent.test_context() as a:
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await eventually(lambda: bool(worker.store.participants))
    state = worker.store.states[KPJ]
    assert state["ref"] == pseudonymise(NIK, worker.pipe.settings.nik_hash_key.value)
    (row,) = worker.store.participants
    assert (row.kpj, row.position.topic, row.position.offset) == (
        KPJ,
        "bpjs.participant-events.v1",
        0,
    )
    assert NIK not in row.coverage_json and NIK not in repr(state)
    assert worker.producer.sent == []


async def test_an_approved_claim_goes_to_the_decisions_and_its_programs_topic(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["sponsor-events"].test_context() as sponsors:
        await sponsors.put(codec.encode(FUNDED, fixture(codec, FUNDED)), key=b"PEMPROV-DKI")
        await eventually(lambda: bool(worker.store.fundings))
    events = [(ENROLLED, fixture(codec, ENROLLED))]
    events += [(POSTED, p) for p in postings(codec)]
    events += [(CLAIM, recovered_jkk(codec))]
    async with worker.app.agents["participant-events"].test_context() as a:
        for name, record in events:
            await a.put(codec.encode(name, record), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DECISIONS)))
    (decided,) = worker.producer.to(DECISIONS)
    (routed,) = worker.producer.to(APPROVED_JKK)
    assert decided.key == routed.key == "KLM-JKK-2025-000123"
    assert decided.value == routed.value
    record = codec.decode(decided.value).record
    assert (record["outcome"], record["total"] > 0) == ("APPROVED", True)
    assert worker.store.participants[-1].position.offset == len(events) - 1
    claims = worker.store.states[KPJ]["claims"]
    assert set(claims) == {"KLM-JKK-2025-000123"}


async def test_a_claim_for_an_unknown_kpj_is_published_as_rejected_not_enrolled(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(codec.encode(CLAIM, recovered_jkk(codec)), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.sent))
    (decided,) = worker.producer.sent
    assert decided.topic == DECISIONS
    record = codec.decode(decided.value).record
    assert (record["outcome"], record["reasons"]) == ("REJECTED", ["not_enrolled"])
    assert worker.store.participants == []
    assert worker.store.states.get(KPJ) is None


@pytest.mark.parametrize(
    ("payload", "error_class"),
    [
        (b"not avro at all", "BadMarker"),
        ("invalid", "InvalidEvent"),
        ("unknown", "UnknownParticipant"),
    ],
)
async def test_an_event_that_cannot_be_applied_is_dead_lettered_and_the_batch_goes_on(
    worker: Worker, payload: Any, error_class: str
) -> None:
    codec = worker.pipe.codec
    key = KPJ
    if payload == "invalid":
        payload = codec.encode(ENROLLED, fixture(codec, ENROLLED, kpj="123"))
    elif payload == "unknown":
        key = "24099999999"  # keyed by its own KPJ, as every participant event must be
        payload = codec.encode(POSTED, fixture(codec, POSTED, kpj=key))
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(payload, key=key.encode())
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await eventually(lambda: bool(worker.store.participants))
    (parked,) = worker.producer.to(DEAD_LETTERS)
    assert parked.key == "bpjs.participant-events.v1"
    letter = codec.decode(parked.value).record
    assert (letter["error_class"], letter["offset"]) == (error_class, 0)
    # The original is only sealed: the worker cannot open it, the operators' private key can.
    assert (letter["key"], letter["value"], letter["value_size"]) == (None, b"", len(payload))
    where = Position("bpjs.participant-events.v1", 0, 0)
    opener = Opener.from_config([DEMO_PRIVATE_KEY])
    assert opener.open(letter["sealed"], where) == (key.encode(), payload)
    assert letter["value_schema"] == codec.writer_name(payload)
    assert letter["consumer"] == "participant-events"
    assert NIK not in letter["error_message"]
    assert [r.position.offset for r in worker.store.participants] == [1]
    assert worker.fatal == []


async def test_an_identity_mismatch_is_dead_lettered_without_the_nik(worker: Worker) -> None:
    codec = worker.pipe.codec
    other = "3171014501900002"
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await a.put(codec.encode(POSTED, fixture(codec, POSTED, nik=other)), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DEAD_LETTERS)))
    letter = codec.decode(worker.producer.to(DEAD_LETTERS)[0].value).record
    assert letter["error_class"] == "IdentityMismatch"
    assert other not in letter["error_message"] and NIK not in letter["error_message"]


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, "key=<null>"),
        (b"\xff\xfe24012345678", "key=<13 bytes, not UTF-8>"),
        (b"24099999999", "key=24099999999"),  # another well-formed KPJ is shown
        (NIK.encode(), "key=<16 digits>"),  # a NIK as the key is never shown
        (KPJ.encode() + b"\n", "key=<12 characters>"),
    ],
)
async def test_an_event_not_keyed_by_its_kpj_is_dead_lettered_and_the_batch_goes_on(
    worker: Worker, key: bytes | None, shown: str
) -> None:
    codec = worker.pipe.codec
    payload = codec.encode(ENROLLED, fixture(codec, ENROLLED))
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(payload, key=key)
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await eventually(lambda: bool(worker.store.participants))
    (parked,) = worker.producer.to(DEAD_LETTERS)
    letter = codec.decode(parked.value).record
    assert letter["error_class"] == "KeyMismatch"
    assert letter["error_message"] == (
        f"{ENROLLED}: {shown}: participant events must be keyed by their KPJ: ordering depends"
        f" on it (this record's kpj is {KPJ})"
    )
    assert NIK not in letter["error_message"]
    assert [r.position.offset for r in worker.store.participants] == [1]
    counted = worker.pipe.metrics.registry.get_sample_value(
        "claims_dead_letters_total",
        {"topic": "bpjs.participant-events.v1", "error_class": "KeyMismatch"},
    )
    assert counted == 1


async def test_an_enrolment_with_another_nik_for_a_known_kpj_never_takes_it_over(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    other = "3171014501900002"
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED, nik=other)), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DEAD_LETTERS)))
    letter = codec.decode(worker.producer.to(DEAD_LETTERS)[0].value).record
    assert letter["error_class"] == "IdentityConflict"
    assert other not in letter["error_message"] and NIK not in letter["error_message"]
    state = worker.store.states[KPJ]
    assert state["ref"] == pseudonymise(NIK, worker.pipe.settings.nik_hash_key.value)
    assert [r.position.offset for r in worker.store.participants] == [0]


async def test_a_claim_batch_commits_state_decision_outbox_and_positions_in_one_transaction(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    events = [(ENROLLED, fixture(codec, ENROLLED))]
    events += [(POSTED, p) for p in postings(codec)]
    events += [(CLAIM, recovered_jkk(codec))]
    async with worker.app.agents["participant-events"].test_context() as a:
        for name, record in events[:-1]:
            await a.put(codec.encode(name, record), key=KPJ.encode(), wait=False)
        await a.put(codec.encode(CLAIM, events[-1][1]), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DECISIONS)))
    store = worker.store
    assert store.commits == 1  # the whole batch: one transaction
    assert [d.claim_id for d in store.decisions] == ["KLM-JKK-2025-000123"]
    assert store.positions[("participant-events", "bpjs.participant-events.v1", 0)] == 6
    assert set(store.states[KPJ]["claims"]) == {"KLM-JKK-2025-000123"}
    assert store.events == {}  # published after the commit, then deleted from the outbox


async def test_the_cache_never_serves_state_from_a_transaction_that_did_not_commit(
    worker: Worker,
) -> None:
    codec = worker.pipe.codec
    first, second = postings(codec)[:2]
    async with worker.app.agents["participant-events"].test_context() as a:
        await a.put(codec.encode(ENROLLED, fixture(codec, ENROLLED)), key=KPJ.encode())
        await eventually(lambda: KPJ in worker.store.states)
        # The transaction of the batch with the first posting is refused.
        worker.store.fail["commit_participants"] = [StoreError("refused")]
        await a.put(codec.encode(POSTED, first), key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DEAD_LETTERS)))
        await a.put(codec.encode(POSTED, second), key=KPJ.encode())
        await eventually(lambda: len(worker.store.participants) == 2)
    ledger = worker.store.states[KPJ]["ledger"]
    assert second["period"] in str(ledger) and first["period"] not in str(ledger)
    letter = codec.decode(worker.producer.to(DEAD_LETTERS)[0].value).record
    assert (letter["error_class"], letter["offset"]) == ("StoreError", 1)
    assert worker.store.positions[("participant-events", "bpjs.participant-events.v1", 0)] == 2
