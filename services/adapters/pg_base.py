"""What every part of the PostgreSQL adapter shares: the pool, transactions, error translation,
the column arrays of an `unnest` insert."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import unquote, urlsplit

import asyncpg

from services.errors import MissingPrivilege, StoreError, TransientError

T = TypeVar("T")
E = TypeVar("E", bound=StoreError | TransientError)

_TRANSIENT = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    # A connection the server ended in the middle of an operation (PostgreSQL shutting down)
    # can surface as "cannot switch to state 12; another operation (2) is in progress" instead
    # of a connection error (MagicStack/asyncpg#1069, sqlalchemy/sqlalchemy#13241). Seen in CI
    # when the health test stops PostgreSQL under a running worker.
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    # Another session holds the row locks this transaction needs (lock_timeout below), or this
    # session sat idle inside a transaction too long and PostgreSQL ended it (a frozen worker).
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.IdleInTransactionSessionTimeoutError,
)

# A worker frozen inside a transaction (SIGSTOP, a long GC pause, a VM stall) would hold its
# row locks, the batch's positions among them, and so block the worker its partitions moved to.
# PostgreSQL ends such a session after this long idle in its transaction, rolling it back: the
# zombie's commit then fails, and its positions are fenced on the retry. Never reached by a
# live worker: it issues a transaction's statements back to back.
SERVER_SETTINGS = {"idle_in_transaction_session_timeout": "10s", "lock_timeout": "30s"}


# What each role must be able to do (migration 0005_roles.sql grants it), for the message that
# says which privilege is missing.
ROLE_NEEDS: Final = {
    "owner": "the owner must own the tables (CREATE on the schema) to migrate",
    "worker": "the worker role needs SELECT/INSERT/UPDATE/DELETE as role_grants lists for"
    " claims_worker, USAGE on the id sequences and TEMPORARY on the database",
    "reader": "the read-only role needs SELECT on every table",
    "importer": "the import role needs SELECT on participants",
}


@dataclass(frozen=True)
class Login:
    """Who a pool connects as: the role it plays, the variable its DSN came from, the user."""

    role: str = "owner"
    variable: str = "DATABASE_URL"
    user: str = "?"

    @classmethod
    def of(cls, role: str, variable: str, dsn: str) -> Login:
        try:
            user = unquote(urlsplit(dsn).username or "") or "?"
        except ValueError:
            user = "?"
        return cls(role, variable, user)


async def _guard(op: str, call: Awaitable[T], login: Login | None = None) -> T:
    """Translate driver errors, keeping the cause; transient ones are marked for retry. A
    refused privilege names the variable, the user and what the role needs."""
    try:
        return await call
    except _TRANSIENT as e:
        raise _named(TransientError(f"{op}: {type(e).__name__}: {e}"), login) from e
    except asyncpg.exceptions.InsufficientPrivilegeError as e:
        raise missing_privilege(op, str(e), login) from e
    except asyncpg.PostgresError as e:
        raise _named(StoreError(f"{op}: {type(e).__name__}: {e}"), login) from e


def missing_privilege(op: str, refusal: str, login: Login | None) -> MissingPrivilege:
    """The one-line refusal: the variable, the user, what PostgreSQL refused, what is needed."""
    who = login or Login()
    return _named(
        MissingPrivilege(
            f"{op}: {who.variable} connects as {who.user!r}, which lacks a privilege: {refusal}"
            f" ({ROLE_NEEDS.get(who.role, '')}; `claims migrate` with DATABASE_URL, the owner,"
            " re-applies the grants)"
        ),
        login,
    )


def _named(error: E, login: Login | None) -> E:
    error.variable = None if login is None else login.variable
    return error


def _columns(
    rows: Sequence[T], to_record: Callable[[T], tuple[Any, ...]], n: int
) -> list[list[Any]]:
    """Transpose rows into n column arrays for an `unnest` insert (one round trip per batch)."""
    cols: list[list[Any]] = [[] for _ in range(n)]
    for row in rows:
        for i, value in enumerate(to_record(row)):
            cols[i].append(value)
    return cols


guard = _guard


class PoolUser:
    """Holds the pool; the adapter's parts (writes, reads, dead letters) share one."""

    def __init__(self, pool: asyncpg.Pool, login: Login | None = None) -> None:
        self._pool = pool
        self.login = login or Login()

    async def _guard(self, op: str, call: Awaitable[T]) -> T:
        return await _guard(op, call, self.login)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn
