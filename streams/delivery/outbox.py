"""The outbox relay: publishes payment instructions that settlement wrote to PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.adapters.metrics import Metrics
from services.app.ports import Outboxes

log = logging.getLogger(__name__)
Send = Callable[[str, bytes], Awaitable[Awaitable[Any]]]


async def relay_outbox(store: Outboxes, send: Send, metrics: Metrics, *, limit: int) -> int:
    """Publish pending instructions, wait for the broker's acks, then mark them published.

    A crash between the ack and the mark republishes those instructions on restart with the same
    idempotency_key, so delivery is at least once and consumers deduplicate on that key; nothing
    is ever lost, because a row is only marked after its ack.
    """
    pending = await store.outbox_pending(limit)
    if not pending:
        metrics.outbox_backlog.set(0)
        return 0
    deliveries = [await send(item.claim_id, item.payload) for item in pending]
    acks = await asyncio.gather(*deliveries)
    published = [
        (item.instruction_id, int(meta.partition), int(meta.offset))
        for item, meta in zip(pending, acks, strict=True)
    ]
    await store.mark_published(published)
    metrics.instructions_published.inc(len(published))
    metrics.outbox_backlog.set(await store.outbox_backlog())
    return len(published)
