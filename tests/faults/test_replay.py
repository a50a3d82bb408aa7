"""The same batch published twice, the whole stream published twice, then everything replayed
from offset 0 with the group's Kafka offsets reset: PostgreSQL does not change by a single row."""

from __future__ import annotations

import signal
import time
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import MemberToRemove
from kafka.structs import TopicPartition

from streams import topics as T
from tests.faults.harness import (
    MARKS,
    PARTICIPANTS,
    Message,
    Run,
    check,
    codec,
    differences,
    record,
    scenario_messages,
    snapshot,
)

POSITIONS = 'SELECT consumer, topic, partition, "offset" FROM processed_offsets ORDER BY 1, 2, 3'
pytestmark = MARKS


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


def behind(run: Run, admin: KafkaAdminClient) -> list[tuple[str, int, int | None, int]]:
    """Partitions of the upstream participant topic whose group offset is short of its end:
    the replay is over when the worker has re-read (and skipped) everything the branches
    published. Kafka's offsets only show how far it read; PostgreSQL's positions decide what
    is applied."""
    ends = run.end_offsets({PARTICIPANTS})
    committed = admin.list_group_offsets(run.app_id).get(run.app_id, {})
    out = []
    for topic, partitions in ends.items():
        for p, end in partitions.items():
            at = committed.get(TopicPartition(run.prefix + topic, p))
            if end > 0 and (at is None or at.offset < end):
                out.append((topic, p, None if at is None else at.offset, end))
    return out


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
        run.restart_worker(0, wait=True)
        deadline = time.monotonic() + 180
        while short := behind(run, admin):
            assert time.monotonic() < deadline, f"the replay did not reach the end: {short}"
            time.sleep(1)
    finally:
        admin.close()
    run.wait_quiescent()
    assert not (diff := differences(snapshot(run), first)), f"the replay changed: {diff}"
    assert run.db.query(POSITIONS) == positions, "the replay moved a recorded position"
    outcome = record(check(run, baseline))
    assert outcome.passed, "\n".join(outcome.failures)
