"""Outage warnings are rate-limited: the first at once, then one line per source per interval
with the count held back, and one line when the source recovers."""

from __future__ import annotations

import logging

import pytest

from streams.ops.outage_log import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failing_writer_logs_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outages = OutageLog(logging.getLogger("t"), interval_s=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="t"):
        for _ in range(150):  # 5 a second for 30 s, as the outbox relay ticks
            outages.warning("outbox relay", "outbox relay: %s", "refused")
            clock.now += 0.2
        outages.warning("outbox relay", "outbox relay: %s", "refused")
        outages.warning("settle", "%s: transient database error, retrying: %s", "settle", "x")
    assert [r.getMessage() for r in caplog.records] == [
        "outbox relay: refused",
        "outbox relay: refused (149 more like this in the last 30s)",
        "settle: transient database error, retrying: x",
    ]


def test_recovery_is_one_line_and_the_next_outage_is_logged_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outages = OutageLog(logging.getLogger("t"), interval_s=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="t"):
        outages.recovered("settle")  # never failed: nothing to say
        outages.warning("settle", "down")
        outages.warning("settle", "down")
        outages.recovered("settle")
        outages.warning("settle", "down again")
    assert [r.getMessage() for r in caplog.records] == [
        "down",
        "settle: working again after 2 failure(s)",
        "down again",
    ]
