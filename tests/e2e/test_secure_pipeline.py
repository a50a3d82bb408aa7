"""The whole scenario over SASL_SSL: every component as its own SCRAM user, under the ACLs.

Runs with the secured stack (make test-secure); skipped on PLAINTEXT. The worker logs in as
claims-worker, the events come from upstream, the reference payment service runs as payments;
each may do only what streams/kafka/acls.py grants it, so a missing grant shows up here as a
claim that is never decided, settled or paid.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, SECURE, Env, kafka_users
from tests.e2e.test_claims_pipeline import DEAD, EXPECTED, publish_scenario, settled

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not SECURE:
    pytest.skip("needs the secured local stack (make test-secure)", allow_module_level=True)


@pytest.fixture(scope="module")
def paid(pipeline: Env) -> Iterator[Any]:
    service = pipeline.payment_service()
    service.start()
    try:
        publish_scenario(pipeline)
        pipeline.wait_for("every claim decided, settled and paid", lambda: settled(pipeline))
        yield service
    finally:
        service.stop()


def test_every_claim_is_decided_settled_and_paid_over_sasl_ssl(pipeline: Env, paid: Any) -> None:
    got = {r["claim_id"]: r["outcome"] for r in pipeline.query("SELECT * FROM claims")}
    assert got == {c: outcome for c, (outcome, _, _) in EXPECTED.items()}
    approved = sum(1 for o, _, _ in EXPECTED.values() if o == "APPROVED")
    assert paid.paid == approved
    dead = pipeline.query("SELECT count(*) AS n FROM dead_letters")[0]["n"]
    assert dead == sum(DEAD.values())  # the worker may write (and read) the dead-letter topic


def test_no_sasl_password_is_in_the_worker_or_broker_logs(pipeline: Env, paid: Any) -> None:
    state = Path(os.environ.get("LOCAL_STATE_DIR") or REPO / ".local")
    logs = {"worker": pipeline.worker.log.read_text(errors="replace")}
    for name in ("kafka.log", "kafka.out", "kafka-format.out", "keytool.log"):
        if (state / name).exists():
            logs[name] = (state / name).read_text(errors="replace")
    assert logs["worker"]  # the worker did log
    for user, password in kafka_users().items():
        for name, text in logs.items():
            assert password not in text, f"the password of {user} is in {name}"
