"""The worker's long-lived resources (database pool), started with the app, never at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mode import Service

from services.adapters.postgres import connect_store
from services.app.ports import WorkerStore
from services.config import Settings

log = logging.getLogger(__name__)


async def check_postgres(settings: Settings) -> None:
    """Connect once and let go: `claims worker` refuses to start on a PostgreSQL it cannot reach
    (one line naming it, before Faust starts, instead of a crash inside Faust). With its own
    WORKER_DATABASE_URL it also refuses a schema not yet migrated or a role lacking a privilege
    of role_grants (one line naming the variable and each missing privilege)."""
    store = await connect_store(settings, role="worker")
    try:
        if settings.has_own_dsn("worker"):
            await store.check_schema()
    finally:
        await store.close()


class Resources(Service):
    """Connects PostgreSQL before any agent touches the database, and migrates or checks it.

    Without WORKER_DATABASE_URL the worker connects with DATABASE_URL and applies the migrations
    at start, as a one-role setup always did. With it, the worker holds only its restricted
    role: it never migrates (it could not: no DDL) and only checks that the schema is current
    and its privileges complete; `claims migrate` (DATABASE_URL, the owner) runs first, as
    `claims run` and a deployment's release step do. The owner's password then never reaches a
    worker process.
    """

    def __init__(
        self,
        settings: Settings,
        after_migrate: Callable[[WorkerStore], Awaitable[None]] | None = None,
        *,
        store: WorkerStore | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # mode's Service kwargs are untyped
        self.settings = settings
        self._after_migrate = after_migrate
        self._given = store  # a store the caller opened (and closes): none is connected here
        self._store: WorkerStore | None = None
        self._ready = asyncio.Event()

    async def on_start(self) -> None:
        store: WorkerStore
        if self._given is not None:
            store = self._given
            await self._migrate(store)
        else:
            pg = await connect_store(self.settings, role="worker", size=self.settings.db_pool_size)
            if self.settings.has_own_dsn("worker"):
                await pg.check_schema()
            else:
                await self._migrate(pg)
            store = pg
        if self._after_migrate is not None:  # e.g. reseal pre-0003 dead letters
            await self._after_migrate(store)
        self._store = store
        self._ready.set()

    @staticmethod
    async def _migrate(store: WorkerStore) -> None:
        applied = await store.migrate()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))

    async def on_stop(self) -> None:
        if self._store is not None and self._given is None:
            await self._store.close()

    async def ping(self, timeout: float) -> bool:
        """PostgreSQL answers `SELECT 1` within `timeout` seconds (for /readyz); never raises."""
        if self._store is None:
            return False
        try:
            await asyncio.wait_for(self._store.ping(), timeout)
        except Exception:  # unreachable, refused or slow: not ready, whatever the cause
            return False
        return True

    async def store(self) -> WorkerStore:
        """The store, once connected and migrated (agents wait here at start)."""
        await self._ready.wait()
        assert self._store is not None
        return self._store
