"""The dead-letter table: sealed dead letters in, listed, opened by id, replayed, resealed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.adapters.pg_base import PoolUser
from services.adapters.positions import _advance
from services.app.records import (
    Checkpoint,
    DeadLetterRow,
    LegacyDeadLetter,
    Position,
    StoredDeadLetter,
)
from services.sealing import Sealed

_DEAD_LETTER_SELECT = (
    'SELECT id, topic, partition, "offset", error_class, error_message, first_seen_at, consumer,'
    " sealed, key_id, value_size, value_schema, replayed_at FROM dead_letters"
)


def _stored_dead_letter(r: Any) -> StoredDeadLetter:
    return StoredDeadLetter(
        id=r["id"],
        topic=r["topic"],
        partition=r["partition"],
        offset=r["offset"],
        error_class=r["error_class"],
        error_message=r["error_message"],
        first_seen_at=r["first_seen_at"],
        consumer=r["consumer"],
        sealed=None if r["sealed"] is None else bytes(r["sealed"]),
        key_id=r["key_id"],
        value_size=r["value_size"],
        value_schema=r["value_schema"],
        replayed_at=r["replayed_at"],
    )


class DeadLetterStore(PoolUser):
    """Dead letters are stored sealed (services/sealing.py): never a clear key or value."""

    async def record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None = None
    ) -> None:
        """Insert sealed dead letters once per (topic, keyed digest of the value)."""
        if rows or checkpoint is not None:
            await self._guard("record_dead_letters", self._record_dead_letters(rows, checkpoint))

    async def _record_dead_letters(
        self, rows: Sequence[DeadLetterRow], checkpoint: Checkpoint | None
    ) -> None:
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            if rows:
                await conn.executemany(
                    'INSERT INTO dead_letters (topic, partition, "offset", key, value, error_class,'
                    " error_message, first_seen_at, consumer, sealed, key_id, value_digest,"
                    " value_size, value_schema)"
                    " VALUES ($1,$2,$3, NULL, '', $4,$5,$6,$7,$8,$9,$10,$11,$12)"
                    " ON CONFLICT (topic, value_digest) DO NOTHING",
                    [
                        (
                            d.topic,
                            d.partition,
                            d.offset,
                            d.error_class,
                            d.error_message,
                            d.first_seen_at,
                            d.consumer,
                            d.sealed,
                            d.key_id,
                            d.value_digest,
                            d.value_size,
                            d.value_schema,
                        )
                        for d in rows
                    ],
                )

    async def dead_letters(
        self, *, topic: str | None = None, limit: int = 100, after_id: int = 0
    ) -> list[StoredDeadLetter]:
        """Dead letters in id order (metadata and envelope; never a clear value)."""
        rows = await self._guard(
            "dead_letters",
            self._pool.fetch(
                _DEAD_LETTER_SELECT + " WHERE id > $1 AND ($2::text IS NULL OR topic = $2)"
                " ORDER BY id LIMIT $3",
                after_id,
                topic,
                limit,
            ),
        )
        return [_stored_dead_letter(r) for r in rows]

    async def dead_letter(self, dead_letter_id: int) -> StoredDeadLetter | None:
        row = await self._guard(
            "dead_letter",
            self._pool.fetchrow(_DEAD_LETTER_SELECT + " WHERE id = $1", dead_letter_id),
        )
        return None if row is None else _stored_dead_letter(row)

    async def mark_replayed(self, dead_letter_id: int) -> None:
        await self._guard(
            "mark_replayed",
            self._pool.execute(
                "UPDATE dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id
            ),
        )

    async def legacy_dead_letters(self, limit: int) -> list[LegacyDeadLetter]:
        """Rows written before migration 0003 that still hold the clear key and value."""
        rows = await self._guard(
            "legacy_dead_letters",
            self._pool.fetch(
                'SELECT id, topic, partition, "offset", key, value FROM dead_letters'
                " WHERE sealed IS NULL ORDER BY id LIMIT $1",
                limit,
            ),
        )
        return [
            LegacyDeadLetter(
                r["id"],
                Position(r["topic"], r["partition"], r["offset"]),
                None if r["key"] is None else bytes(r["key"]),
                bytes(r["value"]),
            )
            for r in rows
        ]

    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None:
        """Replace a legacy row's clear key and value by their envelope.

        True: resealed. False: a sealed row of the same message already exists, so the clear
        copy is deleted. None: another process resealed (or removed) it first.
        """
        return await self._guard(
            "reseal_dead_letter", self._reseal(dead_letter_id, topic, sealed, value_schema)
        )

    async def _reseal(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None:
        async with self._tx() as conn:
            # Two workers starting together both reseal: the row lock makes one of them wait and
            # then find the row already sealed.
            still_clear = await conn.fetchval(
                "SELECT sealed IS NULL FROM dead_letters WHERE id = $1 FOR UPDATE", dead_letter_id
            )
            if not still_clear:
                return None
            twin = await conn.fetchval(
                "SELECT id FROM dead_letters WHERE topic = $1 AND value_digest = $2 AND id <> $3",
                topic,
                sealed.value_digest,
                dead_letter_id,
            )
            if twin is not None:
                await conn.execute("DELETE FROM dead_letters WHERE id = $1", dead_letter_id)
                return False
            await conn.execute(
                "UPDATE dead_letters SET key = NULL, value = '', sealed = $2, key_id = $3,"
                " value_digest = $4, value_size = $5, value_schema = $6 WHERE id = $1",
                dead_letter_id,
                sealed.envelope,
                sealed.key_id,
                sealed.value_digest,
                sealed.value_size,
                value_schema,
            )
            return True
