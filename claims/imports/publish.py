"""The bulk import's output side: pseudonymise and encode, publish in batches, show progress.

Throughput notes (2-core dev machine, bench/import_bench.py): kafka-python's producer peaks near
12,000 messages/s and aiokafka's send() near 40,000, while handing aiokafka whole per-partition
batches reaches 150,000+. AvroCodec.encode validates every record (about 50 µs); the direct
writer (claims/imports/avro_writer.py) writes the same bytes in a few. Encoding in a worker
process was tried and dropped: on 2 cores shared with the broker it was no faster, often slower.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any, NamedTuple

from aiokafka import AIOKafkaProducer

from claims.imports.avro_writer import EnrollmentWriter, Unsupported
from services.app import import_batch
from services.app import import_rows as core
from services.config import Settings
from services.privacy import Keyring
from streams.kafka import topics as T
from streams.kafka.admin import KafkaUnavailable
from streams.kafka.auth import aiokafka_options
from streams.kafka.codec import AvroCodec

_M = 0x5BD1E995
_WORDS = tuple(struct.Struct(f"<{n}I") for n in range(64))


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as aiokafka and
    kafka-python compute it, reading four bytes at a time: twice as fast (tests compare)."""
    length = len(data)
    h = 0x9747B28C ^ length
    n = length >> 2
    words = _WORDS[n] if n < len(_WORDS) else struct.Struct(f"<{n}I")
    for k in words.unpack_from(data):
        k = (k * _M) & 0xFFFFFFFF
        k ^= k >> 24
        h = ((h * _M) & 0xFFFFFFFF) ^ ((k * _M) & 0xFFFFFFFF)
    tail = length & 3
    if tail:
        i = length - tail
        if tail == 3:
            h ^= data[i + 2] << 16
        if tail >= 2:
            h ^= data[i + 1] << 8
        h = ((h ^ data[i]) * _M) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * _M) & 0xFFFFFFFF
    return h ^ (h >> 15)


def kafka_partition(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner for keyed messages (murmur2, as the Java client), so a
    participant's later events from other producers land on the same partition."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


log = logging.getLogger(__name__)


class Prepared(NamedTuple):
    """A valid row ready to publish: its NIK pseudonym (under the current key, and under each
    previous key while NIK_HASH_PREVIOUS_KEYS is set), partition and encoded event."""

    ref: str
    partition: int
    value: bytes
    older: tuple[str, ...] = ()


class Preparer:
    """Pseudonymises, partitions and encodes valid rows: what the import sends per row."""

    def __init__(
        self,
        codec: AvroCodec,
        nik_key: str | Keyring,
        batch_id: str,
        sponsor_id: str,
        occurred_at: datetime,
        partitions: int,
    ) -> None:
        self._codec, self._batch, self._sponsor = codec, batch_id, sponsor_id
        self._keys = nik_key if isinstance(nik_key, Keyring) else Keyring.single(nik_key)
        self._at, self._partitions = occurred_at, partitions
        self._checked = False
        try:
            self._write: EnrollmentWriter | None = EnrollmentWriter(
                codec, batch_id, sponsor_id, occurred_at
            )
        except Unsupported as e:
            log.warning("encoding with AvroCodec (slower): %s", e)
            self._write = None

    def encode(self, e: core.Enrollment) -> bytes:
        """One row's event, with the direct writer when it agrees with AvroCodec."""
        if self._write is not None and not self._checked:
            record = import_batch.enrolled_event(e, self._batch, self._sponsor, self._at)
            expected = self._codec.encode(T.PARTICIPANT, record)
            if self._write(e, record["event_id"]) != expected:
                log.warning("the direct writer disagrees with AvroCodec: encoding with AvroCodec")
                self._write = None
            self._checked = True
        if self._write is None:
            record = import_batch.enrolled_event(e, self._batch, self._sponsor, self._at)
            return self._codec.encode(T.PARTICIPANT, record)
        return self._write(e, import_batch.event_id(self._batch, e.kpj))

    def __call__(self, rows: Sequence[core.Enrollment]) -> list[Prepared]:
        keys, n, encode = self._keys, self._partitions, self.encode
        if not keys.previous:
            return [
                Prepared(keys.pseudonym(e.nik), kafka_partition(e.kpj.encode(), n), encode(e))
                for e in rows
            ]
        prepared = []
        for e in rows:
            ref, *older = keys.candidates(e.nik)
            partition = kafka_partition(e.kpj.encode(), n)
            prepared.append(Prepared(ref, partition, encode(e), tuple(older)))
        return prepared


class Publisher:
    """Sends encoded messages in per-partition batches (aiokafka's batch API), keeping one
    chunk in flight while the next is prepared."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer, self.topic = producer, topic
        self._in_flight: list[asyncio.Future[Any]] = []
        self._in_flight_count = 0
        self.confirmed = 0  # messages the broker acknowledged (acks=all)

    async def send(self, messages: Iterable[tuple[bytes, int, bytes]]) -> None:
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for key, partition, value in messages:
            by_partition.setdefault(partition, []).append((key, value))
        previous, self._in_flight = self._in_flight, []
        previous_count = self._in_flight_count
        self._in_flight_count = sum(len(items) for items in by_partition.values())
        for partition, items in by_partition.items():
            batch = self._producer.create_batch()
            for key, value in items:
                if batch.append(key=key, value=value, timestamp=None) is None:  # batch full
                    await self._submit(batch, partition)
                    batch = self._producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
            await self._submit(batch, partition)
        await asyncio.gather(*previous)
        self.confirmed += previous_count

    async def _submit(self, batch: Any, partition: int) -> None:
        self._in_flight.append(
            await self._producer.send_batch(batch, self.topic, partition=partition)
        )

    def abandon(self) -> None:
        """After a failure: stop waiting for what is in flight (its outcome is unknown; a re-run
        of the batch republishes it with the same event ids), retrieving each error."""
        in_flight, self._in_flight = self._in_flight, []
        self._in_flight_count = 0
        for future in in_flight:
            if future.done() and not future.cancelled():
                future.exception()
            else:
                future.add_done_callback(_retrieve)

    async def flush(self) -> None:
        in_flight, self._in_flight = self._in_flight, []
        count, self._in_flight_count = self._in_flight_count, 0
        await asyncio.gather(*in_flight)
        self.confirmed += count


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def start_producer(settings: Settings, topics: Iterable[str]) -> tuple[AIOKafkaProducer, int]:
    """An idempotent acks=all producer and the first topic's partition count; a clear error
    when a topic does not exist (the broker does not create topics)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=1 << 20,
        client_id="claims-import",
        **aiokafka_options(settings),
    )
    try:
        await producer.start()
        cluster = await producer.client.fetch_all_metadata()
        counts = {t: cluster.partitions_for_topic(t) for t in topics}
        missing = [t for t, parts in counts.items() if not parts]
        if missing and settings.kafka_security_protocol != "PLAINTEXT":
            # The broker lists only the topics a principal may see: absent or not authorized.
            raise KafkaUnavailable(
                f"topic(s) {', '.join(missing)} do not exist or KAFKA_SASL_USERNAME="
                f"{settings.kafka_sasl_username} may not write them (`claims import` runs as"
                " the upstream producers' user; `claims topics` creates the topics)"
            )
        if missing:
            raise KafkaUnavailable(
                f"topic(s) {', '.join(missing)} do not exist (run `claims topics`)"
            )
    except BaseException:
        await producer.stop()
        raise
    return producer, len(next(iter(counts.values())) or ())


class Progress:
    """A progress bar with the throughput on a terminal; a plain line every 5 s elsewhere."""

    def __init__(self, out: IO[str] | None, total: int) -> None:
        self.out, self.total = out, max(total, 1)
        self.tty = bool(out is not None and out.isatty())
        self.started = self.shown = time.monotonic()

    def update(self, rows: int, rejected: int, final: bool = False) -> None:
        now = time.monotonic()
        if self.out is None or (not final and now - self.shown < (0.25 if self.tty else 5.0)):
            return
        self.shown = now
        rate = rows / max(now - self.started, 1e-9)
        done = 1.0 if final else min(rows / self.total, 1.0)
        line = (
            f"[{'#' * int(done * 30):<30}] {rows:,} rows, {rejected:,} rejected, {rate:,.0f} rows/s"
        )
        self.out.write(("\r" if self.tty else "") + line + ("\n" if final or not self.tty else ""))
        self.out.flush()
