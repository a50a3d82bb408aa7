"""benefit-changes: a branch's PensionChanged ends a JP pension after the change's month and
starts the survivor pension that follows (services/rules/pension.py); a ScholarshipStopped stops
a child's school years after it (services/app/scholarships.py); once per event, with the
batch's positions. The payroll timer (leader only) pays the current month of every pension in
payment; `claims payroll --month YYYY-MM` runs or re-runs any month the same way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import faust

from services.app import payroll
from services.app.ports import PensionStore
from services.app.records import Checkpoint
from services.app.scholarships import REJECTIONS as STOP_REJECTIONS
from services.app.scholarships import ScholarshipStopRow, scholarship_stop_row
from services.errors import TransientError
from services.rules.dates import JAKARTA, month_start
from services.rules.pension import REJECTIONS
from streams.delivery.batches import Ev, Plan
from streams.pipeline import Pipeline

log = logging.getLogger(__name__)


class BenefitChanges:
    consumer = "benefit-changes"

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe

    async def prepare(self, store: PensionStore, events: Sequence[Ev]) -> Plan:
        decoded, dead = self.pipe.decode_rows(events, _change_row, validate=True)
        rows = [row for _, row in decoded if isinstance(row, payroll.PensionChangeRow)]
        stops = [row for _, row in decoded if isinstance(row, ScholarshipStopRow)]
        rules = self.pipe.rules

        async def commit(store: PensionStore, cp: Checkpoint) -> list[payroll.PensionChangeOutcome]:
            return await store.apply_benefit_changes(rows, rules, cp, stops)

        async def committed(outcomes: list[payroll.PensionChangeOutcome]) -> None:
            m = self.pipe.metrics
            for o in outcomes:
                if o.rejection is None:
                    m.pension_changes.labels(o.change, "applied", "").inc()
                    continue
                m.pension_changes.labels(o.change, "rejected", o.rejection).inc()
                why = {**REJECTIONS, **STOP_REJECTIONS}[o.rejection]
                log.warning(
                    "benefit change %s for claim %s rejected: %s: %s",
                    o.change, o.claim_id, o.rejection, why,
                )  # fmt: skip

        return Plan(commit, dead, committed)


def _change_row(r: dict[str, Any], _: Ev) -> payroll.PensionChangeRow | ScholarshipStopRow:
    """The topic carries two schemas: a PensionChanged has a `change`, a ScholarshipStopped a
    `reason` (intake.check_schema let only those two through)."""
    return payroll.pension_change_row(r) if "change" in r else scholarship_stop_row(r)


def this_month(now: datetime | None = None) -> date:
    """The payroll month of `now` (default: the clock), in Jakarta."""
    return month_start((now or datetime.now(UTC)).astimezone(JAKARTA).date())


PAYROLL_TICK_S = 15.0


@dataclass
class _LastRun:
    """The month this worker last paid, and when (it runs again at a new month or after
    PAYROLL_INTERVAL_SECONDS)."""

    month: date | None = None
    at: datetime | None = None


def install_payroll(app: faust.App, pipe: Pipeline) -> None:
    """The leader pays the current month soon after it starts, again at each new month and every
    PAYROLL_INTERVAL_SECONDS (a month already paid writes nothing: a re-run only reads)."""
    if not pipe.settings.payroll_timer:
        return
    last = _LastRun()

    @app.timer(interval=PAYROLL_TICK_S, on_leader=True)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def payroll_timer() -> None:
        now = datetime.now(UTC)
        month = this_month(now)
        since = None if last.at is None else (now - last.at).total_seconds()
        if last.month == month and since is not None and since < pipe.settings.payroll_interval_s:
            return
        try:
            store = await pipe.resources.store()
            run = await store.run_payroll(month, pipe.rules, pipe.codec.encode, "timer")
        except TransientError as e:  # the next tick retries
            pipe.outages.warning("payroll", "payroll %s: %s", f"{month:%Y-%m}", e)
        except Exception:  # a timer that raises crashes the worker: log, next tick again
            log.exception("payroll %s failed; the next tick runs it again", f"{month:%Y-%m}")
        else:
            last.month, last.at = month, now
            pipe.outages.recovered("payroll")
            _paid(pipe, month, run)


def _paid(pipe: Pipeline, month: date, run: payroll.PayrollRun) -> None:
    """A payroll run's metrics, and a log line when it wrote any instruction."""
    pipe.metrics.payroll_instructions.inc(run.written)
    pipe.metrics.payroll_rupiah.inc(run.written_amount)
    if run.written:
        log.info(
            "payroll %s: %d instruction(s) written, %d already there, Rp%s in all",
            f"{month:%Y-%m}", run.written, run.already, f"{run.amount:,}",
        )  # fmt: skip
