"""Messages produced to the real broker come back exactly, in order within each partition."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

pytestmark = pytest.mark.integration

MESSAGES = 200
PARTITIONS = 4


def test_roundtrip_keeps_every_message_in_partition_order(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("roundtrip", partitions=PARTITIONS)
    sent: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    try:
        futures = [
            (key, value, producer.send(topic, key=key, value=value))
            for i in range(MESSAGES)
            for key, value in [(f"kpj-{i % 17:02d}".encode(), f"event-{i:04d}".encode())]
        ]
        producer.flush(timeout=30)
        for key, value, future in futures:
            sent[future.get(timeout=30).partition].append((key, value))
    finally:
        producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
    )
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        received: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        for record in consumer:
            received[record.partition].append((record.key, record.value))
            if sum(map(len, received.values())) == MESSAGES:
                break
    finally:
        consumer.close()

    assert dict(received) == dict(sent)
    assert len(sent) > 1, "keys should spread over several partitions"
    # One key always lands on one partition, so per-key order is the order of sending.
    for partition_records in received.values():
        keys = {key for key, _ in partition_records}
        for key in keys:
            values = [v for k, v in partition_records if k == key]
            assert values == sorted(values)
