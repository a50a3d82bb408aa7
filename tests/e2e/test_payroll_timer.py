"""The payroll timer on the leader (#15), through real Kafka and PostgreSQL: a JP disability
pension decided last month is paid for this month (the clock's, Jakarta) by the worker itself,
once, however many times the timer fires; the instruction is published and paid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.rules.dates import add_months
from streams.agents.pensions import this_month
from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, claim, contributions, enrolled, jp, nik
from tests.e2e.test_employer_accounts import DUE_5M, PROGRAMS

# The timer on, and due again a second after each run: every tick (15 s) runs the month again.
WORKER_ENV = {"PAYROLL_TIMER": "true", "PAYROLL_INTERVAL_SECONDS": "1"}
KPJ, CLAIM = "25017000001", "P15-JP-TIMER"
MONTH = this_month(datetime.now(UTC))
DECIDED = add_months(MONTH, -1)


@pytest.fixture(scope="module")
def decided(pipeline: Env) -> Any:
    payments = pipeline.payment_service()
    payments.start()
    env, birth = pipeline, DECIDED.replace(year=1981)
    person = nik(birth, 7001)
    start = add_months(DECIDED, -17)
    record = enrolled(KPJ, birth, 7001, "PU", PROGRAMS, 5_000_000, start)
    env.send(PARTICIPANTS, KPJ, "bpjs.enrollment.ParticipantEnrolled", record)
    for posting in contributions(KPJ, person, 5_000_000, start, 17, DUE_5M):
        env.send(PARTICIPANTS, KPJ, "bpjs.contribution.ContributionPosted", posting)
    event = DECIDED.replace(day=3)
    submitted = claim(CLAIM, KPJ, person, "JP", event, event.replace(day=4), jp("DISABILITY"))
    env.send(PARTICIPANTS, KPJ, "bpjs.claim.ClaimSubmitted", submitted)
    yield env
    payments.stop()


def test_the_leader_pays_this_month_once_by_itself(decided: Env) -> None:
    env = decided

    def timer_runs() -> list[dict[str, Any]]:
        return env.query(
            "SELECT written, already FROM payroll_runs WHERE run_by = 'timer' AND month = $1"
            " ORDER BY id",
            MONTH,
        )

    env.wait_for(
        "the timer's payroll of this month, and a second run after it",
        lambda: sum(r["written"] for r in timer_runs()) == 1 and len(timer_runs()) >= 2,
        timeout=180,
    )
    assert [r["written"] for r in timer_runs()][-1] == 0  # the later runs wrote nothing
    rows = env.query("SELECT idempotency_key, period FROM payment_outbox WHERE purpose = 'pension'")
    assert rows == [{"idempotency_key": f"pension:{CLAIM}:{MONTH:%Y-%m}", "period": MONTH}]
    env.wait_for(
        "this month's pension paid",
        lambda: (
            env.query("SELECT status FROM payment_outbox WHERE purpose = 'pension'")
            == [{"status": "PAID"}]
        ),
    )
