"""The import's Publisher counts only what the broker acknowledged, so after a Kafka failure
`claims import` can say how many rows were published. The producer here stands in for aiokafka's
batch API (create_batch / send_batch returning a delivery future): the real one is exercised
against the real broker in tests/integration/test_bulk_import.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from claims.imports.publish import Publisher


class Batch:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes]] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object:
        self.records.append((key, value))
        return object()


class BatchProducer:
    """Delivery futures the test settles by hand: acknowledged or failed."""

    def __init__(self) -> None:
        self.deliveries: list[asyncio.Future[Any]] = []

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.deliveries.append(future)
        return future


def messages(n: int, partitions: int = 2) -> list[tuple[bytes, int, bytes]]:
    return [(f"k{i}".encode(), i % partitions, b"v") for i in range(n)]


async def test_only_acknowledged_chunks_count_as_published() -> None:
    producer = BatchProducer()
    publisher = Publisher(producer, "t")  # type: ignore[arg-type]  # aiokafka's batch API, by shape
    await publisher.send(messages(10))
    assert publisher.confirmed == 0  # handed over, not acknowledged
    for delivery in producer.deliveries:
        delivery.set_result(None)
    await publisher.send(messages(4))  # waits for the previous chunk's acknowledgements
    assert publisher.confirmed == 10
    for delivery in producer.deliveries[2:]:
        delivery.set_result(None)
    await publisher.flush()
    assert publisher.confirmed == 14


async def test_a_failed_chunk_is_not_counted_and_its_errors_are_retrieved(
    recwarn: pytest.WarningsRecorder,
) -> None:
    producer = BatchProducer()
    publisher = Publisher(producer, "t")  # type: ignore[arg-type]
    await publisher.send(messages(6, partitions=3))
    first, *rest = producer.deliveries
    first.set_exception(KafkaTimeoutError())
    with pytest.raises(KafkaTimeoutError):
        await publisher.send(messages(2))
    publisher.abandon()
    for delivery in rest:
        delivery.set_exception(KafkaTimeoutError())
    await asyncio.sleep(0)
    assert publisher.confirmed == 0
