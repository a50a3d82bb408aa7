"""A correction to faust-streaming's offset commits, so that no consumed message is ever skipped.

Two behaviours of faust-streaming 0.15 combine into lost messages (found by the SIGKILL test):

1. While flow is suspended (a rebalance, e.g. a worker restarting), the fetch loop can drop a
   message it has fetched but not yet handed to a stream, yet still advance its read position.
2. `Consumer._new_offset` then commits past that message: it only refuses to commit when the
   first acknowledged offset is *more than one* past the committed offset, but the committed offset
   is already the next offset to read, so a single missing offset is stepped over. With no commit
   yet it commits from whatever was acknowledged first.

The fix: commit only a run of acknowledged offsets that starts exactly at the committed offset
(or, before any commit, at the first offset fetched since the last seek). A dropped message then
blocks commits instead of being skipped, and is delivered again after the next seek (every
rebalance and every restart seeks to the committed offset). Re-delivery is harmless: every
consumer in this service is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from faust.transport.consumer import Consumer

_original_init = Consumer.__init__
_original_new_offset = Consumer._new_offset


class FirstFetched(defaultdict[Any, int | None]):
    """Faust's read positions, also remembering per partition the first and the last offset the
    fetch loop handed on since the last seek (seeks come through `update`, fetches through
    item assignment)."""

    def __init__(self) -> None:
        super().__init__(lambda: None)
        self.first: dict[Any, int] = {}
        self.fetched: dict[Any, int] = {}

    def __setitem__(self, tp: Any, offset: int | None) -> None:
        if offset is not None:
            self.first.setdefault(tp, offset)
            self.fetched[tp] = offset
        super().__setitem__(tp, offset)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for tp, offset in dict(*args, **kwargs).items():
            self.first.pop(tp, None)
            self.fetched.pop(tp, None)
            super().__setitem__(tp, offset)


def contiguous_from_start(consumer: Any, tp: Any) -> bool:
    """True when the acknowledged offsets of `tp` begin where the next commit must begin."""
    acked = consumer._acked[tp]
    if not acked:
        return True
    committed = consumer._committed_offset[tp]
    start = committed if committed is not None else consumer._read_offset.first.get(tp)
    if start is None:
        return False
    head = min(acked)
    if head <= start:
        return True
    # Offsets Faust knows are absent (transaction markers, compacted records) bridge the head.
    return any(iv.begin <= start < iv.end and iv.end >= head for iv in consumer._gap[tp])


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self._read_offset = FirstFetched()


def _new_offset(self: Any, tp: Any) -> int | None:
    if not contiguous_from_start(self, tp):
        return None  # an earlier offset is still unacknowledged (or was dropped): wait
    result: int | None = _original_new_offset(self, tp)
    return result


def install() -> None:
    """Apply the correction (idempotent); the composition root calls it before building the app."""
    if Consumer._new_offset is not _new_offset:
        Consumer.__init__ = _init  # type: ignore[method-assign]  # a deliberate, documented patch
        Consumer._new_offset = _new_offset  # type: ignore[method-assign]  # same
