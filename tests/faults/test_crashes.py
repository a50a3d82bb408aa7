"""Workers that die, restart, join and leave mid-stream: nothing lost, nothing done twice."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from tests.faults.harness import (
    MARKS,
    SESSION_TIMEOUT_S,
    Run,
    assert_passed,
    random_moments,
    scenario_messages,
)

pytestmark = MARKS
CRASH_EXIT_CODE = 86  # streams/delivery/batches.py, CLAIMS_CRASH_AT


@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_crash_at_the_commit_of_a_participant_batch(
    run: Run, baseline: dict[str, Any], point: str
) -> None:
    """The worker dies just before its third participant-events transaction commits (nothing
    may be lost), or just after it and before anything is acknowledged (nothing may change
    twice): restarted, it ends where a run without the crash ends."""
    run.planned_down.add(0)  # the crash is ours: the supervisor leaves it down
    run.worker_env["CLAIMS_CRASH_AT"] = f"participant-events:{point}:3"
    worker = run.add_worker()
    del run.worker_env["CLAIMS_CRASH_AT"]
    del worker.env["CLAIMS_CRASH_AT"]  # the restart runs without it
    run.payments.start()
    run.publish(scenario_messages(), rate=150)
    deadline = time.monotonic() + 120
    while worker.proc is None or worker.proc.poll() is None:
        assert time.monotonic() < deadline, f"the worker did not crash {point}"
        time.sleep(0.1)
    assert worker.proc.returncode == CRASH_EXIT_CODE, worker.proc.returncode
    at_crash = run.positions("participant-events")
    started = run.restart_worker(0).started_at
    seen = run.wait_progress(at_crash, consumer="participant-events")
    run.recovered(f"restart after a crash {point}", seen, started)
    run.wait_quiescent()
    assert_passed(run, baseline)


def test_sigkill_x10(run: Run, baseline: dict[str, Any]) -> None:
    """SIGKILL the only worker at ten random moments, restarting it each time."""
    run.add_worker()
    run.payments.start()
    # Slow enough that the stream is still arriving at every kill (each restart must show
    # progress to be timed); the rest is published at once after the tenth.
    publisher = run.publish(scenario_messages(), rate=25)
    run.wait_published(0.05)
    for i, pause in enumerate(random_moments("sigkill", 10, 0.5, 4.0)):
        time.sleep(pause)
        assert not publisher.done.is_set(), f"the stream ended before kill {i + 1}: lower the rate"
        run.stop_worker(0, signal.SIGKILL)
        before = run.positions()
        started = run.restart_worker(0).started_at
        seen = run.wait_progress(before)
        run.recovered(f"restart {i + 1}", seen, started)
    publisher.hurry.set()
    run.wait_quiescent()
    assert_passed(run, baseline)


def test_two_workers_one_killed_then_restarted(run: Run, baseline: dict[str, Any]) -> None:
    """A rebalance under load: the survivor takes the dead worker's partitions, then gives
    them back when it returns."""
    run.add_worker()
    run.add_worker()
    run.payments.start()
    run.publish(scenario_messages(), rate=120)
    run.wait_published(0.25)
    victim = run.wait_owned(run.workers[1])
    before = run.positions()
    run.stop_worker(1, signal.SIGKILL)
    killed = time.monotonic()
    run.recovered("partitions moved", run.wait_progress(before, victim), killed)
    run.wait_published(0.6)
    before = run.positions()
    started = run.restart_worker(1).started_at
    run.recovered("restarted worker resumed", run.wait_progress(before), started)
    run.wait_owned(run.workers[1])
    run.wait_quiescent()
    assert_passed(run, baseline)


def test_scale_1_2_1(run: Run, baseline: dict[str, Any]) -> None:
    """A second worker joins under load and later leaves cleanly (SIGTERM)."""
    run.add_worker()
    run.payments.start()
    run.publish(scenario_messages(), rate=120)
    run.wait_published(0.25)
    second = run.add_worker(wait=False)
    run.recovered("joined worker consuming", run.wait_consuming(second), second.started_at)
    run.wait_published(0.6)
    taken = run.wait_owned(second)
    before = run.positions()
    run.stop_worker(1, signal.SIGTERM)
    left = time.monotonic()
    # A static member that stops cleanly does not leave the group (so that a restart is
    # free): its partitions wait out the session timeout, like a dead worker's. Reported only.
    run.recovered("partitions moved back", run.wait_progress(before, taken), left, bound=None)
    run.wait_quiescent()
    assert_passed(run, baseline)


def test_sigstop_past_the_session_timeout(run: Run, baseline: dict[str, Any]) -> None:
    """A worker frozen (SIGSTOP) past its session timeout loses its partitions; thawed, it is
    fenced: its stale work settles nothing twice."""
    run.add_worker()
    run.add_worker()
    run.payments.start()
    run.publish(scenario_messages(), rate=120)
    run.wait_published(0.25)
    victim = run.wait_owned(run.workers[1])
    before = run.positions()
    run.planned_down.add(1)
    run.workers[1].send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    run.recovered("partitions moved", run.wait_progress(before, victim), stopped)
    time.sleep(max(SESSION_TIMEOUT_S + 5 - (time.monotonic() - stopped), 0))
    run.workers[1].send_signal(signal.SIGCONT)
    run.planned_down.discard(1)
    run.wait_quiescent()
    assert_passed(run, baseline)
