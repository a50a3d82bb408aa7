"""The worker built by the composition root, with an in-memory store and a recording producer.

Seam: the agents call `pipe.resources.store()`, which waits for PostgreSQL. The tests set
`pipe.resources._store` and its ready event instead of starting Resources, replace `pipe.send`
(the one place records reach the producer) and `pipe.fatal` (which would os._exit the test run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from streams_support import KEY, Fatal, MemoryStore, RecordingProducer, Worker

from services.config import load_settings
from services.sealing import DEMO_PUBLIC_KEY
from streams.app import build_app


@pytest.fixture
async def worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Worker]:
    """Built inside the test's running loop, so mode binds the app to it and creates none."""
    settings = load_settings(
        {
            "NIK_HASH_KEY": KEY,
            "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY,
            "TABLE_STORE": "memory://",
            "CLAIMS_DATA_DIR": str(tmp_path / "faust"),
            "BATCH_SIZE": "50",
        }
    )
    app, pipe = build_app(settings)
    store, producer, fatal = MemoryStore(), RecordingProducer(), []
    pipe.resources._store = store  # type: ignore[assignment]
    pipe.resources._ready.set()
    monkeypatch.setattr(pipe, "send", producer.send)

    async def flushed() -> None:  # the recording producer has nothing in flight
        return None

    monkeypatch.setattr(pipe, "flush", flushed)

    def stop(where: str, error: BaseException) -> None:
        fatal.append((where, error))
        raise Fatal(where) from error

    monkeypatch.setattr(pipe, "fatal", stop)
    yield Worker(app, pipe, store, producer, fatal)
    # Iterating a stream creates the (never started) Kafka consumer, whose thread owns a loop.
    consumer = app._consumer
    if consumer is not None:
        consumer._thread.thread_loop.close()
