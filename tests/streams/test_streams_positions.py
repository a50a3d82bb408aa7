"""`Positions`: where each of an agent's partitions starts after an assignment, and how a
message Faust dropped is noticed (streams/delivery/positions.py). The consumer here is a
stand-in that records seeks; the real one is exercised by the e2e and fault tiers."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import pytest

from streams.delivery import positions as P
from streams.delivery.positions import Positions

TOPIC = "t.claims"


class TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class Consumer:
    """Assignment, log starts and high-water marks of a few partitions; seeks are recorded."""

    assigned: set[TP]
    starts: dict[TP, int]
    highwaters: dict[TP, int | None]
    in_callback: bool = False
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    revoke_while_asked: set[TP] = field(default_factory=set)
    asked: list[set[TP]] = field(default_factory=list)  # each lookup of log starts
    broker_answers: asyncio.Event | None = None  # set: lookups wait for it (a slow broker)
    in_flight: int = 0
    most_in_flight: int = 0

    def assignment(self) -> set[TP]:
        return set(self.assigned)  # a copy, as aiokafka's: a later rebalance does not change it

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        # Inside the rebalance callback this call waits on the consumer thread running it.
        assert not self.in_callback, "earliest_offsets called from the rebalance callback"
        self.asked.append(set(tps))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if self.broker_answers is not None:
                await self.broker_answers.wait()
        finally:
            self.in_flight -= 1
        if self.revoke_while_asked:  # a rebalance takes these away while the broker answers
            self.assigned -= self.revoke_while_asked
        return {tp: self.starts[tp] for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))

    def highwater(self, tp: TP) -> int | None:
        assert tp in self.assigned, "Partition is not assigned"  # as aiokafka's consumer does
        return self.highwaters[tp]


class Store:
    def __init__(self, recorded: dict[int, int]) -> None:
        self.recorded = recorded

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        return dict(self.recorded)


class App:
    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer


@dataclass
class Message:
    tp: TP
    offset: int
    topic: str = TOPIC


@dataclass
class Event:
    message: Message


def setup(
    recorded: dict[int, int], highwaters: dict[int, int | None]
) -> tuple[Positions, Consumer]:
    tps = {TP(TOPIC, p) for p in highwaters}
    consumer = Consumer(
        assigned=tps,
        starts={tp: 0 for tp in tps},
        highwaters={TP(TOPIC, p): hw for p, hw in highwaters.items()},
    )
    return Positions("settlement", Store(recorded), App(consumer), topic=TOPIC), consumer


async def assign(positions: Positions, consumer: Consumer) -> None:
    consumer.in_callback = True
    try:
        await positions.assigned(consumer.assigned)
    finally:
        consumer.in_callback = False


async def test_assignment_seeks_recorded_partitions_and_never_asks_the_broker() -> None:
    positions, consumer = setup({0: 41}, {0: 50, 1: 7})
    await assign(positions, consumer)
    assert consumer.seeks == [(TP(TOPIC, 0), 42)]


async def test_a_dropped_first_message_of_a_partition_without_a_position_is_sought_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partition 1 has no position in PostgreSQL; its only message (offset 0) never arrives.
    `watch` must learn the start of its log and, once the partition is silent, seek there."""
    positions, consumer = setup({0: 49}, {0: 50, 1: 1})
    await assign(positions, consumer)
    consumer.seeks.clear()
    await positions.watch()
    assert consumer.seeks == []  # not silent for long enough yet
    monkeypatch.setattr(P, "STALL_SECONDS", -1.0)
    await positions.watch()
    assert consumer.seeks == [(TP(TOPIC, 1), 0)]  # partition 0 is complete: left alone


async def test_watch_leaves_a_partition_alone_before_its_first_fetch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    positions, consumer = setup({}, {0: None})
    await assign(positions, consumer)
    monkeypatch.setattr(P, "STALL_SECONDS", -1.0)
    await positions.watch()
    assert consumer.seeks == []


async def test_an_event_admitted_while_watch_waits_keeps_its_position() -> None:
    """`watch` awaits the broker for a log start; an event of that partition admitted meanwhile
    must not be stepped back over (its successor would then look like a gap)."""
    positions, consumer = setup({}, {0: 3})
    await assign(positions, consumer)
    tp = TP(TOPIC, 0)
    positions.seen_at[tp] = time.monotonic() - 60  # silent: watch asks where its log starts
    watching = asyncio.ensure_future(positions.watch())
    while not consumer.asked and not watching.done():
        await asyncio.sleep(0)
    assert consumer.asked == [{tp}] and not watching.done()
    assert await positions.admit(Event(Message(tp, 0)))
    await watching
    assert positions.next[tp] == 1
    assert positions.admit_known(Event(Message(tp, 1))) is True
    assert consumer.seeks == []


async def test_a_partition_revoked_while_watch_awaits_the_broker_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rebalance during `watch`'s await takes partition 1 away: asking its high-water mark
    would raise aiokafka's "Partition is not assigned" and stop the watchdog. It is skipped, the
    partitions still held are watched, and the revoked one is forgotten until it comes back."""
    positions, consumer = setup({}, {0: 5, 1: 5})
    await assign(positions, consumer)
    monkeypatch.setattr(P, "STALL_SECONDS", -1.0)
    consumer.revoke_while_asked = {TP(TOPIC, 1)}
    await positions.watch()
    assert consumer.seeks == [(TP(TOPIC, 0), 0)]
    assert TP(TOPIC, 1) not in positions.next


async def test_a_first_message_at_offset_0_is_admitted_without_asking_the_broker() -> None:
    """No log starts below 0: a fresh topic's events never wait on a broker lookup."""
    positions, consumer = setup({}, {0: 3, 1: 2})
    await assign(positions, consumer)
    for p in (0, 1):
        assert await positions.admit(Event(Message(TP(TOPIC, p), 0)))
    assert positions.admit_known(Event(Message(TP(TOPIC, 0), 1))) is True
    assert consumer.asked == []


async def test_the_partitions_without_a_position_are_looked_up_together() -> None:
    """An event past offset 0 on a partition with no position asks where its log starts; the
    other unknown partitions of the topic are asked in the same lookup, not one call each."""
    positions, consumer = setup({2: 9}, {0: 8, 1: 8, 2: 12})
    consumer.starts[TP(TOPIC, 0)] = 4  # retention removed offsets 0-3
    await assign(positions, consumer)
    assert await positions.admit(Event(Message(TP(TOPIC, 0), 4)))
    assert consumer.asked == [{TP(TOPIC, 0), TP(TOPIC, 1)}]  # partition 2 has a position
    assert not await positions.admit(Event(Message(TP(TOPIC, 1), 3)))  # 0-2 are missing
    assert consumer.seeks == [(TP(TOPIC, 2), 10), (TP(TOPIC, 1), 0)]
    assert len(consumer.asked) == 1


async def test_watch_asks_the_broker_only_about_silent_partitions_that_hold_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    positions, consumer = setup({}, {0: 0, 1: None, 2: 4})
    await assign(positions, consumer)
    await positions.watch()
    assert consumer.asked == []  # none silent for long enough yet
    monkeypatch.setattr(P, "STALL_SECONDS", -1.0)
    await positions.watch()
    # 0 is empty and 1 not fetched yet; 2 holds messages but none came: its start is asked
    # (with the other unknown ones), and it is sought there.
    assert [TP(TOPIC, 2) in asked for asked in consumer.asked] == [True]
    assert consumer.seeks == [(TP(TOPIC, 2), 0)]


async def test_a_broker_that_does_not_answer_holds_up_only_the_agent_that_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lookup is bounded: the agent logs and asks again, the watch gives up until its next
    tick, and never more than one lookup of the worker is in flight."""
    positions, consumer = setup({}, {0: 8, 1: 8})
    positions.offsets = P.BrokerOffsets(positions.app, timeout_s=0.05)
    await assign(positions, consumer)
    consumer.broker_answers = asyncio.Event()
    caplog.set_level(logging.WARNING, logger=P.__name__)
    admitting = asyncio.ensure_future(positions.admit(Event(Message(TP(TOPIC, 0), 5))))
    positions.seen_at[TP(TOPIC, 1)] = time.monotonic() - 60
    await positions.watch()  # its lookup waits behind the agent's, then times out: no raise
    await asyncio.sleep(0.12)
    assert not admitting.done()
    assert "gave no log starts of 2 partition(s)" in caplog.text
    assert consumer.most_in_flight == 1
    consumer.broker_answers.set()  # the broker answers again
    assert not await admitting  # 0-4 are missing: sought back
    assert consumer.seeks == [(TP(TOPIC, 0), 0)]
