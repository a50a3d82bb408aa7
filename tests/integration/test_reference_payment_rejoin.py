"""The reference payment service against a real broker, after the broker dropped its member.

kafka-python can stop heartbeating after a rebalance while its consumer goes on fetching
(dpkp/kafka-python#2610): the broker drops the member after its session timeout. In one
`make run` every later commit was then refused (382 "offsets not committed" lines); the service
now warns once per 10 s and, after REJOIN_AFTER_S of refusals, replaces its consumer. Here the
heartbeat is stopped by hand: the broker refuses one commit (UnknownMemberId), and kafka-python
then commits as a consumer outside the group. Either way every instruction is paid once, every
result arrives, and the offsets end committed.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import fastavro
import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from reference_payment import group as G
from reference_payment import service as S
from reference_payment import wire as W

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
FIXTURE = SCHEMAS / "fixtures" / "bpjs.payment.PaymentInstruction" / "v1.json"


def instruction(svc: S.ReferencePaymentService, n: int) -> bytes:
    text = json.dumps({**json.loads(FIXTURE.read_text()), "idempotency_key": f"claim:RJ-{n}"})
    record = next(iter(fastavro.json_reader(io.StringIO(text), svc.instruction)))
    out = io.BytesIO()
    out.write(svc.instruction_header)
    fastavro.schemaless_writer(out, svc.instruction, record)
    return out.getvalue()


def until(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_member_the_broker_dropped_still_pays_each_instruction_once(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(G, "REJOIN_AFTER_S", 3.0)
    prefix, group = f"rj{uuid.uuid4().hex[:8]}.", f"rj-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="rejoin-test")
    admin.create_topics(
        [
            NewTopic(prefix + t, num_partitions=1, replication_factor=1)
            for t in (W.INSTRUCTIONS, W.RESULTS)
        ]
    )
    svc = S.ReferencePaymentService(
        kafka_bootstrap,
        SCHEMAS,
        group=group,
        topic_prefix=prefix,
        consumer_options={"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000},
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    sent = 0

    def send() -> None:
        nonlocal sent
        producer.send(prefix + W.INSTRUCTIONS, key=b"RJ", value=instruction(svc, sent))
        producer.flush()
        sent += 1

    def members() -> int:
        return len(admin.describe_groups([group])[group]["members"])

    svc.start()
    try:
        send()
        until("the first instruction paid", lambda: svc.paid == 1)
        dropped = svc.consumer
        assert dropped is not None
        dropped._coordinator._heartbeat_enabled = False  # what the kafka-python race leaves
        until("the broker to drop the member", lambda: members() == 0, timeout=30)

        for _ in range(10):  # instructions while the member is out of the group
            send()
            time.sleep(0.3)
        until("every instruction paid", lambda: svc.paid == sent, timeout=60)
    finally:
        svc.stop()
        producer.close()

    results = KafkaConsumer(
        prefix + W.RESULTS,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    keys = [
        fastavro.schemaless_reader(io.BytesIO(m.value[10:]), svc.result, None)["idempotency_key"]
        for m in results
    ]
    results.close()
    offsets = admin.list_group_offsets({group: None})[group]
    admin.close()
    assert set(keys) == {f"claim:RJ-{n}" for n in range(sent)}  # each paid, re-sent at most
    (committed,) = offsets.values()
    assert committed.offset == sent  # the new member committed everything
