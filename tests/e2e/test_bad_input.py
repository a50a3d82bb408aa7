"""End to end through the real Kafka broker and PostgreSQL: identifiers that only look valid, an
enrollment that would take over a known KPJ, and messages not keyed by their KPJ each land in
the dead letters with their own error, and the events after them are still applied."""

from __future__ import annotations

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
FORMAT = "must be exactly 16 ASCII digits (0-9)"
KEY_RULE = "participant events must be keyed by their KPJ: ordering depends on it"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

OWNER = "41000000001"  # enrolled with contributions; someone else tries to enrol under it
NEWLINE = "41000000002"  # first sent with "NIK\n", then with the NIK itself
WIDE = "41000000003"  # sent with a full-width NIK only
NULL_KEY = "41000000004"  # a valid enrollment with a null key
WRONG_KEY = "41000000005"  # a valid enrollment keyed by another KPJ
NIK_KEY = "41000000006"  # a valid enrollment keyed by its NIK
AFTER = "41000000007"  # a valid enrollment after every bad one

OWNER_NIK = nik(date(1985, 4, 12), 1)
INTRUDER_NIK = nik(date(1985, 4, 12), 2)  # same birth date: passes every check of its own

# (error class, error message) of every dead letter this module expects, in publishing order.
EXPECTED_DEAD = [
    ("InvalidEvent", f"{ENROLLED}: nik=<17 characters>: {FORMAT}"),
    ("InvalidEvent", f"{ENROLLED}: nik=<16 characters>: {FORMAT}"),
    (
        "IdentityConflict",
        f"kpj={OWNER}: enrollment with a different NIK than the participant already enrolled"
        " under this KPJ: a KPJ belongs to one person, refused (re-enrolment keeps the same NIK)",
    ),
    ("IdentityMismatch", f"kpj={OWNER}: nik does not match the enrolled participant"),
    ("KeyMismatch", f"{ENROLLED}: key=<null>: {KEY_RULE} (this record's kpj is {NULL_KEY})"),
    ("KeyMismatch", f"{ENROLLED}: key=41000000099: {KEY_RULE} (this record's kpj is {WRONG_KEY})"),
    ("KeyMismatch", f"{ENROLLED}: key=<16 digits>: {KEY_RULE} (this record's kpj is {NIK_KEY})"),
]


def person(kpj: str, serial: int) -> dict[str, Any]:
    return enrolled(kpj, date(1990, 1, 1), serial, "PU", PU_ALL, WAGE, date(2020, 1, 1))


def send_keyed(env: Env, key: bytes | None, schema: str, record: dict[str, Any]) -> None:
    """Like env.send, but with any key (or none): what a careless producer would publish."""
    env.producer.send(env.topic(PARTICIPANTS), key=key, value=env.codec.encode(schema, record))
    env.producer.flush()


def recovered(claim_id: str, person_nik: str) -> dict[str, Any]:
    detail = jkk("RECOVERED", WAGE, date(2025, 6, 3), medical=2_000_000)
    return claim(claim_id, OWNER, person_nik, "JKK", date(2025, 6, 2), date(2025, 6, 20), detail)


def publish(env: Env) -> None:
    owner = enrolled(OWNER, date(1985, 4, 12), 1, "PU", PU_ALL, WAGE, date(2015, 7, 1))
    env.send(PARTICIPANTS, OWNER, ENROLLED, owner)
    for c in contributions(OWNER, OWNER_NIK, WAGE, date(2024, 6, 1), 12, PU_RATES):
        env.send(PARTICIPANTS, OWNER, POSTED, c)
    # A NIK with a trailing newline: refused (it would enrol a second pseudonym), then the same
    # person with the NIK as it should be is enrolled.
    newline = person(NEWLINE, 2)
    env.send(PARTICIPANTS, NEWLINE, ENROLLED, {**newline, "nik": newline["nik"] + "\n"})
    env.send(PARTICIPANTS, NEWLINE, ENROLLED, newline)
    wide = person(WIDE, 3)
    env.send(PARTICIPANTS, WIDE, ENROLLED, {**wide, "nik": wide["nik"].translate(FULL_WIDTH)})
    # Another (valid) person enrolling under the owner's KPJ, then claiming on it.
    intruder = {**owner, "event_id": "takeover-1", "nik": INTRUDER_NIK, "name": "Orang Lain"}
    env.send(PARTICIPANTS, OWNER, ENROLLED, intruder)
    env.send(PARTICIPANTS, OWNER, CLAIM, recovered("BAD-TAKEOVER-CLAIM", INTRUDER_NIK))
    send_keyed(env, None, ENROLLED, person(NULL_KEY, 4))
    send_keyed(env, b"41000000099", ENROLLED, person(WRONG_KEY, 5))
    by_nik = person(NIK_KEY, 6)
    send_keyed(env, by_nik["nik"].encode(), ENROLLED, by_nik)
    env.send(PARTICIPANTS, AFTER, ENROLLED, person(AFTER, 7))
    # The owner's own claim, after the takeover attempt: judged for the owner.
    env.send(PARTICIPANTS, OWNER, CLAIM, recovered("OWNER-CLAIM", OWNER_NIK))


@pytest.fixture(scope="module")
def published(pipeline: Env) -> dict[str, Any]:
    publish(pipeline)

    def done() -> bool:
        dead = pipeline.query("SELECT count(*) AS n FROM dead_letters")[0]["n"]
        claims = pipeline.query("SELECT count(*) AS n FROM claims")[0]["n"]
        known = pipeline.query("SELECT count(*) AS n FROM participants")[0]["n"]
        return bool(dead == len(EXPECTED_DEAD) and claims == 1 and known == 3)

    pipeline.wait_for("every dead letter, the owner's claim and 3 participants", done)
    return {
        "dead": pipeline.query(
            "SELECT error_class, error_message, consumer, topic FROM dead_letters ORDER BY id"
        ),
        "participants": {
            r["kpj"]: r["participant_ref"]
            for r in pipeline.query("SELECT kpj, participant_ref FROM participants")
        },
        "claims": pipeline.query("SELECT claim_id, kpj, participant_ref, outcome FROM claims"),
    }


def ref(env: Env, person_nik: str) -> str:
    return pseudonymise(person_nik, env.settings.nik_hash_key.value)


def test_each_bad_event_is_dead_lettered_with_its_precise_error(
    published: dict[str, Any],
) -> None:
    found = sorted((r["error_class"], r["error_message"]) for r in published["dead"])
    assert found == sorted(EXPECTED_DEAD)
    assert {r["consumer"] for r in published["dead"]} == {"participant-events"}


def test_the_events_after_the_bad_ones_are_applied(
    pipeline: Env, published: dict[str, Any]
) -> None:
    assert published["participants"] == {
        OWNER: ref(pipeline, OWNER_NIK),
        NEWLINE: ref(pipeline, person(NEWLINE, 2)["nik"]),  # once, under its true NIK
        AFTER: ref(pipeline, person(AFTER, 7)["nik"]),
    }


def test_a_takeover_leaves_the_known_kpj_and_its_claims_with_the_original_person(
    pipeline: Env, published: dict[str, Any]
) -> None:
    (owner_claim,) = published["claims"]
    assert owner_claim == {
        "claim_id": "OWNER-CLAIM",
        "kpj": OWNER,
        "participant_ref": ref(pipeline, OWNER_NIK),
        "outcome": "APPROVED",
    }
    assert published["participants"][OWNER] != ref(pipeline, INTRUDER_NIK)


def test_key_mismatches_are_counted_by_their_error_class(
    pipeline: Env, published: dict[str, Any]
) -> None:
    metrics = pipeline.worker.metrics()
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("claims_dead_letters_total{")
        and 'error_class="KeyMismatch"' in line
        and PARTICIPANTS in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 3


def test_no_clear_nik_reaches_the_dead_letter_messages(published: dict[str, Any]) -> None:
    text = repr(published["dead"])
    for clear in (OWNER_NIK, INTRUDER_NIK, person(NIK_KEY, 6)["nik"], person(WIDE, 3)["nik"]):
        assert clear not in text
        assert clear.translate(FULL_WIDTH) not in text
