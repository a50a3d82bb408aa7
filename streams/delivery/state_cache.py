"""The worker's cache of participant states: per assigned partition, bounded, and changed only
after the transaction that wrote the states has committed.

PostgreSQL owns the state (participants.coverage). The cache only saves reading it again: a
state missing here is loaded with one query per batch for all the batch's missing keys. A
partition's entries are dropped when the partition is revoked (another worker may change them
next) and when a transaction of that partition fails (the batch's working copies are thrown
away with it, and nothing uncommitted is ever put here). Least recently used entries go first
when the cache is full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

State = dict[str, Any]


class StateCache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._parts: dict[int, OrderedDict[str, State]] = {}
        self.size = 0

    def get(self, partition: int, key: str) -> State | None:
        part = self._parts.get(partition)
        if part is None:
            return None
        state = part.get(key)
        if state is not None:
            part.move_to_end(key)
        return state

    def missing(self, partition: int, keys: Iterable[str]) -> list[str]:
        part: Mapping[str, State] = self._parts.get(partition, {})
        return [k for k in keys if k not in part]

    def committed(self, partition: int, states: Mapping[str, State]) -> None:
        """States a committed transaction (or a committed read) holds for this partition."""
        part = self._parts.setdefault(partition, OrderedDict())
        for key, state in states.items():
            if key not in part:
                self.size += 1
            part[key] = state
            part.move_to_end(key)
        while self.size > self.limit:
            victim = max(self._parts.values(), key=len)
            victim.popitem(last=False)
            self.size -= 1

    def drop(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            part = self._parts.pop(partition, None)
            if part is not None:
                self.size -= len(part)

    def keep_only(self, partitions: Iterable[int]) -> None:
        """Drop every partition not in `partitions` (the worker's assignment)."""
        keep = set(partitions)
        self.drop([p for p in self._parts if p not in keep])

    def __len__(self) -> int:
        return self.size
