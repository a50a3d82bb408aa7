"""The commit correction and the watchdog that redelivers messages the consumer dropped."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from intervaltree import IntervalTree

from streams.faust_fixes import FirstFetched, contiguous_from_start


def consumer(acked: list[int], committed: int | None, first: int | None = None) -> Any:
    reads = FirstFetched()
    if first is not None:
        reads["tp"] = first
    return SimpleNamespace(
        _acked=defaultdict(list, {"tp": acked}),
        _committed_offset=defaultdict(lambda: None, {"tp": committed}),
        _read_offset=reads,
        _gap=defaultdict(IntervalTree),
    )


def test_a_run_starting_at_the_committed_offset_may_be_committed() -> None:
    assert contiguous_from_start(consumer([10, 11, 12], committed=10), "tp")


def test_a_single_missing_offset_blocks_the_commit_instead_of_being_skipped() -> None:
    # faust-streaming's own check lets this through (11 - 10 is not > 1) and commits 13.
    assert not contiguous_from_start(consumer([11, 12], committed=10), "tp")


def test_before_any_commit_the_run_must_start_at_the_first_offset_fetched() -> None:
    assert contiguous_from_start(consumer([0, 1], committed=None, first=0), "tp")
    assert not contiguous_from_start(consumer([1, 2], committed=None, first=0), "tp")
    assert not contiguous_from_start(consumer([1, 2], committed=None), "tp")


def test_the_first_fetched_offset_is_forgotten_when_a_seek_resets_the_position() -> None:
    reads = FirstFetched()
    reads["tp"] = 5
    reads["tp"] = 6
    assert (reads.first["tp"], reads.fetched["tp"]) == (5, 6)
    reads.update({"tp": 3})  # a seek: nothing fetched since
    assert "tp" not in reads.first and "tp" not in reads.fetched
    reads["tp"] = 3
    assert (reads.first["tp"], reads.fetched["tp"]) == (3, 3)
