"""Topic administration: create the declared topics with their partitions and retention."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
    TopicAlreadyExistsError,
)

from services.config import Settings
from streams.kafka.auth import kafka_python_options
from streams.kafka.topics import TOPICS

log = logging.getLogger(__name__)
# Seconds to wait for a first answer from the bootstrap servers (kafka-python's default is 30):
# a broker that is down is reported within this, a running one answers in milliseconds.
BOOTSTRAP_TIMEOUT_S = 10.0


class KafkaUnavailable(Exception):
    """Kafka answered, but not as the service needs (topics without leaders, topics missing)."""


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.app_id}-admin",
        bootstrap_timeout_ms=int(BOOTSTRAP_TIMEOUT_S * 1000),
        **kafka_python_options(settings),
    )


def internal_topics(settings: Settings) -> list[NewTopic]:
    """Faust's own leader topic, created up front: a topic that appears after the consumer group
    has formed is only noticed at the next metadata refresh, minutes later. (The worker has no
    Faust table, so no changelog topic.)"""
    return [
        NewTopic(
            f"{settings.app_id}-__assignor-__leader",
            num_partitions=1,
            replication_factor=settings.topic_replication,
            topic_configs={},
        )
    ]


def ensure_topics(settings: Settings, timeout_s: float = 60.0) -> list[str]:
    """Create every declared topic that does not exist yet and wait until each has a leader
    for every partition; return the names created.

    A worker that joins its group before its topics are visible is assigned nothing (faust
    ignores missing topics) until a metadata refresh, minutes later; a broker that has just
    restarted and is still loading its group metadata is slow to show new topics.
    """
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                settings.topic_prefix + spec.name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
                topic_configs=spec.config(),
            )
            for spec in TOPICS
            if settings.topic_prefix + spec.name not in existing
        ] + [t for t in internal_topics(settings) if t.name not in existing]
        if wanted:
            # Another worker may win the race to create them: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
            _wait_for_leaders(admin, [t.name for t in wanted], timeout_s)
        return [t.name for t in wanted]
    finally:
        admin.close()


def _wait_for_leaders(admin: KafkaAdminClient, names: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        described = admin.describe_topics(names)
        ready = [
            t["error_code"] == 0
            and t["partitions"]
            and all(p["leader_id"] >= 0 for p in t["partitions"])
            for t in described
        ]
        if len(ready) == len(names) and all(ready):
            return
        if time.monotonic() > deadline:
            raise KafkaUnavailable(f"topics have no leader after {timeout_s:.0f}s: {names}")
        time.sleep(0.2)


# Answers while the broker is still electing the coordinator of a group (just after it started,
# or before __consumer_offsets exists): asking again shortly after succeeds.
_COORDINATOR_NOT_READY = (
    CoordinatorNotAvailableError,
    CoordinatorLoadInProgressError,
    NotCoordinatorError,
)
_NOT_READY_NAMES = {e.__name__ for e in _COORDINATOR_NOT_READY}


def _delete_groups(admin: KafkaAdminClient, groups: list[str], deadline: float) -> None:
    """Delete those of `groups` that exist. Only existing groups are asked for: finding the
    coordinator of a group that never was fails with CoordinatorNotAvailable on a broker whose
    __consumer_offsets does not exist yet (seen on Kafka 3.9.2 in CI)."""
    while True:
        try:
            existing = sorted({g["group_id"] for g in admin.list_groups()} & set(groups))
            if not existing:
                return
            results = admin.delete_groups(existing)
        except _COORDINATOR_NOT_READY as e:
            results = {g: type(e).__name__ for g in groups}
        busy = [g for g, r in results.items() if r == "NonEmptyGroupError"]
        if busy:
            raise KafkaUnavailable(
                f"consumer group {', '.join(busy)} still has members: stop its workers first"
            )
        pending = {g: r for g, r in results.items() if r in _NOT_READY_NAMES}
        failed = {
            g: r
            for g, r in results.items()
            if r not in {"OK", "GroupIdNotFoundError"} | _NOT_READY_NAMES
        }
        if failed:
            raise KafkaUnavailable(f"could not delete consumer groups: {failed}")
        if not pending:
            return
        if time.monotonic() > deadline:
            raise KafkaUnavailable(f"group coordinator not available to delete {sorted(pending)}")
        time.sleep(0.5)


def delete_service_topics(settings: Settings, timeout_s: float = 60.0) -> list[str]:
    """Delete every topic of the service and its consumer groups (for `claims run --fresh` on a
    local stack). The groups go first, so that a worker still running stops it before any topic
    is touched; their committed offsets must go because a broker can keep them past the deletion
    of their topics (seen when the topics were deleted just after the broker started), and `claims
    run` would then read the new, shorter logs as consumed already."""
    admin = _admin(settings)
    try:
        deadline = time.monotonic() + timeout_s
        _delete_groups(
            admin, [settings.app_id, f"{settings.app_id}-payment-gateway-demo"], deadline
        )
        names = {settings.topic_prefix + spec.name for spec in TOPICS} | {
            t.name for t in internal_topics(settings)
        }
        doomed = [t for t in admin.list_topics() if t in names]
        if doomed:
            admin.delete_topics(doomed)
        while set(admin.list_topics()) & set(doomed):  # deletion is asynchronous
            if time.monotonic() > deadline:
                raise KafkaUnavailable(
                    f"topics still being deleted after {timeout_s:.0f}s: {doomed}"
                )
            time.sleep(0.5)
        return doomed
    finally:
        admin.close()
