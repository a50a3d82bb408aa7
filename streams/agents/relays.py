"""Timers beside the agents: the outbox relays (leader only) and the watch over silent
partitions.

- Payment instructions: settlement writes them to `payment_outbox`; the relay publishes them
  and marks them published (streams/delivery/outbox.py).
- Decisions and approved claims: the participants agent publishes its own right after its
  commit; what a crash or a broker outage left in `event_outbox` for longer than
  `EVENT_OUTBOX_GRACE_S` is published by the relay. Only the leader relays, so two workers
  never relay the same rows; a row published twice is harmless (every consumer is idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import faust

from services.errors import TransientError
from streams.delivery.outbox import relay_outbox
from streams.kafka import topics as T
from streams.pipeline import Pipeline

EVENT_OUTBOX_GRACE_S = 5.0
log = logging.getLogger(__name__)


def install_relays(app: faust.App, pipe: Pipeline) -> None:
    limit = pipe.settings.batch_size

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def redeliver_dropped() -> None:
        for tracked in pipe.trackers:
            try:
                await tracked.watch()
            except Exception:  # a watchdog that raised would stop firing: log, next tick again
                log.exception("%s: watching for dropped messages failed", tracked.name)

    async def send_instruction(claim_id: str, payload: bytes) -> Awaitable[Any]:
        return await pipe.send(T.PAYMENT_INSTRUCTIONS.name, claim_id, payload)

    @app.timer(interval=pipe.settings.outbox_interval_s, on_leader=True)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def outbox_relay() -> None:
        store = await pipe.resources.store()
        try:
            while await relay_outbox(store, send_instruction, pipe.metrics, limit=limit):
                pass
            while pending := await store.events_pending(limit, EVENT_OUTBOX_GRACE_S):
                await pipe.publish(store, pending)
        except TransientError as e:  # the next tick retries; rows stay pending
            pipe.outages.warning("outbox relay", "outbox relay: %s", e)
        except Exception:  # a timer that raises crashes the worker: log, next tick again
            log.exception("outbox relay failed; the rows stay pending for the next tick")
        else:
            pipe.outages.recovered("outbox relay")
