"""The one delivery mechanism every agent shares: batches, positions, one transaction each.

An agent is a `Handler`: it turns a batch of consumed events into a `Plan` (what to write, what
to dead-letter, what to do once committed), with no effect outside the process. `Delivery` runs
it the same way for every agent:

1. take what the consumer has fetched as one batch (`batches`), skipping what PostgreSQL says
   was already processed and seeking back over anything the consumer skipped (`Positions`);
2. prepare the plan (reads from PostgreSQL retried through outages);
3. send the batch's dead letters and wait for the broker's acks;
4. commit the plan in one PostgreSQL transaction together with the batch's consumed positions
   (`Checkpoint`), retried through outages. The positions are fenced: if another worker already
   recorded any offset of this batch, the transaction rolls back (`Fenced`) and this worker
   forgets what it thought it knew about those partitions;
5. only then apply the plan's after-commit steps (caches, publishing the outbox, metrics) and
   acknowledge the batch to Faust.

Kafka's committed offsets are advisory: on assignment each agent starts from its positions in
PostgreSQL ("offsets stored outside Kafka"). A crash before the commit loses nothing (the batch
is consumed again); a crash after it changes nothing (the positions say it is done).

A batch the database refuses (a permanent error, e.g. a row breaking a constraint) is applied
again event by event, each in its own transaction, and only the events that still fail are
dead-lettered: one poison row never drops or blocks the rest of its batch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from faust.exceptions import ConsumerNotStarted
from faust.streams import Stream
from faust.types import EventT, StreamT

from services.app.records import Checkpoint, Mark, Position
from services.config import crash_point
from services.errors import Fenced, StoreError, TransientError
from streams.delivery.positions import Positions

if TYPE_CHECKING:
    from services.app.ports import WorkerStore
    from streams.pipeline import Pipeline

log = logging.getLogger(__name__)
Ev = EventT[Any]  # faust's events are generic in their value; ours carry raw bytes
R = TypeVar("R")


def position(event: Ev) -> Position:
    m = event.message
    return Position(m.topic, m.partition, m.offset)


def checkpoint(consumer: str, events: Sequence[Ev]) -> Checkpoint:
    """The positions a batch moves: per partition, its first and last offset."""
    spans: dict[tuple[str, int], list[int]] = {}
    for e in events:
        m = e.message
        span = spans.get((m.topic, m.partition))
        if span is None:
            spans[(m.topic, m.partition)] = [m.offset, m.offset]
        else:
            span[0], span[1] = min(span[0], m.offset), max(span[1], m.offset)
    return Checkpoint(
        consumer, tuple(Mark(t, p, first, last) for (t, p), (first, last) in sorted(spans.items()))
    )


@dataclass
class Plan:
    """What one batch does. `commit` runs inside the retry loop, so it must only write."""

    commit: Callable[[WorkerStore, Checkpoint], Awaitable[Any]]
    dead: list[tuple[Ev, BaseException]] = field(default_factory=list)
    committed: Callable[[Any], Awaitable[None]] | None = None  # gets what `commit` returned
    failed: Callable[[], None] | None = None  # the transaction did not commit


class Handler(Protocol):
    consumer: str

    async def prepare(self, store: WorkerStore, events: Sequence[Ev]) -> Plan: ...


async def retrying(what: str, pipe: Pipeline, call: Callable[[], Awaitable[R]]) -> R:
    """Retry through transient database errors (capped backoff, forever): the batch is not
    acknowledged meanwhile, so nothing is lost and consumer lag shows the stall."""
    delay = 0.1
    while True:
        started = time.perf_counter()
        try:
            result = await call()
        except TransientError as e:
            pipe.metrics.db_errors.labels(what, "transient").inc()
            pipe.outages.warning(what, "%s: transient database error, retrying: %s", what, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        pipe.outages.recovered(what)
        pipe.metrics.db_latency.labels(what).observe(time.perf_counter() - started)
        return result


# Fault injection for the fault tier (tests/faults/test_crashes.py): with
# CLAIMS_CRASH_AT=<consumer>:<before-commit|after-commit>:<n> the worker exits at once (code 86,
# no cleanup, as a SIGKILL would) at that point of that agent's n-th batch. Unset, it costs one
# comparison per batch.
CRASH_EXIT_CODE = 86


def _crash_point(crash_at: str, consumer: str) -> tuple[str, int] | None:
    found = crash_point(crash_at)
    if found is None or found[0] != consumer:
        return None
    return found[1], found[2]


class Delivery:
    """Runs one agent's handler over its stream (see the module docstring)."""

    def __init__(self, pipe: Pipeline, handler: Handler, topic: str) -> None:
        self.pipe = pipe
        self.handler = handler
        self.consumer = handler.consumer
        self.topic = topic  # full (prefixed) name
        self._crash = _crash_point(pipe.settings.crash_at, self.consumer)
        self._batches = 0

    def _maybe_crash(self, point: str) -> None:
        if self._crash is not None and self._crash == (point, self._batches):
            log.critical("%s: CLAIMS_CRASH_AT=%s: exiting now", self.consumer, point)
            logging.shutdown()
            os._exit(CRASH_EXIT_CODE)

    async def run(self, stream: StreamT[Any]) -> None:
        store = await self.pipe.resources.store()
        tracked = self.pipe.track(self.consumer, store, self.topic)
        # Partitions assigned before this agent was ready start at PostgreSQL's positions too
        # (a consumer not started yet has none: Faust's test_context).
        try:
            assigned = self.pipe.app.consumer.assignment()
        except ConsumerNotStarted:
            assigned = set()
        await tracked.assigned(assigned)
        size, linger = self.pipe.settings.batch_size, self.pipe.settings.batch_linger_s
        debug = self.pipe.settings.debug_batches
        s = cast(Stream[Any], stream)
        async for events in batches(stream, size, linger, tracked, debug=debug):
            try:
                await self.process(store, tracked, events)
            except Exception as e:  # outside the per-event policy: never ack the batch
                self.pipe.fatal(self.consumer, e)
            for done in events:
                await s.ack(done)

    async def process(self, store: WorkerStore, tracked: Positions, events: list[Ev]) -> None:
        pipe, consumer = self.pipe, self.consumer
        plan = await retrying(consumer, pipe, lambda: self.handler.prepare(store, events))
        if plan.dead:
            sent = [await pipe.dead_letter(event, error, consumer) for event, error in plan.dead]
            await asyncio.gather(*sent)
        cp = checkpoint(consumer, events)
        self._batches += 1
        self._maybe_crash("before-commit")
        try:
            result = await retrying(consumer, pipe, lambda: plan.commit(store, cp))
        except Fenced as e:
            if plan.failed is not None:
                plan.failed()
            await self._fenced(tracked, cp, e)
            return
        except StoreError as e:
            pipe.metrics.db_errors.labels(consumer, "permanent").inc()
            if plan.failed is not None:
                plan.failed()
            if not getattr(self.handler, "refused_to_dead_letters", True):
                raise  # the dead-letter recorder: a dead letter of a dead letter could loop
            if len(events) > 1:
                log.warning("%s: batch of %d refused, applying it event by event: %s",
                            consumer, len(events), e)  # fmt: skip
                for event in events:
                    await self.process(store, tracked, [event])
                return
            await (await pipe.dead_letter(events[0], e, consumer))
            try:
                await retrying(consumer, pipe, lambda: store.advance(cp))
            except Fenced as fenced:
                await self._fenced(tracked, cp, fenced)
            return
        self._maybe_crash("after-commit")
        pipe.metrics.batch_size.labels(consumer).observe(len(events))
        if plan.committed is not None:
            await plan.committed(result)

    async def _fenced(self, tracked: Positions, cp: Checkpoint, error: Fenced) -> None:
        """Another worker applied (some of) this batch: read these partitions' positions from
        PostgreSQL again and seek there, so nothing of the batch beyond them is skipped."""
        log.warning("%s: batch not applied: %s", self.consumer, error)
        self.pipe.metrics.fenced.labels(self.consumer).inc()
        for mark in cp.marks:
            await tracked.resync(mark.topic, mark.partition)


async def batches(
    stream: StreamT[Any], size: int, linger: float, positions: Positions, *, debug: bool = False
) -> AsyncIterator[list[Ev]]:
    """Batches of what the consumer has fetched (at most `size` events), in offset order per
    partition; the caller acknowledges them once their transaction has committed.

    A reader task moves events from the stream into a bounded queue. A batch takes what is
    waiting there and closes when it is full or `linger` seconds after its first event (what is
    already waiting is still taken, so a backlog makes full batches). The close is timed, never
    left to the next event: Faust can hold back or drop stale messages after a seek or a
    rebalance, and a batch waiting for an event that never comes would never commit (and a
    stopping worker would wait on it forever).
    `positions` skips what was already processed and seeks back over anything the consumer
    skipped (see streams/delivery/positions.py).
    `debug` (DEBUG_BATCHES) logs each batch's topic, size and what is still queued.
    """
    s = cast(Stream[Any], stream)
    s.enable_acks = False  # acks are ours: after the batch's transaction has committed
    fetched: asyncio.Queue[Ev] = asyncio.Queue(maxsize=max(size * 2, 1))

    async def read() -> None:
        async for event in s.events():
            await fetched.put(event)

    reader = asyncio.ensure_future(read())
    try:
        while True:
            batch: list[Ev] = []
            seen = 0  # events consumed for this batch, skipped redeliveries included
            event = await _next(fetched, reader, None)
            # The window opens with the batch's first event: under a steady trickle a batch
            # closes `linger` seconds after it opened, never only when full (a claim every few
            # milliseconds would otherwise wait for a thousand others).
            closes = time.monotonic() + linger
            while event is not None:
                seen += 1
                admitted = positions.admit_known(event)
                if admitted is None:
                    admitted = await positions.admit(event)
                if admitted:
                    batch.append(event)
                else:
                    await s.ack(event)
                if len(batch) >= size:
                    break
                event = await _next(fetched, reader, max(closes - time.monotonic(), 0.0))
            if not batch:
                continue
            positions.consumed(batch[0].message.topic, seen)
            if debug:
                log.warning("batch %s n=%d q=%d", batch[0].message.topic, len(batch),
                            fetched.qsize())  # fmt: skip
            yield batch
    except _Ended:
        return
    finally:
        reader.cancel()


class _Ended(Exception):
    """The stream ended (the agent is stopping)."""


async def _next(
    fetched: asyncio.Queue[Ev], reader: asyncio.Future[None], wait: float | None
) -> Ev | None:
    """The next fetched event; None after `wait` seconds without one (None: wait for ever).

    A cancelled get leaves its item in the queue (asyncio.Queue.get), so nothing is lost."""
    try:
        return fetched.get_nowait()
    except asyncio.QueueEmpty:
        if wait is not None and wait <= 0:
            return None
    getter: asyncio.Future[Any] = asyncio.ensure_future(fetched.get())
    waiting: set[asyncio.Future[Any]] = {getter, reader}
    done, _ = await asyncio.wait(waiting, timeout=wait, return_when=FIRST_COMPLETED)
    if getter in done:
        got: Ev = getter.result()
        return got
    getter.cancel()
    if reader in done:
        reader.result()  # the stream failed: raise it here, in the agent
        raise _Ended
    return None
