"""The same batch published twice, the whole stream published twice, then everything replayed
from offset 0 with the group's Kafka offsets reset: PostgreSQL does not change by a single row."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import MemberToRemove
from prometheus_client.parser import text_string_to_metric_families

from streams import topics as T
from tests.faults.harness import (
    CONSUMERS,
    Message,
    Run,
    check,
    codec,
    differences,
    record,
    scenario_messages,
    snapshot,
)
from tests.workers import Worker

POSITIONS = 'SELECT consumer, topic, partition, "offset" FROM processed_offsets ORDER BY 1, 2, 3'
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(900)]


def one_batch(messages: tuple[Message, ...]) -> list[Message]:
    """Every enrollment of the first work-unit batch, and its EnrollmentBatchCompleted."""
    batch_id = None
    out = []
    for m in messages:
        if m.poison is not None:
            continue
        decoded = codec().decode(m.value)
        if decoded.name == T.PARTICIPANT:
            batch_id = batch_id or decoded.record["batch_id"]
            if decoded.record["batch_id"] == batch_id:
                out.append(m)
        elif decoded.name == T.BATCH_COMPLETED and decoded.record["batch_id"] == batch_id:
            out.append(m)
            return out
    raise AssertionError("the scenario has no completed enrollment batch")


def unread(run: Run, worker: Worker) -> list[tuple[str, int, int, int]]:
    """Partitions of the upstream participant topic whose last message the worker has not
    received yet since its start (Faust's own gauge of the last offset received per partition).
    The replay's end is read there, not from the group's committed offsets: those stall after
    an offset reset (faust-streaming; see the README's fault-tier notes), and Kafka's offsets
    are advisory here anyway: PostgreSQL's positions decide what is applied."""
    received: dict[tuple[str, int], float] = {}
    for family in text_string_to_metric_families(worker.metrics()):
        if family.name == "faust_messages_received_per_topics_partition":
            for s in family.samples:
                received[(s.labels["topic"], int(s.labels["partition"]))] = s.value
    ends = run.end_offsets(set(CONSUMERS.values()))
    return [
        (topic, p, int(received.get((run.prefix + topic, p), -1)), end)
        for topic, partitions in ends.items()
        for p, end in partitions.items()
        if end > 0 and received.get((run.prefix + topic, p), -1) < end - 1
    ]


def test_the_same_batch_twice_then_a_full_replay_from_offset_0(
    run: Run, baseline: dict[str, Any]
) -> None:
    run.add_worker()
    run.payments.start()
    run.publish(scenario_messages(), rate=5000)
    run.wait_quiescent()
    first = snapshot(run)

    batch = one_batch(scenario_messages())
    run.publish(batch, rate=5000)  # one enrollment batch again: the same bytes, new offsets
    run.messages = [*scenario_messages(), *batch]
    run.wait_quiescent()
    assert not (diff := differences(snapshot(run), first)), f"the batch twice changed: {diff}"
    # Every upstream event again, in order (an upstream outbox replayed from its start).
    run.publish(scenario_messages(), rate=5000)
    run.messages = [*scenario_messages(), *batch, *scenario_messages()]
    run.wait_quiescent()
    assert not (diff := differences(snapshot(run), first)), f"the stream twice changed: {diff}"
    positions = run.db.query(POSITIONS)

    # Full replay: stop the worker, reset the group's Kafka offsets to 0 on every topic it
    # consumes, start it again. Kafka's offsets are only advisory; PostgreSQL's positions say
    # what was applied.
    run.stop_worker(0, signal.SIGTERM)
    admin = KafkaAdminClient(bootstrap_servers=run.stack.kafka_bootstrap)
    try:
        member = MemberToRemove(group_instance_id=run.workers[0].env["WORKER_INSTANCE_ID"])
        admin.remove_group_members(run.app_id, [member])  # a static member stays until removed
        # The group's offsets reset: deleted, so the restarted worker starts at offset 0
        # everywhere (auto.offset.reset=earliest).
        assert admin.delete_groups([run.app_id]) is not None
        assert admin.list_group_offsets(run.app_id).get(run.app_id, {}) == {}
        worker = run.restart_worker(0, wait=True)
        deadline = time.monotonic() + 180
        while short := unread(run, worker):
            committed = admin.list_group_offsets(run.app_id)[run.app_id]
            print(
                "DIAG",
                time.monotonic(),
                short[:3],
                sorted(
                    (tp.topic[-30:], tp.partition, v.offset)
                    for tp, v in committed.items()
                    if "participant" in tp.topic
                ),
            )
            assert time.monotonic() < deadline, f"the replay did not reach the end: {short}"
            time.sleep(5)
    finally:
        admin.close()
    run.wait_quiescent()
    assert not (diff := differences(snapshot(run), first)), f"the replay changed: {diff}"
    assert run.db.query(POSITIONS) == positions, "the replay moved a recorded position"
    outcome = record(check(run, baseline))
    assert outcome.passed, "\n".join(outcome.failures)
