"""The two outboxes in PostgreSQL: the decided events a participant batch left to publish
(event_outbox) and the payment instructions (payment_outbox), read by the relays and marked
published."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.adapters.pg_base import PoolUser
from services.app.records import OutboxEvent, OutboxItem, PendingEvent


async def _insert_outbox(
    conn: asyncpg.Connection, outbox: Sequence[OutboxEvent]
) -> list[PendingEvent]:
    if not outbox:
        return []
    ids = await conn.fetch(
        "INSERT INTO event_outbox (topics, key, payload)"
        " SELECT string_to_array(t, ','), k, p FROM unnest($1::text[], $2::text[], $3::bytea[])"
        " WITH ORDINALITY AS u(t, k, p, n) ORDER BY n RETURNING id",
        [",".join(e.topics) for e in outbox],
        [e.key for e in outbox],
        [e.payload for e in outbox],
    )
    # INSERT ... SELECT ... ORDER BY assigns the serial ids in that order, and RETURNING gives
    # them back in insertion order.
    return [
        PendingEvent(r["id"], e.topics, e.key, e.payload) for r, e in zip(ids, outbox, strict=True)
    ]


class OutboxStore(PoolUser):
    """The outbox port: what committed batches left to publish, and what the broker has."""

    async def events_pending(self, limit: int, older_than_s: float) -> list[PendingEvent]:
        """Outbox records a worker committed but did not publish (it died first), oldest first."""
        rows = await self._guard(
            "events_pending",
            self._pool.fetch(
                "SELECT id, topics, key, payload FROM event_outbox"
                " WHERE created_at < now() - make_interval(secs => $2) ORDER BY id LIMIT $1",
                limit,
                older_than_s,
            ),
        )
        return [
            PendingEvent(r["id"], tuple(r["topics"]), r["key"], bytes(r["payload"])) for r in rows
        ]

    async def events_published(self, ids: Sequence[int]) -> None:
        """The broker has these outbox records: they are done."""
        if ids:
            await self._guard(
                "events_published",
                self._pool.execute(
                    "DELETE FROM event_outbox WHERE id = ANY($1::bigint[])", list(ids)
                ),
            )

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        rows = await self._guard(
            "outbox_pending",
            self._pool.fetch(
                "SELECT instruction_id, claim_id, payload FROM payment_outbox"
                " WHERE published_at IS NULL ORDER BY created_at, instruction_id LIMIT $1",
                limit,
            ),
        )
        return [OutboxItem(r["instruction_id"], r["claim_id"], bytes(r["payload"])) for r in rows]

    async def outbox_backlog(self) -> int:
        value = await self._guard(
            "outbox_backlog",
            self._pool.fetchval("SELECT count(*) FROM payment_outbox WHERE published_at IS NULL"),
        )
        return int(value)

    async def mark_published(self, published: Sequence[tuple[str, int, int]]) -> None:
        """Record (instruction_id, partition, offset) for instructions the broker acknowledged."""
        if published:
            await self._guard(
                "mark_published",
                self._pool.executemany(
                    "UPDATE payment_outbox SET published_at = now(), kafka_partition = $2,"
                    " kafka_offset = $3 WHERE instruction_id = $1 AND published_at IS NULL",
                    published,
                ),
            )
