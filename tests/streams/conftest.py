"""The worker built by the composition root, with an in-memory store and a recording producer.

Seams: `build_app` takes the adapters. The tests pass the memory store (services/adapters/
memory.py, with the test additions of streams_support), a producer that records every send,
and an `on_fatal` that raises Fatal instead of exiting the test run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import NoReturn

import pytest
from streams_support import KEY, Fatal, MemoryStore, RecordingProducer, Worker

from services.config import load_settings
from services.sealing import DEMO_PUBLIC_KEY
from streams.app import build_app


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[Worker]:
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
    store, producer, fatal = MemoryStore(), RecordingProducer(), []

    def stop(where: str, error: BaseException) -> NoReturn:
        fatal.append((where, error))
        raise Fatal(where) from error

    app, pipe = build_app(settings, store=store, producer=producer, on_fatal=stop)
    await pipe.resources.start()  # hands the agents the memory store (migrate: nothing to do)
    yield Worker(app, pipe, store, producer, fatal)
    # Iterating a stream creates the (never started) Kafka consumer, whose thread owns a loop.
    consumer = app._consumer
    if consumer is not None:
        consumer._thread.thread_loop.close()
