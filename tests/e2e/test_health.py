"""/livez and /readyz on a real worker; /readyz flips when the real PostgreSQL stops and starts.

PostgreSQL is stopped and started with the project's own script (`deploy/local/stack down
postgres` / `up postgres`), so this runs only when the session's database is the local stack's.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import STACK, parse_env
from tests.e2e.conftest import REPO, Env

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]


def get(env: Env, path: str) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{env.worker.env['WEB_PORT']}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_status(env: Env, path: str, status: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: tuple[int, dict[str, Any]] = (0, {})
    while time.monotonic() < deadline:
        last = get(env, path)
        if last[0] == status:
            return last[1]
        time.sleep(0.5)
    raise AssertionError(
        f"{path} still {last} after {timeout}s, wanted {status}\n{env.worker.tail()}"
    )


def run_stack(*args: str) -> subprocess.CompletedProcess[str]:
    """The project's stack script for the local services (the caller's DATABASE_URL unset)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


@pytest.fixture(scope="module")
def local_postgres(stack: Any) -> Iterator[None]:
    local = parse_env(run_stack("env").stdout).get("DATABASE_URL")
    if local != stack.database_url:
        pytest.skip("the session's PostgreSQL is not the local stack's: it is not ours to stop")
    yield
    up = run_stack("up", "postgres")  # whatever happened, leave it running
    assert up.returncode == 0, up.stderr


def test_livez_answers_while_the_event_loop_runs(pipeline: Env) -> None:
    assert get(pipeline, "/livez") == (200, {"alive": True})


def test_readyz_reports_partitions_postgres_and_the_producer(pipeline: Env) -> None:
    body = wait_status(pipeline, "/readyz", 200)
    assert body["ready"] is True
    assert body["checks"]["postgres"] is True
    assert body["checks"]["producer"] is True
    assert body["checks"]["partitions_assigned"] > 0


def test_the_worker_works_as_the_restricted_worker_role(pipeline: Env, stack: Any) -> None:
    # Its pool's connections, seen from PostgreSQL: the worker role's, not the owner's (the
    # fixture migrated as the owner; the worker, given WORKER_DATABASE_URL, never does).
    if "WORKER_DATABASE_URL" not in pipeline.worker.env:
        pytest.skip("no restricted worker role in this session")
    wait_status(pipeline, "/readyz", 200)
    user = urlsplit(pipeline.worker.env["WORKER_DATABASE_URL"]).username
    sessions = pipeline.query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND datname = $2",
        user,
        urlsplit(pipeline.settings.dsn).path.lstrip("/"),
    )
    if stack.local:
        assert user == "claims_worker"
    assert sessions[0]["n"] >= 1


def samples(env: Env) -> dict[str, float]:
    """`name{labels}` -> value of the worker's own claims_* series."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(env.worker.metrics()):
        for sample in family.samples:
            if sample.name.startswith("claims_"):
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def wait_samples(env: Env, what: str, check: Callable[[dict[str, float]], bool]) -> None:
    deadline = time.monotonic() + 45  # the samplers tick every 5 s (dependencies), 10 s (db)
    while time.monotonic() < deadline:
        if check(samples(env)):
            return
        time.sleep(1)
    raise AssertionError(f"{what}: {samples(env)}")


def test_readyz_flips_when_postgres_stops_and_back_when_it_starts(
    pipeline: Env, local_postgres: None
) -> None:
    """And the metrics say so: claims_dependency_up{postgres} 0, the figures read from PostgreSQL
    withdrawn (deadlines) or NaN (outbox backlog) instead of a stale 0, Kafka still up."""
    wait_status(pipeline, "/readyz", 200)
    pg_up = 'claims_dependency_up{dependency="postgres"}'
    kafka_up = 'claims_dependency_up{dependency="kafka"}'
    wait_samples(
        pipeline, "PostgreSQL reported up", lambda m: m.get(pg_up) == 1 and m.get(kafka_up) == 1
    )
    wait_samples(
        pipeline,
        "deadline figures sampled",
        lambda m: any(k.startswith("claims_deadline_pending{") for k in m),
    )
    down = run_stack("down", "postgres")
    assert down.returncode == 0, down.stderr
    assert "postgres: stopped" in down.stderr
    try:
        body = wait_status(pipeline, "/readyz", 503, timeout=30)
        assert body["ready"] is False
        assert body["checks"]["postgres"] is False
        assert body["checks"]["producer"] is True  # only what failed is reported as failed
        assert get(pipeline, "/livez")[0] == 200  # alive, not ready: no restart wanted
        wait_samples(
            pipeline,
            "PostgreSQL reported down and its figures withdrawn",
            lambda m: (
                m.get(pg_up) == 0
                and m.get(kafka_up) == 1
                and math.isnan(m.get("claims_outbox_backlog{}", 0.0))
                and not any(k.startswith("claims_deadline_pending{") for k in m)
            ),
        )
    finally:
        up = run_stack("up", "postgres")
    assert up.returncode == 0, up.stderr
    body = wait_status(pipeline, "/readyz", 200, timeout=60)
    assert body["checks"]["postgres"] is True
    wait_samples(
        pipeline,
        "PostgreSQL back and its figures read again",
        lambda m: m.get(pg_up) == 1 and not math.isnan(m.get("claims_outbox_backlog{}", math.nan)),
    )
    # The outbox relay failed five times a second during the outage: the log holds one line for
    # it per 30 s with a count (streams/ops/outage_log.py), and one when it works again.
    log = pipeline.worker.log.read_text(errors="replace")
    relay_failures = [line for line in log.splitlines() if "outbox relay: " in line]
    assert 1 <= len(relay_failures) <= 3, relay_failures
    assert "outbox relay: working again after" in log
