"""Use case: seal the dead letters written before they were sealed (migration 0003)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from services.app.records import LegacyDeadLetter
from services.sealing import Sealed, Sealer


class LegacyDeadLetters(Protocol):
    """The part of the store resealing needs (PostgresStore implements it)."""

    async def legacy_dead_letters(self, limit: int) -> Sequence[LegacyDeadLetter]: ...

    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool | None: ...


async def reseal_legacy(
    store: LegacyDeadLetters,
    sealer: Sealer,
    schema_of: Callable[[bytes], str | None],
    *,
    batch: int = 500,
) -> tuple[int, int]:
    """Seal every pre-0003 row still holding a clear key and value, then blank them.

    Returns (resealed, dropped): a row is dropped when a sealed row of the same message exists;
    a row another process resealed meanwhile counts as neither.
    Each row is bound to its own topic/partition/offset, as if it had been sealed when parked.
    """
    resealed = dropped = 0
    while legacy := await store.legacy_dead_letters(batch):
        for old in legacy:
            sealed = sealer.seal(old.key, old.value, old.position)
            done = await store.reseal_dead_letter(
                old.id, old.position.topic, sealed, schema_of(old.value)
            )
            resealed += done is True
            dropped += done is False  # None: another process sealed it first
    return resealed, dropped
