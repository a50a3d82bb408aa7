"""Sampled gauges: consumer lag per partition, and deadline and outbox figures from PostgreSQL.

Lag comes from the worker's own consumer, so each worker exports only the partitions it holds and
the per-topic total is a sum over workers. The deadline and outbox figures describe the whole
service and are read by every worker (two indexed counts every few seconds; the load does not
matter at up to 8 workers), so every worker exports the same value: dashboards and alerts
aggregate them with max(), never sum(). Reading them on the leader only would save those
queries, but a worker that loses leadership would keep exporting its last figures, and an
unlabelled gauge such as the outbox backlog cannot be withdrawn at all.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from services.app.aged_unpaid import aged
from services.app.deadline_watch import count_by_program, due_soon_until
from services.rules import UnknownHolidayYear
from services.rules.dates import JAKARTA
from streams.kafka import topics as T
from streams.ops.health import kafka_answers

if TYPE_CHECKING:
    import faust

    from streams.pipeline import Pipeline

log = logging.getLogger(__name__)

LAG_INTERVAL_S: Final = 5.0
DATABASE_INTERVAL_S: Final = 10.0
DEPENDENCY_INTERVAL_S: Final = 5.0
DEPENDENCY_TIMEOUT_S: Final = 2.0
# Unpaid means not PAID: a FAILED payment is still owed and can still be paid late.
Partition = tuple[str, int]  # (topic as declared, partition)


def lag_by_partition(
    assigned: Collection[Any],
    declared: Mapping[str, str],
    highwater: Mapping[Any, int | None],
    committed: Mapping[Any, int | None],
    earliest: Mapping[Any, int],
) -> dict[Partition, int]:
    """Messages behind on each assigned partition of the service's own topics.

    `declared` maps the topic name on the broker (with TOPIC_PREFIX) to its declared name, which
    is the label: Faust's changelog topics are left out. With no commit yet the group starts at
    the log's beginning, so that is the reference; a partition whose high-water mark is not yet
    known is left out rather than guessed.
    """
    lag: dict[Partition, int] = {}
    for tp in assigned:
        topic, end = declared.get(tp.topic), highwater.get(tp)
        if topic is None or end is None:
            continue
        start = committed.get(tp)
        if start is None:
            start = earliest.get(tp, 0)
        lag[(topic, tp.partition)] = max(end - start, 0)
    return lag


class LagSampler:
    """Sets the lag gauge for the partitions this worker holds, and withdraws revoked ones."""

    def __init__(self, app: faust.App, pipe: Pipeline) -> None:
        self.app = app
        self.gauge = pipe.metrics.consumer_lag
        self.offsets = pipe.offsets  # one broker lookup of the worker at a time, bounded
        prefix = pipe.settings.topic_prefix
        self.declared = {prefix + spec.name: spec.name for spec in T.TOPICS}
        self.exported: set[Partition] = set()
        self.failing = False

    async def sample(self) -> None:
        try:
            lag = await self._measure()
        except Exception as e:  # a rebalance or a broker hiccup: try again next tick
            if not self.failing:
                log.warning("consumer lag not sampled: %r", e)
            self.failing = True
            return
        self.failing = False
        for topic, partition in self.exported - set(lag):
            self.gauge.remove(topic, str(partition))
        for (topic, partition), behind in lag.items():
            self.gauge.labels(topic, str(partition)).set(behind)
        self.exported = set(lag)

    async def _measure(self) -> dict[Partition, int]:
        consumer: Any = self.app.consumer  # Faust's typing has no _committed_offset
        ours = [tp for tp in consumer.assignment() if tp.topic in self.declared]
        # The high-water mark each fetch response carries; asked of the broker only where no
        # fetch has answered yet (just after an assignment).
        highwater = {tp: consumer.highwater(tp) for tp in ours}
        unknown = [tp for tp, end in highwater.items() if end is None]
        if unknown:
            highwater.update(await self.offsets.latest(unknown))
        # Faust's record of the last commit (updated after each commit and each seek to the
        # committed offsets on assignment); its public API has no committed offsets.
        committed = {tp: consumer._committed_offset.get(tp) for tp in ours}
        fresh = [tp for tp, offset in committed.items() if offset is None]
        earliest = await self.offsets.earliest(fresh)
        return lag_by_partition(ours, self.declared, highwater, committed, earliest)


class DatabaseSampler:
    """Sets the deadline and outbox gauges from PostgreSQL (the same figures on every worker)."""

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe
        self.failing = False
        self.calendar_missing = False

    async def sample(self, today: date | None = None) -> None:
        today = today or datetime.now(JAKARTA).date()  # business dates are Jakarta's
        try:
            await self._measure(today)
        except Exception as e:  # the next tick tries again
            if not self.failing:
                log.warning("deadline and outbox gauges withdrawn, PostgreSQL not read: %r", e)
            self.failing = True
            self.withdraw()
            return
        self.failing = False

    def withdraw(self) -> None:
        """While PostgreSQL cannot be read, show no figure rather than a stale one: the deadline
        series go, the unlabelled outbox backlog becomes NaN (claims_dependency_up says why)."""
        self.pipe.metrics.deadline_pending.clear()
        self.pipe.metrics.owed_instructions.clear()
        self.pipe.metrics.owed_amount.clear()
        self.pipe.metrics.outbox_backlog.set(float("nan"))

    async def _measure(self, today: date) -> None:
        store = await self.pipe.resources.store()
        metrics = self.pipe.metrics
        try:
            soon_until = due_soon_until(today)
        except UnknownHolidayYear as e:
            # A rule table to add, not an outage: the deadline series go (no working-day count
            # without the year's holidays), the outbox backlog is still read.
            if not self.calendar_missing:
                log.error("deadline gauges withdrawn: %s", e)
            self.calendar_missing = True
            metrics.deadline_pending.clear()
        else:
            self.calendar_missing = False
            unpaid = await store.unpaid_by_due_date(soon_until)
            for (program, state), n in count_by_program(unpaid, today, soon_until).items():
                metrics.deadline_pending.labels(program, state).set(n)
        for owed in aged(await store.owed_by_due_date(), today):
            metrics.owed_instructions.labels(owed.program, owed.bucket).set(owed.instructions)
            metrics.owed_amount.labels(owed.program, owed.bucket).set(owed.amount)
        metrics.outbox_backlog.set(await store.outbox_backlog())


class DependencySampler:
    """claims_dependency_up{dependency="postgres"|"kafka"}: does each answer this worker now."""

    def __init__(self, app: faust.App, pipe: Pipeline) -> None:
        self.app, self.pipe = app, pipe

    async def sample(self) -> None:
        gauge = self.pipe.metrics.dependency_up
        postgres = await self.pipe.resources.ping(DEPENDENCY_TIMEOUT_S)
        gauge.labels("postgres").set(1 if postgres else 0)
        kafka = await kafka_answers(self.app, DEPENDENCY_TIMEOUT_S)
        gauge.labels("kafka").set(1 if kafka else 0)


def install_observe(app: faust.App, pipe: Pipeline) -> None:
    """Start the samplers with the app, on every worker."""
    lag, database = LagSampler(app, pipe), DatabaseSampler(pipe)
    dependencies = DependencySampler(app, pipe)

    async def sample_dependencies() -> None:
        await dependencies.sample()

    async def sample_consumer_lag() -> None:
        await lag.sample()

    async def sample_deadlines_and_outbox() -> None:
        await database.sample()

    app.timer(interval=LAG_INTERVAL_S, name="sample-consumer-lag")(sample_consumer_lag)
    app.timer(interval=DATABASE_INTERVAL_S, name="sample-deadlines")(sample_deadlines_and_outbox)
    app.timer(interval=DEPENDENCY_INTERVAL_S, name="sample-dependencies")(sample_dependencies)
