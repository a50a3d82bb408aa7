"""A worker killed with SIGKILL mid-stream and restarted settles every claim exactly once."""

from __future__ import annotations

import signal
from datetime import date
from typing import Any

import pytest

from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, SPONSORS, claim, enrolled, funded, jkk

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Small batches so that the stream is still flowing when the worker is killed.
WORKER_ENV = {"BATCH_SIZE": "20"}
N = 1500


def medical(i: int) -> int:
    return 1_000_000 + i


def publish(env: Env) -> None:
    env.send(
        SPONSORS,
        "pemprov-crash",
        "bpjs.enrollment.SponsoredCohortFunded",
        funded("pemprov-crash", date(2024, 1, 1), date(2026, 12, 31), ["JKK", "JKM"]),
    )
    env.wait_for_funding("pemprov-crash")  # funding precedes claims, as it does upstream
    people = []
    for i in range(N):
        kpj = f"32{i:09d}"
        person = enrolled(
            kpj,
            date(1990, 1, 1 + i % 28),
            100 + i,
            "BPU",
            ["JKK", "JKM"],
            2_000_000,
            date(2024, 1, 1),
            sponsor="pemprov-crash",
        )
        people.append(person)
        env.producer.send(
            env.topic(PARTICIPANTS),
            key=kpj.encode(),
            value=env.codec.encode("bpjs.enrollment.ParticipantEnrolled", person),
        )
    for i, person in enumerate(people):
        record = claim(
            f"CRASH-{i:05d}",
            person["kpj"],
            person["nik"],
            "JKK",
            date(2025, 5, 1),
            date(2025, 5, 5),
            jkk("RECOVERED", 2_000_000, date(2025, 5, 2), medical=medical(i)),
        )
        env.producer.send(
            env.topic(PARTICIPANTS),
            key=person["kpj"].encode(),
            value=env.codec.encode("bpjs.claim.ClaimSubmitted", record),
        )
    env.producer.flush()


def count(env: Env, sql: str) -> int:
    return int(env.query(sql)[0]["n"])


def progress(env: Env) -> dict[str, int]:
    """Where each stage stands, for a failure message."""
    return {
        "claims": count(env, "SELECT count(*) AS n FROM claims"),
        "settled": count(env, "SELECT count(*) AS n FROM settlements"),
        "paid": count(env, "SELECT count(*) AS n FROM settlements WHERE status = 'PAID'"),
        "unpublished": count(
            env, "SELECT count(*) AS n FROM payment_outbox WHERE published_at IS NULL"
        ),
        "results": count(env, "SELECT count(*) AS n FROM payment_results"),
        "dead_letters": count(env, "SELECT count(*) AS n FROM dead_letters"),
    }


def test_a_worker_killed_mid_stream_settles_every_claim_exactly_once(pipeline: Env) -> None:
    payments = pipeline.payment_service()
    payments.start()
    try:
        publish(pipeline)
        pipeline.wait_for(
            "some settlements",
            lambda: count(pipeline, "SELECT count(*) AS n FROM settlements") > N // 10,
            timeout=120,
        )
        settled_at_kill = count(pipeline, "SELECT count(*) AS n FROM settlements")
        pipeline.worker.kill(signal.SIGKILL)
        assert settled_at_kill < N, "the stream finished before the kill; raise N"
        pipeline.worker.start()
        try:
            pipeline.wait_for(
                "every claim settled and paid",
                lambda: (
                    count(pipeline, "SELECT count(*) AS n FROM settlements WHERE status = 'PAID'")
                    == N
                ),
                timeout=240,
            )
        except AssertionError as e:
            raise AssertionError(f"{progress(pipeline)}\n{e}") from None
    finally:
        payments.stop()
    rows: list[dict[str, Any]] = pipeline.query(
        "SELECT s.claim_id, s.amount, o.idempotency_key FROM settlements s"
        " JOIN payment_outbox o USING (claim_id) ORDER BY s.claim_id"
    )
    assert len(rows) == N
    assert [r["amount"] for r in rows] == [medical(i) for i in range(N)]
    assert len({r["idempotency_key"] for r in rows}) == N
    assert count(pipeline, "SELECT count(*) AS n FROM claims") == N
    assert count(pipeline, "SELECT count(*) AS n FROM payment_results") == N
    assert payments.paid == N  # the payment side paid each instruction once
