"""Root errors of the services package; adapters translate driver errors into these."""

from __future__ import annotations


class ServiceError(Exception):
    """Root of every error raised by services/."""

    # The variable holding the DSN of the connection that failed, when a store error comes from
    # one (DATABASE_URL, WORKER_DATABASE_URL, ...): the one-line message names it.
    variable: str | None = None


class TransientError(ServiceError):
    """Worth retrying: lost connection, serialization failure, deadlock, broker not ready."""


class StoreError(ServiceError):
    """A database operation failed for a reason retrying will not fix."""


class MissingPrivilege(StoreError):
    """PostgreSQL refused a statement: the role of the DSN in `variable` lacks a privilege (a
    restricted role pointed at the wrong command, or grants not applied: `claims migrate`)."""


class SchemaBehind(StoreError):
    """The database's schema is older than this code, and the role cannot migrate it."""


class InvalidEvent(ServiceError):
    """An upstream event failed validation; `problems` lists (field, value, reason) per fault."""

    def __init__(self, event_name: str, problems: tuple[tuple[str, str, str], ...]) -> None:
        self.event_name = event_name
        self.problems = problems
        detail = "; ".join(f"{f}={v}: {r}" for f, v, r in problems)
        super().__init__(f"{event_name}: {detail}")


class KeyMismatch(InvalidEvent):
    """A message whose Kafka key is not the one its topic's ordering rests on (null, not UTF-8,
    or not the record's own KPJ / sponsor id): one field, `key`, shown only by its shape."""


class Fenced(ServiceError):
    """A batch's positions were already recorded by another consumer (its partitions moved to
    another worker while this one was applying it): the transaction is rolled back."""
