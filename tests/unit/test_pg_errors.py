"""How driver errors reach the worker's retry policy (services/adapters/pg_base._guard)."""

from __future__ import annotations

import asyncpg
import pytest

from services.adapters.pg_base import _guard
from services.errors import TransientError


async def _raise(error: BaseException) -> None:
    raise error


async def test_a_connection_ended_mid_operation_is_transient() -> None:
    """PostgreSQL shutting down under a query can surface as asyncpg's InternalClientError
    (MagicStack/asyncpg#1069): a retry, not a crash of the timer that ran it."""
    error = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    with pytest.raises(TransientError, match="outbox_pending: InternalClientError"):
        await _guard("outbox_pending", _raise(error))


async def test_a_refused_statement_is_not_transient() -> None:
    with pytest.raises(Exception) as caught:
        await _guard("settle", _raise(asyncpg.exceptions.UniqueViolationError("dup")))
    assert not isinstance(caught.value, TransientError)
