"""Consumer positions in PostgreSQL: the last offset each consumer durably processed, recorded
fenced inside the transaction of the batch that consumed it."""

from __future__ import annotations

import asyncpg

from services.adapters.pg_base import PoolUser
from services.app.records import Checkpoint, Position
from services.errors import Fenced


async def _advance(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    """Record a batch's consumed positions inside its transaction, fenced.

    The rows of the batch's partitions are locked first; if any already records an offset of
    this batch, another consumer applied it (the partition moved while this worker worked):
    Fenced, and the whole transaction rolls back. A partition seen for the first time is
    inserted; if another consumer inserted it meanwhile, the insert turns into an update
    (xmax <> 0) and that is fenced too.
    """
    marks = checkpoint.marks
    if not marks:
        return
    topics = [m.topic for m in marks]
    partitions = [m.partition for m in marks]
    held = await conn.fetch(
        'SELECT topic, partition, "offset" FROM processed_offsets WHERE consumer = $1'
        " AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))"
        " ORDER BY topic, partition FOR UPDATE",
        checkpoint.consumer,
        topics,
        partitions,
    )
    recorded = {(r["topic"], r["partition"]): r["offset"] for r in held}
    for m in marks:
        done = recorded.get((m.topic, m.partition))
        if done is not None and done >= m.first:
            raise Fenced(
                f"{checkpoint.consumer}: {m.topic}[{m.partition}] already recorded at {done},"
                f" this batch starts at {m.first}: another worker applied it"
            )
    written = await conn.fetch(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset")'
        " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)"
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()'
        " RETURNING topic, partition, (xmax = 0) AS inserted",
        checkpoint.consumer,
        topics,
        partitions,
        [m.last for m in marks],
    )
    for r in written:
        if (r["topic"], r["partition"]) not in recorded and not r["inserted"]:
            raise Fenced(
                f"{checkpoint.consumer}: {r['topic']}[{r['partition']}] was first recorded by"
                " another worker while this batch was applied"
            )


async def _record_positions(
    conn: asyncpg.Connection, consumer: str, positions: list[Position]
) -> None:
    latest: dict[tuple[str, int], int] = {}
    for p in positions:
        key = (p.topic, p.partition)
        latest[key] = max(latest.get(key, -1), p.offset)
    await conn.executemany(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset") VALUES ($1,$2,$3,$4)'
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()',
        [(consumer, t, p, o) for (t, p), o in latest.items()],
    )


class Positions(PoolUser):
    """The position port: read where a consumer is, or advance it alone."""

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        """The last offset `consumer` durably processed, per partition of `topic`."""
        rows = await self._guard(
            "processed_offsets",
            self._pool.fetch(
                'SELECT partition, "offset" FROM processed_offsets'
                " WHERE consumer = $1 AND topic = $2",
                consumer,
                topic,
            ),
        )
        return {int(r["partition"]): int(r["offset"]) for r in rows}

    async def advance(self, checkpoint: Checkpoint) -> None:
        """Commit positions alone (a batch whose every event was dead-lettered)."""
        await self._guard("advance", self._advance_alone(checkpoint))

    async def _advance_alone(self, checkpoint: Checkpoint) -> None:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
