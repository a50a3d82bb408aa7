"""Topic administration: create the declared topics with their partitions and retention."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.config import Settings
from streams.topics import TOPICS

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


def delete_service_topics(settings: Settings, timeout_s: float = 60.0) -> list[str]:
    """Delete every topic of the service (for `claims run --fresh` on a local stack)."""
    admin = _admin(settings)
    try:
        names = {settings.topic_prefix + spec.name for spec in TOPICS} | {
            t.name for t in internal_topics(settings)
        }
        doomed = [t for t in admin.list_topics() if t in names]
        if doomed:
            admin.delete_topics(doomed)
        deadline = time.monotonic() + timeout_s
        while set(admin.list_topics()) & set(doomed):  # deletion is asynchronous
            if time.monotonic() > deadline:
                raise KafkaUnavailable(
                    f"topics still being deleted after {timeout_s:.0f}s: {doomed}"
                )
            time.sleep(0.5)
        return doomed
    finally:
        admin.close()
