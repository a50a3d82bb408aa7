"""The worker's long-lived resources (database pool), started with the app, never at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mode import Service

from services.adapters.postgres import PostgresStore
from services.config import Settings

log = logging.getLogger(__name__)


async def check_postgres(dsn: str) -> None:
    """Connect once and let go: `claims worker` refuses to start on a PostgreSQL it cannot reach
    (one line naming it, before Faust starts, instead of a crash inside Faust)."""
    store = await PostgresStore.connect(dsn, size=1)
    await store.close()


class Resources(Service):
    """Connects PostgreSQL and applies migrations before any agent touches the database."""

    def __init__(
        self,
        settings: Settings,
        after_migrate: Callable[[PostgresStore], Awaitable[None]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # mode's Service kwargs are untyped
        self.settings = settings
        self._after_migrate = after_migrate
        self._store: PostgresStore | None = None
        self._ready = asyncio.Event()

    async def on_start(self) -> None:
        store = await PostgresStore.connect(self.settings.dsn, size=self.settings.db_pool_size)
        applied = await store.migrate()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        if self._after_migrate is not None:  # e.g. reseal pre-0003 dead letters
            await self._after_migrate(store)
        self._store = store
        self._ready.set()

    async def on_stop(self) -> None:
        if self._store is not None:
            await self._store.close()

    async def ping(self, timeout: float) -> bool:
        """PostgreSQL answers `SELECT 1` within `timeout` seconds (for /readyz); never raises."""
        if self._store is None:
            return False
        try:
            await asyncio.wait_for(self._store.fetch("SELECT 1"), timeout)
        except Exception:  # unreachable, refused or slow: not ready, whatever the cause
            return False
        return True

    async def store(self) -> PostgresStore:
        """The store, once connected and migrated (agents wait here at start)."""
        await self._ready.wait()
        assert self._store is not None
        return self._store
