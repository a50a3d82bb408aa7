"""End to end through the real worker: enrollments persisted, and claims submitted to settled."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import harness
import raw_limits
import workers
from harness import Encoded
from workers import Fleet

from services.config import Settings
from simulator import build_scenario
from streams.kafka import topics as T
from streams.kafka.codec import AvroCodec

SCENARIO = "jakarta-2016"
BPU_COHORT = 250_000  # the Jakarta BPU cohort at scale 1.0
CLAIMS_AT_SCALE_1 = 34_685 + 474 + 239 + 54  # JHT + JKK + JKM + JP in jakarta-2016
PARTICIPANTS = T.PARTICIPANT_EVENTS.name
CLAIM_TOPICS = [
    PARTICIPANTS,
    *(T.approved_topic(p).name for p in ("JHT", "JKK", "JKM", "JP")),
]
CODEC = AvroCodec.from_directory(harness.ROOT / "schemas")


@dataclass
class Workload:
    """Untimed setup events, then the timed events (with their claim ids, when claims)."""

    setup: list[Encoded] = field(default_factory=list)
    timed: list[Encoded] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _encode(topic: str, key: str, schema: str, record: dict[str, Any]) -> Encoded:
    return topic, key.encode(), CODEC.encode(schema, record)


def _events(scale: float, seed: int) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    # Claimants drawn uniformly (fewer full PU histories): the same workload as earlier rounds.
    yield from build_scenario(SCENARIO, seed=seed, scale=scale, uniform_claimants=True).events()


def enrollment_workload(n: int, seed: int) -> Workload:
    """The sponsor's fundings (setup), then the BPU cohort's ParticipantEnrolled events (timed)."""
    w = Workload()
    for topic, key, schema, record in _events(n / BPU_COHORT, seed):
        if schema.endswith(("ProgramsChanged", "ContributionPosted", "ClaimSubmitted")):
            break  # the enrollment part of the scenario is over
        if schema.endswith("SponsoredCohortFunded"):
            w.setup.append(_encode(topic, key, schema, record))
        elif schema.endswith("ParticipantEnrolled") and record["category"] == "BPU":
            w.timed.append(_encode(topic, key, schema, record))
    return w


def claims_workload(n: int, seed: int) -> Workload:
    """Everything a claim needs (enrollments, contributions, exits) as setup; the claims timed."""
    w = Workload()
    for topic, key, schema, record in _events(n / CLAIMS_AT_SCALE_1, seed):
        if schema.endswith("ClaimSubmitted"):
            w.timed.append(_encode(topic, key, schema, record))
            w.ids.append(record["claim_id"])
        else:
            w.setup.append(_encode(topic, key, schema, record))
    return w


class Profiler:
    """py-spy sampling the worker in raw (collapsed stacks) format, while the timed part runs."""

    def __init__(self, pid: int, out: Path | None) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.proc = subprocess.Popen(
                [
                    str(harness.ROOT / ".venv/bin/py-spy"),
                    "record",
                    "--format",
                    "raw",
                    "--rate",
                    "50",
                    "--nonblocking",
                    "--pid",
                    str(pid),
                    "-o",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)


async def _scalar(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _drained(settings: Settings, worker: Fleet, topics: list[str], timeout: float) -> None:
    """Wait until the worker's group has committed everything on `topics`."""

    async def done() -> bool:
        return await asyncio.to_thread(harness.group_lag, settings, topics) == 0

    await workers.wait_until(done, worker, timeout, every=0.5)


@asynccontextmanager
async def _round(base: Settings) -> AsyncIterator[tuple[Settings, Fleet]]:
    """Fresh topics, tables and group with a ready worker; everything removed afterwards."""
    settings = harness.fresh_round(base)
    await harness.prepare(settings)
    worker = Fleet.start(settings, workers.worker_count())
    try:
        await asyncio.to_thread(worker.wait_ready)
        yield settings, worker
    finally:
        worker.stop()
        await harness.cleanup(settings)


async def _consume_limit(settings: Settings, start: dict[int, int]) -> tuple[int, float]:
    end = harness.end_offsets(settings, PARTICIPANTS)
    return await raw_limits.consume_seconds(
        settings.kafka_bootstrap_servers, harness.prefix(settings) + PARTICIPANTS, start, end
    )


async def enrollment_round(
    base: Settings, w: Workload, timeout: float, profile: Path | None = None
) -> dict[str, float]:
    """Produce the cohort, wait until the worker persisted it, then measure both raw limits."""
    async with _round(base) as (settings, worker):
        await harness.produce(settings, w.setup)
        await _drained(settings, worker, [T.SPONSOR_EVENTS.name], timeout)
        start = harness.end_offsets(settings, PARTICIPANTS)
        profiler = Profiler(worker.proc.pid, profile)
        cpu = worker.cpu_seconds()
        first = time.time()
        produce_s = await harness.produce(settings, w.timed)
        await _drained(settings, worker, [PARTICIPANTS], timeout)
        cpu = worker.cpu_seconds() - cpu
        profiler.stop()
        dsn = settings.dsn
        last = await _scalar(dsn, "SELECT extract(epoch FROM max(updated_at)) FROM participants")
        persisted = await _scalar(dsn, "SELECT count(*) FROM participants")
        batch_rows = harness.mean_batch_rows(settings, len(worker.workers))
        rss, others = worker.peak_rss_mib(), len(harness.other_groups(settings))
        worker.stop()  # the limits run alone
        read, consume_s = await _consume_limit(settings, start)
        columns, records = await raw_limits.participants_snapshot(dsn)
        copy_s = await raw_limits.copy_seconds(dsn, columns, records)
    return {
        "enrollments": len(w.timed),
        "persisted": persisted,
        "produce_s": produce_s,
        "seconds": float(last) - first,
        "raw_consume_s": consume_s,
        "raw_consume_n": read,
        "copy_s": copy_s,
        "copy_rows": len(records),
        "peak_rss_mib": rss,
        "worker_cpu_us_per_event": 1e6 * cpu / len(w.timed),
        "workers": len(worker.workers),
        "other_groups_at_end": others,
        **batch_rows,
    }


async def _settlement_times(dsn: str) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT claim_id, extract(epoch FROM settled_at) AS at FROM settlements"
        )
    finally:
        await conn.close()
    return {r["claim_id"]: float(r["at"]) for r in rows}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def claims_round(
    base: Settings,
    w: Workload,
    timeout: float,
    profile: Path | None = None,
    rate: float | None = None,
) -> dict[str, float]:
    """Set the participants up, then time the claims from first produce to last settlement:
    as one burst, or paced at `rate` claims per second (latency at a sustainable load)."""
    stamps: dict[str, float] = {}
    async with _round(base) as (settings, worker):
        await harness.produce(settings, w.setup)
        await _drained(settings, worker, [T.SPONSOR_EVENTS.name, PARTICIPANTS], timeout)
        start = harness.end_offsets(settings, PARTICIPANTS)
        profiler = Profiler(worker.proc.pid, profile)
        cpu = worker.cpu_seconds()
        produce_s = await harness.produce(settings, w.timed, stamps, w.ids, rate=rate)
        await _drained(settings, worker, CLAIM_TOPICS, timeout)
        cpu = worker.cpu_seconds() - cpu
        profiler.stop()
        decided = await _scalar(settings.dsn, "SELECT count(*) FROM claims")
        batch_rows = harness.mean_batch_rows(settings, len(worker.workers))
        rss, others = worker.peak_rss_mib(), len(harness.other_groups(settings))
        worker.stop()  # the limit runs alone
        settled = await _settlement_times(settings.dsn)
        read, consume_s = await _consume_limit(settings, start)
    latencies = [at - stamps[c] for c, at in settled.items() if c in stamps]
    first = min(stamps.values())
    return {
        "claims": len(w.timed),
        "paced_per_s": rate or 0.0,
        "decided": decided,
        "settled": len(settled),
        "produce_s": produce_s,
        "seconds": max(settled.values(), default=first) - first,
        "p50_s": _percentile(latencies, 0.50),
        "p99_s": _percentile(latencies, 0.99),
        "raw_consume_s": consume_s,
        "raw_consume_n": read,
        "peak_rss_mib": rss,
        "worker_cpu_us_per_claim": 1e6 * cpu / len(w.timed),
        "workers": len(worker.workers),
        "other_groups_at_end": others,
        **batch_rows,
    }
