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

Where a log starts is asked of the broker as rarely as possible, and never on the usual path.
Faust runs every consumer call (its fetches too) on a thread with two workers, so a slow
ListOffsets there stalls the whole worker until `broker_request_timeout` (90 s) ends it. So: an
event at offset 0 needs no lookup (no log starts below 0); the other partitions of a topic are
looked up together, one lookup of this worker in flight at a time (`BrokerOffsets`), bounded
by `LOOKUP_TIMEOUT_S`; `watch` asks only about a partition that holds messages and stays silent.
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
LOOKUP_TIMEOUT_S = 10.0
R = TypeVar("R")


class OffsetLookupTimeout(TransientError):
    """The broker did not say where logs start within `LOOKUP_TIMEOUT_S`: ask again later."""


class BrokerOffsets:
    """The worker's lookups of log starts and ends: one at a time, each bounded in time.

    Every Faust consumer call runs on its consumer thread's two method-queue workers, the
    fetches included; one lookup at a time leaves a worker free to fetch. A lookup that times
    out is cancelled here; a lookup still queued behind it is dropped by the thread unrun."""

    def __init__(self, app: Any, timeout_s: float | None = None) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self._one_at_a_time: asyncio.Lock | None = None  # made on first use, in the worker's loop

    async def earliest(self, tps: list[Any]) -> dict[Any, int]:
        return await self._ask("log starts", tps, lambda: self.app.consumer.earliest_offsets(*tps))

    async def latest(self, tps: list[Any]) -> dict[Any, int]:
        return await self._ask("high-water marks", tps, lambda: self.app.consumer.highwaters(*tps))

    async def _ask(
        self, what: str, tps: list[Any], call: Callable[[], Awaitable[Any]]
    ) -> dict[Any, int]:
        if not tps:
            return {}
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        timeout = LOOKUP_TIMEOUT_S if self.timeout_s is None else self.timeout_s
        async with self._one_at_a_time:
            try:
                return dict(await asyncio.wait_for(call(), timeout))
            except TimeoutError:
                raise OffsetLookupTimeout(
                    f"the broker gave no {what} of {len(tps)} partition(s) in {timeout:.0f}s"
                ) from None


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
        offsets: BrokerOffsets | None = None,
    ) -> None:
        self.name = consumer_name
        self.offsets = offsets or BrokerOffsets(app)  # shared by the worker's trackers
        self.topic = topic  # the agent's topic (full name), for `assigned`
        self.store = store
        self.app = app
        self.consumed = consumed  # called once per batch: (topic, events consumed)
        self._recorded: dict[str, dict[int, int]] = {}  # PostgreSQL's positions, read once
        self.next: dict[Any, int] = {}  # next offset to take into a batch, per partition
        self.seen_at: dict[Any, float] = {}
        self.sought_at: dict[Any, float] = {}
        self.seeks = 0

    async def recorded(self, topic: str) -> dict[int, int]:
        """PostgreSQL's positions of `topic`'s partitions, read once per assignment."""
        if topic not in self._recorded:
            self._recorded[topic] = await retrying(
                f"{self.name}: positions", lambda: self.store.processed_offsets(self.name, topic)
            )
        return self._recorded[topic]

    async def _has_position(self, tp: Any) -> bool:
        return tp.partition in await self.recorded(tp.topic)

    async def expected(self, tp: Any) -> int:
        if tp not in self.next:
            recorded = await self.recorded(tp.topic)
            if tp.partition in recorded:
                self.next.setdefault(tp, recorded[tp.partition] + 1)
            else:
                await self._learn_starts(tp)
        return self.next[tp]

    async def _learn_starts(self, tp: Any) -> None:
        """The start of `tp`'s log, and of every other partition of its topic we hold that has
        no position yet (one lookup for all of them)."""
        recorded = self._recorded.get(tp.topic, {})
        try:
            held = self.app.consumer.assignment()
        except ConsumerNotStarted:  # Faust's test_context
            held = set()
        unknown = {tp} | {
            other
            for other in held
            if other.topic == tp.topic and other not in self.next
            and other.partition not in recorded
        }  # fmt: skip
        starts = await self.offsets.earliest(sorted(unknown))
        for each in unknown:
            # An event may have been admitted while we waited for the broker: keep its
            # position rather than step back to the start of the log.
            self.next.setdefault(each, int(starts.get(each, 0) or 0))

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
                try:
                    await self.seek(tp, await self.expected(tp), "batch fenced")
                except OffsetLookupTimeout as e:  # left unknown: its next event asks again
                    log.warning("%s: %s; not sought after the fenced batch", self.name, e)

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
        if offset == 0 and tp not in self.next and not await self._has_position(tp):
            self.next[tp] = 1  # the first message of its log: no log starts below offset 0
            return True
        while True:
            try:
                expected = await self.expected(tp)
                break
            except OffsetLookupTimeout as e:  # only this agent waits; the fetches go on
                log.warning("%s: %s; asking again", self.name, e)
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
        # Partitions of ours with no expected offset yet (no event seen since the assignment):
        # without one, a first message Faust dropped would never be noticed. Those with a
        # position in PostgreSQL expect the offset after it; the others expect the start of
        # their log, asked of the broker only once one holds messages and has stayed silent.
        now = time.monotonic()
        for tp in sorted(tp for tp in consumer.assignment() if tp.topic == self.topic):
            if tp in self.next or tp not in consumer.assignment():
                continue  # seen, or revoked while we asked about another one
            since = self.seen_at.setdefault(tp, now)
            try:
                if not await self._has_position(tp) and (
                    not consumer.highwater(tp) or now - since <= STALL_SECONDS
                ):
                    continue  # empty, not fetched yet, or not silent for long enough
                await self.expected(tp)
            except AssertionError:  # revoked while we asked about this one
                continue
            except OffsetLookupTimeout as e:  # the next tick asks again
                log.warning("%s: %s; the watch asks again in its next tick", self.name, e)
                return
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
