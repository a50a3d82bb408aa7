"""The secured broker (SECURE=1: SASL/SCRAM-SHA-512 over TLS, ACLs) refuses what it must.

Runs against the real broker of `make test-secure`; skipped on the PLAINTEXT stack. Each refusal
has a positive control beside it (the same principal doing what it may), so a refusal is the
ACL's doing, not a broken login. The module's deployment has its own topic prefix and app id,
with its topics created and its ACLs applied (streams/kafka/acls.py) by the admin user, and
both removed at the end.
"""

from __future__ import annotations

import os
import socket
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from kafka.structs import OffsetAndMetadata

from services.config import Secret, Settings, load_settings
from streams.kafka import acls
from streams.kafka import topics as T
from streams.kafka.admin import delete_service_topics, ensure_topics
from streams.kafka.auth import kafka_python_options

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

SECURE = os.environ.get("KAFKA_SECURITY_PROTOCOL") == "SASL_SSL"
if not SECURE:
    pytest.skip(
        "needs the secured local stack (make test-secure, or SECURE=1 deploy/local/stack up and"
        " its env)",
        allow_module_level=True,
    )

# Short timeouts: a refusal must come quickly, not after kafka-python's 30-60 s defaults.
FAST: dict[str, Any] = {"request_timeout_ms": 10_000}


def users() -> dict[str, str]:
    """The stack's SCRAM users and their passwords (LOCAL_KAFKA_USERS_FILE, mode 0600)."""
    text = Path(os.environ["LOCAL_KAFKA_USERS_FILE"]).read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@dataclass(frozen=True)
class Deployment:
    base: Settings  # the admin's settings with this module's prefix and app id

    def as_user(self, user: str, password: str | None = None) -> Settings:
        pw = users()[user] if password is None else password
        return replace(self.base, kafka_sasl_username=user, kafka_sasl_password=Secret(pw))

    def topic(self, spec: T.TopicSpec) -> str:
        return self.base.topic_prefix + spec.name

    def producer(self, user: str, **kwargs: Any) -> KafkaProducer:
        s = self.as_user(user)
        return KafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            acks="all",
            max_block_ms=10_000,
            **FAST,
            **kafka_python_options(s),
            **kwargs,
        )

    def consumer(self, user: str, **kwargs: Any) -> KafkaConsumer:
        s = self.as_user(user)
        return KafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **FAST,
            **kafka_python_options(s),
            **kwargs,
        )


@pytest.fixture(scope="module")
def deployment(stack: Any) -> Iterator[Deployment]:
    run = uuid.uuid4().hex[:8]
    admin = load_settings(
        {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
            "KAFKA_SASL_USERNAME": "admin",
            "KAFKA_SASL_PASSWORD": users()["admin"],
            "TOPIC_PREFIX": f"s{run}.",
            "CLAIMS_APP_ID": f"s-{run}",
        },
        require_hash_key=False,
    )
    ensure_topics(admin)
    acls.apply(admin, admin.topic_prefix, admin.app_id)
    try:
        yield Deployment(admin)
    finally:
        try:
            acls.remove(admin, admin.topic_prefix, admin.app_id)
        finally:
            delete_service_topics(admin)


def send(producer: KafkaProducer, topic: str) -> None:
    """One record, flushed and acknowledged (raises what the broker answered)."""
    try:
        producer.send(topic, key=b"k", value=b"v").get(timeout=20)
    finally:
        producer.close(timeout=5)


def read_one(consumer: KafkaConsumer, topic: str) -> None:
    """Read a topic's first partition from the start (raises what the broker answered)."""
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        consumer.poll(timeout_ms=3000)
        consumer.position(tp)
    finally:
        consumer.close()


# ---------------------------------------------------------------- who may connect at all


def list_topics(bootstrap: str, options: dict[str, Any]) -> set[str]:
    """A metadata request: what a client must be able to do before anything else."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, bootstrap_timeout_ms=5000, **FAST, **options
    )
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


class BrokerLog:
    """What the local broker logged since this was made (its refusals say why): the stack's
    kafka.log, in LOCAL_STATE_DIR or .local."""

    def __init__(self) -> None:
        state = Path(os.environ.get("LOCAL_STATE_DIR") or REPO / ".local")
        self.path = state / "kafka.log"
        self.start = self.path.stat().st_size if self.path.exists() else 0

    def new_lines(self) -> str:
        with self.path.open("rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace")


def test_a_client_without_credentials_or_tls_is_refused(deployment: Deployment) -> None:
    log = BrokerLog()
    with pytest.raises(KafkaError):  # KafkaTimeoutError: unable to bootstrap
        list_topics(deployment.base.kafka_bootstrap_servers, {})
    assert "Failed authentication with /127.0.0.1" in log.new_lines()
    assert "(SSL handshake failed)" in log.new_lines()


def test_a_wrong_password_is_refused(deployment: Deployment) -> None:
    log = BrokerLog()
    wrong = deployment.as_user(acls.WORKER, password="not-the-password")
    with pytest.raises(KafkaError) as refused:
        list_topics(wrong.kafka_bootstrap_servers, kafka_python_options(wrong))
    assert "not-the-password" not in str(refused.value)
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in log.new_lines()
    assert "not-the-password" not in log.new_lines()


def test_a_client_that_does_not_trust_the_stack_ca_is_refused(deployment: Deployment) -> None:
    """The broker's certificate verifies against the stack's CA, for the host name 127.0.0.1,
    and against nothing else: a client with the system's CAs cannot complete TLS. (A plain TLS
    handshake: kafka-python leaks the sockets of its failed handshakes.)"""
    host, port = deployment.base.kafka_bootstrap_servers.rsplit(":", 1)
    cafile = deployment.base.kafka_ssl_cafile
    assert cafile is not None
    for context, trusted in ((ssl.create_default_context(cafile=str(cafile)), True),
                             (ssl.create_default_context(), False)):  # fmt: skip
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            if trusted:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    assert tls.version() in ("TLSv1.2", "TLSv1.3")
            else:
                with pytest.raises(ssl.SSLCertVerificationError):
                    context.wrap_socket(raw, server_hostname=host)


def test_the_worker_logs_in_and_sees_only_its_topics(deployment: Deployment) -> None:
    worker = deployment.as_user(acls.WORKER)
    topics = list_topics(worker.kafka_bootstrap_servers, kafka_python_options(worker))
    mine = {t for t in topics if t.startswith(worker.topic_prefix)}
    assert mine == {deployment.topic(t) for t in T.TOPICS}


# ---------------------------------------------------------------- the payment services


def test_payments_cannot_write_to_the_participant_topic(deployment: Deployment) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        send(deployment.producer(acls.PAYMENTS), deployment.topic(T.PARTICIPANT_EVENTS))


def test_payments_cannot_read_the_participant_topic(deployment: Deployment) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        read_one(deployment.consumer(acls.PAYMENTS), deployment.topic(T.PARTICIPANT_EVENTS))


def test_payments_write_results_and_read_instructions_with_their_group(
    deployment: Deployment,
) -> None:
    send(deployment.producer(acls.PAYMENTS), deployment.topic(T.PAYMENT_RESULTS))
    group = f"{deployment.base.app_id}-payments"
    consumer = deployment.consumer(acls.PAYMENTS, group_id=group)
    try:
        tp = TopicPartition(deployment.topic(T.PAYMENT_INSTRUCTIONS), 0)
        consumer.assign([tp])
        consumer.poll(timeout_ms=2000)
        consumer.commit({tp: OffsetAndMetadata(consumer.position(tp), "", -1)})
        assert consumer.committed(tp) is not None
    finally:
        consumer.close()


def test_payments_cannot_write_instructions_nor_use_the_workers_group(
    deployment: Deployment,
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        send(deployment.producer(acls.PAYMENTS), deployment.topic(T.PAYMENT_INSTRUCTIONS))
    consumer = deployment.consumer(acls.PAYMENTS, group_id=deployment.base.app_id)
    with pytest.raises(GroupAuthorizationFailedError):
        try:
            tp = TopicPartition(deployment.topic(T.PAYMENT_INSTRUCTIONS), 0)
            consumer.assign([tp])
            consumer.committed(tp)
        finally:
            consumer.close()


# ---------------------------------------------------------------- upstream and worker


def test_upstream_writes_participant_and_sponsor_events_only(deployment: Deployment) -> None:
    # Idempotent, as `claims import` and `claims run` produce: Write on the topic is enough,
    # no IdempotentWrite on the cluster (KIP-679).
    idempotent = deployment.producer(acls.UPSTREAM, enable_idempotence=True)
    send(idempotent, deployment.topic(T.PARTICIPANT_EVENTS))
    send(deployment.producer(acls.UPSTREAM), deployment.topic(T.SPONSOR_EVENTS))
    with pytest.raises(TopicAuthorizationFailedError):
        send(deployment.producer(acls.UPSTREAM), deployment.topic(T.PAYMENT_RESULTS))
    with pytest.raises(TopicAuthorizationFailedError):
        read_one(deployment.consumer(acls.UPSTREAM), deployment.topic(T.PARTICIPANT_EVENTS))


def test_the_worker_cannot_write_upstream_topics_nor_delete_topics(
    deployment: Deployment,
) -> None:
    send(deployment.producer(acls.WORKER), deployment.topic(T.PAYMENT_INSTRUCTIONS))
    with pytest.raises(TopicAuthorizationFailedError):
        send(deployment.producer(acls.WORKER), deployment.topic(T.PARTICIPANT_EVENTS))
    worker = deployment.as_user(acls.WORKER)
    admin = KafkaAdminClient(
        bootstrap_servers=worker.kafka_bootstrap_servers, **FAST, **kafka_python_options(worker)
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            admin.delete_topics([deployment.topic(T.CLAIM_DECISIONS)])
    finally:
        admin.close()


# ---------------------------------------------------------------- aiokafka (`claims import`)


async def test_claims_import_publishes_over_sasl_ssl_as_upstream_only(
    deployment: Deployment,
) -> None:
    from claims.imports.publish import start_producer
    from streams.kafka.admin import KafkaUnavailable

    topic = deployment.topic(T.PARTICIPANT_EVENTS)
    producer, partitions = await start_producer(deployment.as_user(acls.UPSTREAM), [topic])
    try:
        await producer.send_and_wait(topic, b"v", key=b"k")
    finally:
        await producer.stop()
    assert partitions == deployment.base.topic_partitions
    with pytest.raises(KafkaUnavailable, match="KAFKA_SASL_USERNAME=payments may not write"):
        await start_producer(deployment.as_user(acls.PAYMENTS), [topic])


def test_the_reference_payment_services_own_options_log_in_and_see_only_their_topics(
    deployment: Deployment,
) -> None:
    """The options `python -m reference_payment.service` builds from its arguments (kafka-python
    and fastavro only: ssl_cafile, not the service's ssl_context)."""
    from reference_payment.cli import security_options

    s = deployment.as_user(acls.PAYMENTS)
    options = security_options(
        "SASL_SSL",
        "SCRAM-SHA-512",
        acls.PAYMENTS,
        s.kafka_sasl_password.value,
        str(s.kafka_ssl_cafile),
    )
    topics = list_topics(s.kafka_bootstrap_servers, options)
    mine = {t for t in topics if t.startswith(s.topic_prefix)}
    assert mine == {deployment.topic(T.PAYMENT_INSTRUCTIONS), deployment.topic(T.PAYMENT_RESULTS)}


def controller_port() -> int:
    """The local stack's controller port: LOCAL_KAFKA_CONTROLLER_PORT or defaults.env."""
    if os.environ.get("LOCAL_KAFKA_CONTROLLER_PORT"):
        return int(os.environ["LOCAL_KAFKA_CONTROLLER_PORT"])
    for line in (REPO / "deploy" / "local" / "defaults.env").read_text().splitlines():
        if line.startswith("LOCAL_KAFKA_CONTROLLER_PORT="):
            return int(line.split("=", 1)[1])
    raise AssertionError("no LOCAL_KAFKA_CONTROLLER_PORT in deploy/local/defaults.env")


def test_the_controller_listener_admits_only_the_broker(deployment: Deployment) -> None:
    """Admin clients may talk to controllers directly (KIP-919): the controller listener takes
    SASL PLAIN with the broker's own user only, neither anonymous clients nor SCRAM users."""
    controller = f"127.0.0.1:{controller_port()}"
    log = BrokerLog()
    with pytest.raises(KafkaError):
        list_topics(controller, {})
    admin = users()["admin"]
    plain_admin = {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": "admin",
        "sasl_plain_password": admin,
    }
    with pytest.raises(KafkaError):
        list_topics(controller, plain_admin)
    assert "Failed authentication with /127.0.0.1" in log.new_lines()
    assert admin not in log.new_lines()
