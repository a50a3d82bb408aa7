"""Sampled gauges: lag per partition from the consumer's figures, deadline states by working day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from prometheus_client import CollectorRegistry

from services.adapters.metrics import Metrics
from services.app.deadline_watch import count_by_program, deadline_state, due_soon_until
from services.rules import UnknownHolidayYear
from streams.delivery.positions import BrokerOffsets
from streams.ops.observe import LagSampler, lag_by_partition

PARTICIPANTS = "bpjs.participant-events.v1"
DECISIONS = "bpjs.claim-decisions.v1"


class TP(NamedTuple):
    topic: str
    partition: int


def test_lag_is_the_high_water_mark_less_the_committed_offset_labelled_by_declared_name() -> None:
    declared = {f"t1.{PARTICIPANTS}": PARTICIPANTS}
    a, b = TP(f"t1.{PARTICIPANTS}", 0), TP(f"t1.{PARTICIPANTS}", 1)
    lag = lag_by_partition([a, b], declared, {a: 120, b: 7}, {a: 100, b: 7}, {})
    assert lag == {(PARTICIPANTS, 0): 20, (PARTICIPANTS, 1): 0}


def test_with_no_commit_yet_lag_counts_from_the_start_of_the_log() -> None:
    tp = TP(PARTICIPANTS, 3)
    lag = lag_by_partition([tp], {PARTICIPANTS: PARTICIPANTS}, {tp: 50}, {tp: None}, {tp: 10})
    assert lag == {(PARTICIPANTS, 3): 40}


def test_faust_changelogs_and_partitions_without_a_known_high_water_mark_are_left_out() -> None:
    changelog, unknown = TP("bpjs-claims-participants-changelog", 0), TP(PARTICIPANTS, 1)
    lag = lag_by_partition(
        [changelog, unknown], {PARTICIPANTS: PARTICIPANTS}, {changelog: 9, unknown: None}, {}, {}
    )
    assert lag == {}


class Consumer:
    """The part of Faust's consumer the lag sampler reads, with figures the test sets."""

    def __init__(self) -> None:
        self.assigned: set[TP] = set()
        self.ends: dict[TP, int | None] = {}
        self.broker_ends: dict[TP, int] = {}
        self._committed_offset: dict[TP, int | None] = {}

    def assignment(self) -> set[TP]:
        return self.assigned

    def highwater(self, tp: TP) -> int | None:
        return self.ends.get(tp)

    async def highwaters(self, *tps: TP) -> Mapping[TP, int]:
        return {tp: self.broker_ends[tp] for tp in tps}

    async def earliest_offsets(self, *tps: TP) -> Mapping[TP, int]:
        return dict.fromkeys(tps, 0)


def sampler(consumer: Consumer) -> tuple[LagSampler, CollectorRegistry]:
    registry = CollectorRegistry()
    app = SimpleNamespace(consumer=consumer)
    pipe: Any = SimpleNamespace(
        metrics=Metrics(registry),
        settings=SimpleNamespace(topic_prefix=""),
        offsets=BrokerOffsets(app),
    )
    return LagSampler(app, pipe), registry  # type: ignore[arg-type]


def lag_of(registry: CollectorRegistry, topic: str, partition: int) -> float | None:
    return registry.get_sample_value(
        "claims_consumer_lag_messages", {"topic": topic, "partition": str(partition)}
    )


async def test_the_sampler_exports_held_partitions_and_withdraws_revoked_ones() -> None:
    consumer = Consumer()
    p0, p1, d0 = TP(PARTICIPANTS, 0), TP(PARTICIPANTS, 1), TP(DECISIONS, 0)
    consumer.assigned = {p0, p1, d0}
    consumer.ends = {p0: 10, p1: None, d0: 4}
    consumer.broker_ends = {p1: 6}  # no fetch answered yet for p1: asked of the broker
    consumer._committed_offset = {p0: 7, p1: 6, d0: None}
    lag, registry = sampler(consumer)

    await lag.sample()
    assert (lag_of(registry, PARTICIPANTS, 0), lag_of(registry, PARTICIPANTS, 1)) == (3, 0)
    assert lag_of(registry, DECISIONS, 0) == 4  # never committed: from the log's start

    consumer.assigned = {p0}  # a rebalance gave the other partitions to another worker
    await lag.sample()
    assert lag_of(registry, PARTICIPANTS, 0) == 3
    assert lag_of(registry, PARTICIPANTS, 1) is None
    assert lag_of(registry, DECISIONS, 0) is None


async def test_a_consumer_that_cannot_answer_leaves_the_figures_as_they_were() -> None:
    consumer = Consumer()
    tp = TP(PARTICIPANTS, 0)
    consumer.assigned, consumer.ends, consumer._committed_offset = {tp}, {tp: 5}, {tp: 1}
    lag, registry = sampler(consumer)
    await lag.sample()

    def not_started() -> set[TP]:
        raise RuntimeError("Consumer thread not yet started")

    consumer.assignment = not_started  # type: ignore[method-assign]
    await lag.sample()
    assert lag_of(registry, PARTICIPANTS, 0) == 4


def test_due_soon_counts_working_days_skipping_weekends_and_holidays() -> None:
    # Fri 20 Jun 2025 + 2 working days -> Tue 24 Jun.
    assert due_soon_until(date(2025, 6, 20)) == date(2025, 6, 24)
    # Thu 26 Jun 2025: Fri 27 Jun is Islamic New Year, then the weekend -> Tue 1 Jul.
    assert due_soon_until(date(2025, 6, 26)) == date(2025, 7, 1)


def test_due_soon_raises_once_its_horizon_reaches_a_year_without_holidays() -> None:
    # Wed 29 Dec 2027: Thu 30, Fri 31. Thu 30 Dec: Fri 31, then 2028, which no table covers.
    assert due_soon_until(date(2027, 12, 29)) == date(2027, 12, 31)
    with pytest.raises(UnknownHolidayYear, match="2028"):
        due_soon_until(date(2027, 12, 30))


def test_a_claim_is_overdue_only_after_its_due_date_and_due_soon_up_to_the_horizon() -> None:
    today, horizon = date(2025, 6, 20), date(2025, 6, 24)
    assert deadline_state(date(2025, 6, 19), today, horizon) == "overdue"
    assert deadline_state(today, today, horizon) == "due_soon"  # the due date is still in time
    assert deadline_state(horizon, today, horizon) == "due_soon"
    assert deadline_state(date(2025, 6, 25), today, horizon) is None


def test_counts_have_every_program_and_state_even_when_nothing_is_due() -> None:
    today, horizon = date(2025, 6, 20), date(2025, 6, 24)
    rows = [
        ("JKK", date(2025, 6, 1), 2),
        ("JKK", date(2025, 6, 10), 1),
        ("JKM", date(2025, 6, 23), 4),
        ("JHT", date(2025, 6, 30), 9),  # beyond the horizon: neither
    ]
    counts = count_by_program(rows, today, horizon)
    assert counts[("JKK", "overdue")] == 3
    assert counts[("JKM", "due_soon")] == 4
    assert sum(counts.values()) == 7
    assert set(counts) == {
        (p, s) for p in ("JHT", "JKK", "JKM", "JP") for s in ("due_soon", "overdue")
    }


class Store:
    def __init__(self) -> None:
        self.asked: list[date] = []

    async def unpaid_by_due_date(self, until: date) -> list[tuple[str, date, int]]:
        self.asked.append(until)
        return [("JKK", date(2027, 12, 1), 2)]

    async def outbox_backlog(self) -> int:
        return 5

    async def owed_by_due_date(self) -> list[tuple[str, date, int, int]]:
        return [("JKK", date(2027, 12, 1), 2, 3_000_000)]


async def test_a_year_without_holidays_withdraws_the_deadlines_but_keeps_the_outbox_figure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """30 Dec 2027: the due-soon horizon reaches 2028, which the holiday table lacks. That is a
    table to add, not an unreadable PostgreSQL: the backlog is still exported."""
    from streams.ops.observe import DatabaseSampler

    registry, store = CollectorRegistry(), Store()

    async def get_store() -> Store:
        return store

    pipe: Any = SimpleNamespace(
        metrics=Metrics(registry), resources=SimpleNamespace(store=get_store)
    )
    db = DatabaseSampler(pipe)
    await db.sample(date(2027, 12, 1))
    pending = {"program": "JKK", "state": "overdue"}
    assert registry.get_sample_value("claims_deadline_pending", pending) == 0  # due today
    assert (
        registry.get_sample_value("claims_deadline_pending", {**pending, "state": "due_soon"}) == 2
    )
    await db.sample(date(2027, 12, 30))
    await db.sample(date(2027, 12, 31))
    assert (
        registry.get_sample_value("claims_deadline_pending", {**pending, "state": "due_soon"})
        is None
    )
    assert registry.get_sample_value("claims_outbox_backlog") == 5
    assert not db.failing and db.calendar_missing
    errors = [r for r in caplog.records if "deadline gauges withdrawn" in r.getMessage()]
    assert len(errors) == 1 and "2028" in errors[0].getMessage()  # once, naming the year


async def test_what_is_owed_is_exported_per_program_and_age_past_due() -> None:
    """Two JKK instructions due 1 Dec 2027 are 29 days past due on 30 Dec (8-30), and not due
    on 1 Dec; the calendar's gap (2028) withdraws only the deadline series, not what is owed."""
    from streams.ops.observe import DatabaseSampler

    registry, store = CollectorRegistry(), Store()

    async def get_store() -> Store:
        return store

    pipe: Any = SimpleNamespace(
        metrics=Metrics(registry), resources=SimpleNamespace(store=get_store)
    )
    db = DatabaseSampler(pipe)
    await db.sample(date(2027, 12, 1))
    jkk = {"program": "JKK"}
    assert registry.get_sample_value("claims_owed_instructions", {**jkk, "age": "not_due"}) == 2
    await db.sample(date(2027, 12, 30))
    assert registry.get_sample_value("claims_owed_instructions", {**jkk, "age": "8-30"}) == 2
    assert registry.get_sample_value("claims_owed_rupiah", {**jkk, "age": "8-30"}) == 3_000_000
    assert registry.get_sample_value("claims_owed_rupiah", {"program": "JKM", "age": "8-30"}) == 0
