"""Rate-limited warnings for outages: one line per source per interval, with a count of the rest.

During a PostgreSQL or Kafka outage every writer retries and the outbox relay ticks five times a
second; logging each failure buries the one line an operator needs. `OutageLog.warning` logs the
first failure of a source at once, then at most one line per `interval_s`, saying how many were
held back; `recovered` logs one line when the source works again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

DEFAULT_INTERVAL_S: Final = 30.0


@dataclass
class _Source:
    last_logged: float
    held_back: int = 0
    failures: int = 1


class OutageLog:
    """One warning per source (a writer, the outbox relay) per interval while it keeps failing."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.interval_s, self.clock = logger, interval_s, clock
        self._failing: dict[str, _Source] = {}

    def warning(self, source: str, message: str, *args: object) -> None:
        now = self.clock()
        state = self._failing.get(source)
        if state is None:
            self._failing[source] = _Source(now)
            self.logger.warning(message, *args)
            return
        state.failures += 1
        if now - state.last_logged < self.interval_s:
            state.held_back += 1
            return
        held, since = state.held_back, now - state.last_logged
        state.last_logged, state.held_back = now, 0
        self.logger.warning(message + " (%d more like this in the last %.0fs)", *args, held, since)

    def recovered(self, source: str) -> None:
        state = self._failing.pop(source, None)
        if state is not None:
            self.logger.warning("%s: working again after %d failure(s)", source, state.failures)
