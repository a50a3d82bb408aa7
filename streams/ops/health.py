"""Health endpoints on each worker's web port: GET /livez and GET /readyz (Kubernetes, compose).

- `/livez`: 200 while the worker's event loop answers; the handler runs on that loop, so a
  blocked or dead loop shows as no answer (a probe's timeout), never as a false 200.
- `/readyz`: 200 when the worker can do its job, 503 otherwise, with each check in the body:
  partitions assigned by the consumer group, PostgreSQL answering `SELECT 1` within
  READY_DB_TIMEOUT_S, and the producer started with the cluster's brokers known.

Both answer JSON: {"ready": bool, "checks": {"partitions_assigned": n, "postgres": bool,
"producer": bool}} (`/readyz`), {"alive": true} (`/livez`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from streams.ops.status import render

if TYPE_CHECKING:
    import faust

    from streams.pipeline import Pipeline

LIVEZ: Final = "/livez"
READYZ: Final = "/readyz"
READY_DB_TIMEOUT_S: Final = 2.0
JSON: Final = "application/json"


@dataclass(frozen=True)
class Readiness:
    partitions_assigned: int
    postgres: bool
    producer: bool

    @property
    def ready(self) -> bool:
        return self.partitions_assigned > 0 and self.postgres and self.producer

    def document(self) -> dict[str, Any]:
        checks = {
            "partitions_assigned": self.partitions_assigned,
            "postgres": self.postgres,
            "producer": self.producer,
        }
        return {"ready": self.ready, "checks": checks}


def assigned_partitions(app: faust.App) -> int:
    try:
        return len(app.consumer.assignment())
    except Exception:  # not started yet, or stopping: nothing assigned
        return 0


def producer_connected(app: faust.App) -> bool:
    """Faust's aiokafka producer is started, not closed, and knows the cluster's brokers.

    Faust's public API has no such check, so this reads aiokafka's producer behind it (one place).
    Open connections are not the test: aiokafka closes idle ones and reopens them on demand.
    """
    inner: Any = getattr(app.producer, "_producer", None)
    if inner is None or getattr(inner, "_closed", True):
        return False
    try:
        return bool(inner.client.cluster.brokers())
    except Exception:  # no metadata yet
        return False


async def kafka_answers(app: faust.App, timeout: float) -> bool:
    """The brokers answer a metadata request from the producer's client within `timeout`."""
    inner: Any = getattr(app.producer, "_producer", None)
    if inner is None or getattr(inner, "_closed", True):
        return False
    try:
        await asyncio.wait_for(inner.client.fetch_all_metadata(), timeout)
    except Exception:  # refused, timed out or closing: not answering
        return False
    return True


async def readiness(app: faust.App, pipe: Pipeline) -> Readiness:
    postgres = await pipe.resources.ping(READY_DB_TIMEOUT_S)
    return Readiness(assigned_partitions(app), postgres, producer_connected(app))


def install_health(app: faust.App, pipe: Pipeline) -> None:
    """Add /livez and /readyz to the worker's web server."""

    async def livez(view: Any, request: Any) -> Any:
        """The event loop answers."""
        return view.bytes(render({"alive": True}).encode(), content_type=JSON)

    async def readyz(view: Any, request: Any) -> Any:
        """Partitions assigned, PostgreSQL reachable, producer connected."""
        state = await readiness(app, pipe)
        status = 200 if state.ready else 503
        return view.bytes(render(state.document()).encode(), content_type=JSON, status=status)

    app.page(LIVEZ, name="livez")(livez)
    app.page(READYZ, name="readyz")(readyz)
