"""Topic administration: create the declared topics with their partitions and retention."""

from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.config import Settings
from streams.topics import TOPICS

log = logging.getLogger(__name__)


def internal_topics(settings: Settings) -> list[NewTopic]:
    """Faust's own topics, created up front: a topic that appears after the consumer group has
    formed is only noticed at the next metadata refresh, minutes later."""
    compact = {"cleanup.policy": "compact"}
    return [
        NewTopic(f"{settings.app_id}-{table}-changelog", num_partitions=settings.topic_partitions,
                 replication_factor=settings.topic_replication, topic_configs=compact)
        for table in ("participants", "sponsors")
    ] + [NewTopic(f"{settings.app_id}-__assignor-__leader", num_partitions=1,
                  replication_factor=settings.topic_replication, topic_configs={})]


def ensure_topics(settings: Settings) -> list[str]:
    """Create every declared topic that does not exist yet; return the names created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=f"{settings.app_id}-admin"
    )
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                spec.name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
                topic_configs=spec.config(),
            )
            for spec in TOPICS
            if spec.name not in existing
        ] + [t for t in internal_topics(settings) if t.name not in existing]
        if wanted:
            try:
                admin.create_topics(wanted)
            except TopicAlreadyExistsError:  # another worker won the race: fine
                pass
        return [t.name for t in wanted]
    finally:
        admin.close()
