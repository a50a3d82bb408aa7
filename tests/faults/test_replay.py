"""The same batch published twice, the whole stream published twice, then the worker restarted
with the group's Kafka offsets deleted: PostgreSQL does not change by a single row, and the
worker starts where PostgreSQL's positions say, re-reading nothing."""

from __future__ import annotations

import signal
import time
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import MemberToRemove
from prometheus_client.parser import text_string_to_metric_families

from streams.kafka import topics as T
from tests.faults.harness import (
    MARKS,
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


def consumed(run: Run) -> float:
    """Events the (only) worker has consumed since it started, on every topic."""
    total = 0.0
    for family in text_string_to_metric_families(run.workers[0].metrics()):
        if family.name == "claims_events_consumed":
            total += sum(s.value for s in family.samples if s.name.endswith("_total"))
    return total


def test_the_same_batch_twice_then_a_restart_without_kafka_offsets(
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
    # The input is frozen from here: the payment service stops too. It would otherwise send a
    # redelivered instruction's result again (after a refused commit or a rejoin), a message
    # beyond the recorded positions that the restarted worker would rightly read.
    run.payments.stop()
    run.wait_quiescent()
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
        run.wait_owned(run.workers[0])
        # PostgreSQL's positions, not Kafka's (deleted) offsets, say where each agent starts:
        # the restarted worker reads nothing of what it had applied. Given the time a re-read
        # from offset 0 would take to show, it has consumed nothing.
        time.sleep(10)
        assert (read := consumed(run)) == 0, f"the restarted worker re-read {read} events"
    finally:
        admin.close()
    run.wait_quiescent()
    assert not (diff := differences(snapshot(run), first)), f"the replay changed: {diff}"
    assert run.db.query(POSITIONS) == positions, "the replay moved a recorded position"
    outcome = record(check(run, baseline))
    assert outcome.passed, "\n".join(outcome.failures)
