"""The fault tier: the fault-free baseline every scenario is compared with, and the summary."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack
from tests.faults.harness import OUTCOMES, Outcome, Run, check, record, scenario_messages, snapshot
from tests.workers import REPO

SUMMARY = REPO / ".local" / "faults"


@pytest.fixture(scope="session")
def local_stack(stack: Stack) -> Stack:
    if not stack.local:
        pytest.skip("the fault tier crashes the broker and the database: it needs the local stack")
    return stack


@pytest.fixture
def run(local_stack: Stack, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Run]:
    """A fresh isolated pipeline (topics, group, schema) named after the test.

    FAULT_WORKER_ENV (JSON) adds worker settings, to rehearse other ones: e.g.
    '{"SESSION_TIMEOUT_SECONDS": "60", "WORKER_INSTANCE_ID": ""}' is how workers ran before
    static membership and the shorter session timeout (the recovery limits then fail)."""
    env = json.loads(os.environ.get("FAULT_WORKER_ENV") or "{}")
    r = Run(request.node.name.removeprefix("test_"), local_stack, tmp_path, worker_env=env)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture(scope="session")
def baseline(local_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same input through one worker with no fault: what every scenario must end equal to."""
    r = Run("fault-free baseline", local_stack, tmp_path_factory.mktemp("baseline"))
    try:
        r.add_worker()
        r.payments.start()
        r.publish(scenario_messages(), rate=5000)
        r.wait_quiescent()
        outcome = record(check(r, None))
        if not outcome.passed:
            pytest.fail("the fault-free baseline itself fails: " + "; ".join(outcome.failures))
        return snapshot(r)
    finally:
        r.close()


def render(outcomes: list[Outcome]) -> str:
    head = ("scenario", "events", "claims", "decisions", "settlements", "duplicates", "lost",
            "dead letters", "recovery s", "unplanned restarts", "pass")  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for o in outcomes:
        cells = (o.scenario, o.events, o.claims, o.decisions, o.settlements, o.duplicates,
                 o.lost, o.dead_letters, o.recovery_text(), o.restarts,
                 "yes" if o.passed else "NO")  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    table = render(OUTCOMES)
    terminalreporter.write_sep("=", "fault-injection tier")
    terminalreporter.write_line(table)
    for o in OUTCOMES:
        for f in o.failures:
            terminalreporter.write_line(f"{o.scenario}: {f}")
    SUMMARY.mkdir(parents=True, exist_ok=True)
    (SUMMARY / "summary.md").write_text(table + "\n")
    (SUMMARY / "summary.json").write_text(json.dumps(
        [{**o.__dict__, "recovery": [r.__dict__ for r in o.recovery], "passed": o.passed}
         for o in OUTCOMES], indent=2, default=str))  # fmt: skip
