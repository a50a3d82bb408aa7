"""Fakes for the Faust agent tests: an in-memory store and a producer that records sends."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
import faust

from services.adapters import memory
from services.app.records import (
    DecisionRow,
    SettlementRow,
)
from services.errors import StoreError
from streams.app import Pipeline
from streams.kafka.codec import AvroCodec

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KEY = "k" * 32


def fixture(codec: AvroCodec, name: str, /, **overrides: Any) -> dict[str, Any]:
    """The v1 fixture of `name`, decoded as the codec decodes it, with fields replaced."""
    text = (SCHEMAS / "fixtures" / name / "v1.json").read_text(encoding="utf-8")
    one_line = json.dumps(json.loads(text))  # fastavro's JSON reader takes one record per line
    record = dict(
        next(iter(fastavro.json_reader(io.StringIO(one_line), codec.schema(name).schema)))
    )
    return {**record, **overrides}


class MemoryStore(memory.MemoryStore):
    """The memory store as the agent tests use it: `test_context` numbers offsets from 0 on
    partitions 0-7, and a claim id "POISON" is what PostgreSQL would refuse (a value too long)."""

    async def processed_offsets(self, consumer: str, topic: str) -> dict[int, int]:
        # Nothing processed yet means "start at offset 0" (test_context numbers from 0).
        floor = {partition: -1 for partition in range(8)}
        return {**floor, **await super().processed_offsets(consumer, topic)}

    def _check(self, rows: Sequence[DecisionRow] | Sequence[SettlementRow]) -> None:
        if any(r.claim_id == "POISON" for r in rows):
            raise StoreError("value too long for column")


@dataclass(frozen=True)
class Sent:
    topic: str
    key: str
    value: bytes


@dataclass(frozen=True)
class Meta:
    """What the broker acknowledges a send with (RecordMetadata's partition and offset)."""

    partition: int
    offset: int


class RecordingProducer:
    """The worker's producer port (streams.pipeline.Producer): records each send and
    acknowledges it at once; nothing is ever in flight."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def send(self, topic: str, key: str, value: bytes) -> Awaitable[Meta]:
        self.sent.append(Sent(topic, key, value))
        done: asyncio.Future[Meta] = asyncio.get_running_loop().create_future()
        done.set_result(Meta(0, len(self.sent) - 1))
        return done

    async def flush(self) -> None:
        return None

    def to(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until `check()` holds: a sink-less agent acknowledges a value before applying it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the agent")
        await asyncio.sleep(0.005)


class Fatal(Exception):
    """What pipe.fatal raises in tests instead of stopping the process."""


@dataclass
class Worker:
    """The app and pipeline from build_app, with the fakes wired in."""

    app: faust.App
    pipe: Pipeline
    store: MemoryStore
    producer: RecordingProducer
    fatal: list[tuple[str, BaseException]]
