"""The consumer group's refused offset commits: a brief rebalance, or a member to replace."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

REJOIN_AFTER_S = 15.0  # refused commits for this long: the member is out of the group
WARN_EVERY_S = 10.0


class CommitRefusals:
    """Offset commits the group refused since the last one it took.

    A refusal while the group rebalances is normal and brief: the next poll rejoins. Refusals
    that go on for `REJOIN_AFTER_S` mean the member was dropped and is not rejoining by itself.
    kafka-python can stop heartbeating after a rebalance while the consumer still fetches
    (dpkp/kafka-python#2610, fixed upstream by #2617 for 2.x): every commit is then refused
    with RebalanceInProgress until the consumer is replaced. One warning per `WARN_EVERY_S`.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.count = 0
        self.since: float | None = None
        self._warned_at = float("-inf")

    def refused(self, error: Exception) -> None:
        now = self.clock()
        self.count += 1
        if self.since is None:
            self.since = now
        if now - self._warned_at >= WARN_EVERY_S:
            log.warning(
                "offsets not committed (group rebalancing; %d refused in %.0fs); they will be"
                " redelivered: %s",
                self.count,
                now - self.since,
                error,
            )
            self._warned_at = now

    def committed(self) -> None:
        self.count, self.since = 0, None

    def for_s(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since

    def stuck(self) -> bool:
        return self.since is not None and self.for_s() >= REJOIN_AFTER_S
