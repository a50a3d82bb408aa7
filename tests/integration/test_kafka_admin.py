"""`claims run --fresh` clears the service's topics and consumer groups, on any broker.

The first case is the CI failure of f452c28: on a broker that has never hosted a consumer group
(no __consumer_offsets yet), asking for the coordinator of a group answers
CoordinatorNotAvailable, and the clean-up raised instead of finding nothing to delete.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

from services.config import Settings, load_settings
from streams.kafka.admin import KafkaUnavailable, delete_service_topics, ensure_topics
from tests.integration.test_stack import NOT_USED_DB, REPO, isolated, read_default, run_stack

pytestmark = pytest.mark.integration

KEY = "k" * 32


def _settings(bootstrap: str, app_id: str) -> Settings:
    return load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": NOT_USED_DB,
            "NIK_HASH_KEY": KEY,
            "TOPIC_PREFIX": f"{app_id}.",
            "CLAIMS_APP_ID": app_id,
        }
    )


@pytest.fixture
def fresh_broker(tmp_path: Path, stack: Any) -> Iterator[str]:
    """A broker of its own, just started: no group has ever committed on it."""
    env = isolated(tmp_path) | {"DATABASE_URL": NOT_USED_DB}
    version = os.environ.get("KAFKA_VERSION") or read_default("KAFKA_VERSION")
    shared_libs = REPO / ".local" / f"kafka-libs-{version}"
    if stack.local and (shared_libs / ".complete").exists():
        env["LOCAL_KAFKA_LIBS_DIR"] = str(shared_libs)
    up = run_stack("up", "kafka", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))
    assert up.returncode == 0, up.stderr
    try:
        yield f"127.0.0.1:{env['LOCAL_KAFKA_PORT']}"
    finally:
        run_stack("down", "kafka", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))


def test_a_broker_that_never_hosted_a_group_is_cleared_without_error(fresh_broker: str) -> None:
    settings = _settings(fresh_broker, f"fresh-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings)
    admin = KafkaAdminClient(bootstrap_servers=fresh_broker)
    try:
        assert admin.list_groups() == []
        deleted = delete_service_topics(settings)
        assert f"{settings.topic_prefix}bpjs.participant-events.v1" in deleted
        assert not [t for t in admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        admin.close()


def _commit_offsets(bootstrap: str, group: str, topic: str) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(16104, "", -1)})
    finally:
        consumer.close()


def test_committed_offsets_of_the_service_groups_are_deleted_with_the_topics(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    """The stale offsets a broker kept past the deletion of the topics are gone after --fresh."""
    settings = _settings(kafka_bootstrap, f"stale-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings)
    topic = f"{settings.topic_prefix}bpjs.participant-events.v1"
    groups = [settings.app_id, f"{settings.app_id}-payment-gateway-demo"]
    for group in groups:
        _commit_offsets(kafka_bootstrap, group, topic)
    unrelated = f"unrelated-{uuid.uuid4().hex[:8]}"
    _commit_offsets(kafka_bootstrap, unrelated, new_topic("other-service"))
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        assert set(groups) <= {g["group_id"] for g in admin.list_groups()}
        delete_service_topics(settings)
        left = {g["group_id"] for g in admin.list_groups()}
        assert not set(groups) & left
        assert unrelated in left  # only the service's own groups
        admin.delete_groups([unrelated])
    finally:
        admin.close()


def test_a_group_with_live_members_is_refused_by_name(kafka_bootstrap: str) -> None:
    settings = _settings(kafka_bootstrap, f"busy-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings)
    topic = f"{settings.topic_prefix}bpjs.participant-events.v1"
    member = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=settings.app_id,
        metadata_max_age_ms=500,  # sees the new topic at once, not at the next 5-minute refresh
    )
    try:
        for _ in range(50):  # joins the group on its first polls
            member.poll(timeout_ms=200)
            if member.assignment():
                break
        assert member.assignment()
        with pytest.raises(KafkaUnavailable, match=f"group {settings.app_id} still has members"):
            delete_service_topics(settings)
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            assert topic in admin.list_topics()  # refused before any topic was deleted
        finally:
            admin.close()
    finally:
        member.close()
        delete_service_topics(settings)
