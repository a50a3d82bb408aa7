"""Our own record of what each agent has durably processed, so no message is ever skipped.

faust-streaming can drop a fetched message during a rebalance and still move on, and its
committed offsets can step over it. We do not rely on its bookkeeping for correctness: every
agent records the last offset it processed per partition in PostgreSQL (`processed_offsets`),
in the same transaction as the batch's effects (streams/delivery/batches.py), and Kafka's committed
offsets are only advisory. Each event is then checked against
the offset we expect next on its partition:

- lower: already processed and durable (a redelivery after a rebalance): acknowledged, skipped;
- higher: messages were skipped: the partition is sought back to the expected offset and the
  out-of-order events are dropped until it arrives, so events are always applied in order;
- a partition whose expected offset stays below its high-water mark with no event arriving (a
  dropped last message) is sought back by `Positions.watch`; so is one with no position yet whose
  first message was dropped (`watch` learns where its log starts).

Before anything is recorded for a partition, the expected offset is the start of its log, so a
new consumer begins with the first message. Redelivery is harmless: every consumer here is
idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from faust.exceptions import ConsumerNotStarted

from services.errors import TransientError

log = logging.getLogger(__name__)

STALL_SECONDS = 10.0
R = TypeVar("R")


async def retrying(what: str, call: Callable[[], Awaitable[R]]) -> R:
    """Retry a position read or write through a database outage (capped backoff, forever).

    These calls run inside the agent's stream loop, outside any per-batch error policy: raised,
    the error would crash the agent (Faust restarts it, but without the batch in hand)."""
    delay = 0.1
    while True:
        try:
            return await call()
        except TransientError as e:
            log.warning("%s: transient database error, retry in %.1fs: %s", what, delay, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class PositionStore(Protocol):
    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]: ...


class Positions:
    """Expected next offsets of one agent's partitions, backed by PostgreSQL."""

    def __init__(
        self,
        consumer_name: str,
        store: PositionStore,
        app: Any,
        consumed: Callable[[str, int], None] = lambda topic, n: None,
        topic: str | None = None,
    ) -> None:
        self.name = consumer_name
        self.topic = topic  # the agent's topic (full name), for `assigned`
        self.store = store
        self.app = app
        self.consumed = consumed  # called once per batch: (topic, events consumed)
        self._recorded: dict[str, dict[int, int]] = {}  # PostgreSQL's positions, read once
        self.next: dict[Any, int] = {}  # next offset to take into a batch, per partition
        self.seen_at: dict[Any, float] = {}
        self.sought_at: dict[Any, float] = {}
        self.seeks = 0

    async def expected(self, tp: Any) -> int:
        if tp not in self.next:
            if tp.topic not in self._recorded:
                self._recorded[tp.topic] = await retrying(
                    f"{self.name}: positions",
                    lambda: self.store.processed_offsets(self.name, tp.topic),
                )
            recorded = self._recorded[tp.topic]
            if tp.partition in recorded:
                self.next.setdefault(tp, recorded[tp.partition] + 1)
            else:
                earliest = await self.app.consumer.earliest_offsets(tp)
                # An event may have been admitted while we waited for the broker: keep its
                # position rather than step back to the start of the log.
                self.next.setdefault(tp, int(earliest.get(tp, 0) or 0))
        return self.next[tp]

    def admit_known(self, event: Any) -> bool | None:
        """`admit` without an await for the usual case (the next offset of a partition already
        known); None when the slow path must decide."""
        m = event.message
        tp = m.tp
        expected = self.next.get(tp)
        if expected is None or m.offset != expected:
            return None
        self.next[tp] = expected + 1
        self.seen_at[tp] = time.monotonic()
        return True

    def forget(self, topic: str, partition: int) -> None:
        """Read this partition's position from PostgreSQL again before taking anything more of
        it (its batch was fenced: another worker recorded it)."""
        for tp in [tp for tp in self.next if tp.topic == topic and tp.partition == partition]:
            self.next.pop(tp, None)
        self._recorded.pop(topic, None)

    async def resync(self, topic: str, partition: int) -> None:
        """After a fenced batch: read this partition's position from PostgreSQL again and, if it
        is still ours, seek there. The fenced batch was acknowledged; any of its events beyond
        what the other worker recorded must be read again, even if nothing new arrives."""
        self.forget(topic, partition)
        try:
            assigned = self.app.consumer.assignment()
        except ConsumerNotStarted:  # Faust's test_context: nothing to seek
            return
        for tp in assigned:
            if tp.topic == topic and tp.partition == partition:
                await self.seek(tp, await self.expected(tp), "batch fenced")

    async def assigned(self, tps: Any) -> None:
        """On assignment: start each of our partitions at the position PostgreSQL records (Kafka's
        committed offsets are only advisory: they may be behind, or past a dropped message)."""
        mine = [tp for tp in tps if tp.topic == self.topic]
        self.next.clear()
        self._recorded.clear()
        if not mine:
            return
        recorded = await retrying(
            f"{self.name}: positions",
            lambda: self.store.processed_offsets(self.name, mine[0].topic),
        )
        self._recorded[mine[0].topic] = recorded
        for tp in sorted(mine):
            # Only partitions PostgreSQL has a position for: asking the broker for the start of
            # a log from inside this rebalance callback would wait on the consumer thread that
            # runs the callback (a deadlock, cancelled by Faust). The rest start where Kafka
            # says, and `admit` checks their first event against the start of the log.
            if tp.partition not in recorded:
                # `watch` learns where its log starts, outside the callback; until then the
                # partition counts as seen now, so a dropped first message is sought back too.
                self.seen_at[tp] = time.monotonic()
                continue
            self.next[tp] = recorded[tp.partition] + 1
            await self.app.consumer.seek(tp, self.next[tp])
            self.seen_at[tp] = self.sought_at[tp] = time.monotonic()

    async def admit(self, event: Any) -> bool:
        """Whether to take `event` into the batch (otherwise it is acknowledged and skipped)."""
        tp, offset = event.message.tp, event.message.offset
        self.seen_at[tp] = time.monotonic()
        expected = await self.expected(tp)
        if offset == expected:
            self.next[tp] = offset + 1
            return True
        if offset > expected and not self._seek_pending(tp):
            await self.seek(tp, expected, f"expected {expected}, got {offset}")
        return False

    def _seek_pending(self, tp: Any) -> bool:
        """A seek was issued recently: events fetched before it are still draining."""
        return time.monotonic() - self.sought_at.get(tp, 0.0) < STALL_SECONDS

    async def seek(self, tp: Any, offset: int, why: str) -> None:
        log.warning(
            "%s: seeking %s[%s] back to %s (%s)", self.name, tp.topic, tp.partition, offset, why
        )
        consumer = self.app.consumer
        # Faust's seek also resets its read position, so refetched offsets are not filtered out
        # as already read. Events fetched before the seek still drain first: `admit` skips them
        # without seeking again (a seek per stale event would restart the fetch every time).
        await consumer.seek(tp, offset)
        self.seen_at[tp] = self.sought_at[tp] = time.monotonic()
        self.seeks += 1

    async def watch(self) -> None:
        """Seek back partitions that have fallen silent below their high-water mark.

        A rebalance may take a partition away while this awaits the broker or PostgreSQL: the
        assignment is read again after each await, and a partition the consumer no longer holds
        (aiokafka asserts "Partition is not assigned") is skipped until it comes back.
        """
        consumer = self.app.consumer
        # Partitions of ours with no expected offset yet (no position in PostgreSQL and no event
        # seen since the assignment): without one, a first message Faust dropped would never be
        # noticed. Their expected offset is the start of the log.
        unknown = (tp for tp in consumer.assignment() if tp.topic == self.topic)
        for tp in sorted(tp for tp in unknown if tp not in self.next):
            if tp not in consumer.assignment():
                continue  # revoked while we asked about another one
            try:
                await self.expected(tp)
            except AssertionError:  # revoked while we asked about this one
                continue
            self.seen_at.setdefault(tp, time.monotonic())
        now = time.monotonic()
        assigned = consumer.assignment()
        for tp, expected in list(self.next.items()):
            if tp not in assigned:
                self.next.pop(tp, None)  # revoked: re-read our position when it comes back
                self._recorded.pop(tp.topic, None)
                continue
            quiet = now - self.seen_at.get(tp, now) > STALL_SECONDS
            try:
                highwater = consumer.highwater(tp)  # None until the first fetch response
                if quiet and highwater is not None and expected < highwater:
                    await self.seek(tp, expected, "silent below the high-water mark")
            except AssertionError:  # revoked since `assigned` was read (a seek awaits)
                continue
