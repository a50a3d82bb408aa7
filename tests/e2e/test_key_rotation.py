"""Rotating NIK_HASH_KEY on a real worker (the README's procedure): participants enrolled under
the first key (v1), the worker restarted with a new current key (v2) and v1 as a previous key;
the next event that carries a participant's NIK re-keys it in PostgreSQL, and its claims are
decided under v2. Nothing but pseudonyms is stored at any step."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from services.privacy import pseudonymise
from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, claim, contributions, enrolled, jkk, nik

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
POSTED = "bpjs.contribution.ContributionPosted"
CLAIM = "bpjs.claim.ClaimSubmitted"
PU_ALL = ["JHT", "JKK", "JKM", "JP"]
PU_RATES = {"JHT": 285_000, "JKK": 44_500, "JKM": 15_000, "JP": 150_000}
WAGE = 5_000_000
OLD_KEY = "e2e-test-key-0123456789"  # the pipeline fixture's NIK_HASH_KEY
NEW_KEY = "e2e-rotated-key-9876543210"
SEEN = "42000000001"  # has an event after the rotation: re-keyed
UNSEEN = "42000000002"  # has none: stays under v1 until it does
SEEN_NIK, UNSEEN_NIK = nik(date(1988, 3, 1), 1), nik(date(1988, 3, 1), 2)
# What the README gives as the rotation's progress: participants by the key of their pseudonym.
BY_KEY_ID = (
    "SELECT CASE WHEN position(':' IN participant_ref) > 0"
    " THEN split_part(participant_ref, ':', 1) ELSE 'v1' END AS key_id, count(*) AS n"
    " FROM participants GROUP BY 1"
)


def person(kpj: str, serial: int) -> dict[str, Any]:
    return enrolled(kpj, date(1988, 3, 1), serial, "PU", PU_ALL, WAGE, date(2020, 1, 1))


def refs(env: Env) -> dict[str, str]:
    return {
        r["kpj"]: r["participant_ref"]
        for r in env.query("SELECT kpj, participant_ref FROM participants")
    }


def by_key_id(env: Env) -> Counter[str]:
    return Counter({r["key_id"]: r["n"] for r in env.query(BY_KEY_ID)})


def test_rotating_the_key_re_keys_each_participant_on_its_next_event(pipeline: Env) -> None:
    env = pipeline
    for kpj, serial in ((SEEN, 1), (UNSEEN, 2)):
        env.send(PARTICIPANTS, kpj, ENROLLED, person(kpj, serial))
    months = contributions(SEEN, SEEN_NIK, WAGE, date(2024, 1, 1), 13, PU_RATES)
    for c in months[:12]:
        env.send(PARTICIPANTS, SEEN, POSTED, c)
    env.wait_for("both enrolled under v1", lambda: len(refs(env)) == 2)
    assert refs(env) == {
        SEEN: pseudonymise(SEEN_NIK, OLD_KEY),
        UNSEEN: pseudonymise(UNSEEN_NIK, OLD_KEY),
    }
    assert by_key_id(env) == Counter({"v1": 2})

    # Step 1 of the procedure: the new key current, the old one previous; restart the workers.
    env.worker.stop()
    env.worker.env.update(
        {
            "NIK_HASH_KEY": NEW_KEY,
            "NIK_HASH_KEY_ID": "v2",
            "NIK_HASH_PREVIOUS_KEYS": f"v1:{OLD_KEY}",
        }
    )
    env.worker.start()

    env.send(PARTICIPANTS, SEEN, POSTED, months[12])
    detail = jkk("RECOVERED", WAGE, date(2025, 6, 3), medical=2_000_000)
    submitted = claim("ROTATED-CLAIM", SEEN, SEEN_NIK, "JKK", date(2025, 6, 2), date(2025, 6, 20),
                      detail)  # fmt: skip
    env.send(PARTICIPANTS, SEEN, CLAIM, submitted)
    new_ref = "v2:" + pseudonymise(SEEN_NIK, NEW_KEY)
    env.wait_for("the claim decided", lambda: bool(env.query("SELECT 1 FROM claims")))
    assert refs(env) == {SEEN: new_ref, UNSEEN: pseudonymise(UNSEEN_NIK, OLD_KEY)}
    (decided,) = env.query("SELECT claim_id, participant_ref FROM claims")
    assert decided == {"claim_id": "ROTATED-CLAIM", "participant_ref": new_ref}
    assert by_key_id(env) == Counter({"v1": 1, "v2": 1})  # v1 is still needed: not retired yet

    # The participant still under v1 is recognised by the previous key, and re-keyed in turn.
    (first,) = contributions(UNSEEN, UNSEEN_NIK, WAGE, date(2024, 1, 1), 1, PU_RATES)
    env.send(PARTICIPANTS, UNSEEN, POSTED, first)
    env.wait_for("the second participant re-keyed", lambda: by_key_id(env) == Counter({"v2": 2}))
    assert env.query("SELECT count(*) AS n FROM dead_letters") == [{"n": 0}]

    dump = repr(env.query("SELECT * FROM participants")) + repr(env.query("SELECT * FROM claims"))
    assert SEEN_NIK not in dump and UNSEEN_NIK not in dump
