"""End to end through the real Kafka broker and PostgreSQL: PostgreSQL owns participant state,
and the worker's cache never serves state from a transaction that did not commit.

A trigger makes PostgreSQL refuse one re-enrolment (as it would refuse a row breaking a
constraint). The batch's transaction rolls back, the event is dead-lettered with the database's
error, and the participant's next event is applied to the state as committed before it: had the
cache kept the refused state, the next write would carry the refused wage (and be refused too).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, contributions, enrolled

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
POSTED = "bpjs.contribution.ContributionPosted"
KPJ = "42000000001"
WAGE = 5_000_000
REFUSED_WAGE = 7_777_777
RATES = {"JHT": 285_000, "JKK": 44_500, "JKM": 15_000, "JP": 150_000}


def person(wage: int) -> dict[str, object]:
    return enrolled(KPJ, date(1990, 1, 1), 1, "PU", list(RATES), wage, date(2020, 1, 1))


def row(env: Env) -> dict[str, object]:
    (found,) = env.query("SELECT declared_wage, coverage FROM participants WHERE kpj = $1", KPJ)
    return found


def test_a_refused_transaction_leaves_no_trace_in_the_state_the_next_event_sees(
    pipeline: Env,
) -> None:
    env = pipeline
    first = person(WAGE)
    env.send(PARTICIPANTS, KPJ, ENROLLED, first)
    env.wait_for("the enrollment", lambda: bool(env.query(
        "SELECT 1 FROM participants WHERE kpj = $1", KPJ)))  # fmt: skip
    env.query(
        "CREATE FUNCTION refuse_wage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " RAISE EXCEPTION 'test: wage % refused', NEW.declared_wage; END $$"
    )
    env.query(
        "CREATE TRIGGER refuse_wage BEFORE INSERT OR UPDATE ON participants FOR EACH ROW"
        f" WHEN (NEW.declared_wage = {REFUSED_WAGE}) EXECUTE FUNCTION refuse_wage()"
    )
    # A re-enrolment (same person, new wage) the database refuses.
    env.send(PARTICIPANTS, KPJ, ENROLLED, {**person(REFUSED_WAGE), "nik": first["nik"]})
    env.wait_for("the refused re-enrolment's dead letter", lambda: bool(env.query(
        "SELECT 1 FROM dead_letters WHERE error_class = 'StoreError'")))  # fmt: skip
    (posting,) = contributions(KPJ, str(first["nik"]), WAGE, date(2020, 1, 1), 1, RATES)
    env.send(PARTICIPANTS, KPJ, POSTED, posting)

    def posted() -> bool:  # the month is in the ledger (enrolled_on is 2020-01-01 too)
        return f"2020-01:{WAGE}:" in json.dumps(row(env)["coverage"])

    env.wait_for("the posting", posted)
    state = row(env)
    assert state["declared_wage"] == WAGE  # the committed wage, never the refused one
    raw = state["coverage"]
    coverage: dict[str, object] = json.loads(raw) if isinstance(raw, str) else dict(raw)  # type: ignore[call-overload]
    assert coverage["wage"] == WAGE
    dead = env.query("SELECT error_class, error_message FROM dead_letters ORDER BY id")
    assert [d["error_class"] for d in dead] == ["StoreError"], dead
    assert f"wage {REFUSED_WAGE} refused" in str(dead[0]["error_message"])
    # Positions committed with the effects: the three events, each recorded once.
    positions = env.query(
        'SELECT topic, partition, "offset" FROM processed_offsets'
        " WHERE consumer = 'participant-events'"
    )
    assert [p["offset"] for p in positions] == [2], positions
