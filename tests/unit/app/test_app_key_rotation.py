"""A rotatable NIK key: pseudonyms carry their key id, the worker makes new ones with the current
key, recognises old ones with the previous keys, and re-keys a participant on sight of an event
that proves its NIK; nothing but a pseudonym is ever stored (services/privacy.py Keyring)."""

from __future__ import annotations

import re

import pytest
from app_events import (
    ENROLLED,
    KEY,
    KPJ,
    NIK,
    NOW,
    OTHER_NIK,
    POSTED,
    Sponsors,
    at,
    claim,
    fixture,
    posting,
)

from services.app import participant_state as ps
from services.app.adjudication import IdentityConflict, IdentityMismatch, ParticipantEvents
from services.config import ConfigError, load_settings
from services.config_secrets import nik_keyring
from services.privacy import Keyring, NikKey, key_id_of, pseudonymise
from services.rules import RuleSet
from streams.kafka.codec import AvroCodec

NEW_KEY = "a-new-nik-hash-key-0123456789"
V1 = NikKey("v1", KEY)
V2 = NikKey("v2", NEW_KEY)
ROTATED = Keyring(V2, (V1,))
RETIRED = Keyring(V2)  # v1 dropped from NIK_HASH_PREVIOUS_KEYS
MONTHS = ("2025-01", "2025-02")


def recovered_jkk() -> dict[str, object]:
    """The fixture's commuting accident, healed without disability: approvable."""
    detail = {**claim()["detail"], "outcome": "RECOVERED", "disabilities": [], "wage": 1000000}
    return claim("KLM-JKK-2025-000123", detail=detail)


def test_the_first_key_s_pseudonyms_are_unchanged_and_later_ones_carry_their_key_id() -> None:
    assert Keyring.single(KEY).pseudonym(NIK) == pseudonymise(NIK, KEY)  # stored refs stay
    assert re.fullmatch(r"v2:[0-9a-f]{32}", ROTATED.pseudonym(NIK))
    assert ROTATED.pseudonym(NIK) == "v2:" + pseudonymise(NIK, NEW_KEY)
    assert (key_id_of(pseudonymise(NIK, KEY)), key_id_of(ROTATED.pseudonym(NIK))) == ("v1", "v2")
    assert ROTATED.candidates(NIK) == (ROTATED.pseudonym(NIK), pseudonymise(NIK, KEY))


def test_a_pseudonym_is_checked_under_the_key_its_id_names_only() -> None:
    old, new = pseudonymise(NIK, KEY), ROTATED.pseudonym(NIK)
    assert ROTATED.matches(NIK, old) and ROTATED.matches(NIK, new)
    assert not ROTATED.matches(OTHER_NIK, old) and not ROTATED.matches(OTHER_NIK, new)
    assert not RETIRED.matches(NIK, old)  # a retired key recognises nothing
    assert not ROTATED.matches(NIK, "v9:" + pseudonymise(NIK, NEW_KEY))  # unknown key id
    assert not ROTATED.matches(NIK, "v2:" + pseudonymise(NIK, KEY))  # id and key disagree


def test_keys_never_show_and_ids_are_unique() -> None:
    assert KEY not in repr(ROTATED) and NEW_KEY not in repr(ROTATED)
    with pytest.raises(ValueError, match="unique"):
        Keyring(V2, (NikKey("v2", KEY),))


# -- configuration ---------------------------------------------------------------------------


def test_the_keyring_is_read_from_the_three_variables() -> None:
    settings = load_settings(
        {"NIK_HASH_KEY": NEW_KEY, "NIK_HASH_KEY_ID": "v2", "NIK_HASH_PREVIOUS_KEYS": f"v1:{KEY}"}
    )
    assert nik_keyring(settings) == ROTATED
    assert nik_keyring(load_settings({"NIK_HASH_KEY": KEY})) == Keyring.single(KEY)
    assert KEY not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NIK_HASH_KEY_ID": "v 2"}, r"^NIK_HASH_KEY_ID='v 2': must be 1-16 letters or digits"),
        ({"NIK_HASH_PREVIOUS_KEYS": KEY}, r"^NIK_HASH_PREVIOUS_KEYS entry #1: expected <key id>:"),
        ({"NIK_HASH_PREVIOUS_KEYS": "v0:short"}, r"^NIK_HASH_PREVIOUS_KEYS entry #1: expected"),
        ({"NIK_HASH_PREVIOUS_KEYS": f"v0:{KEY}x,v0:{KEY}y"}, r"entry #2: key id 'v0' is already"),
        ({"NIK_HASH_PREVIOUS_KEYS": f"v1:{KEY}x"}, r"'v1' is already used by NIK_HASH_KEY_ID"),
        ({"NIK_HASH_PREVIOUS_KEYS": f"v0:{NEW_KEY}"}, r"entry #1: is NIK_HASH_KEY itself"),
    ],
)  # fmt: skip
def test_a_malformed_keyring_is_refused_by_name_without_a_key(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_settings({"NIK_HASH_KEY": NEW_KEY, **env})
    assert KEY not in str(error.value) and NEW_KEY not in str(error.value)


# -- re-keying on sight ------------------------------------------------------------------------


def enrolled_under_v1(rules: RuleSet, sponsors: Sponsors) -> ps.State:
    before = ParticipantEvents(rules, KEY)  # the worker before the rotation
    state = before.apply(ENROLLED, fixture(ENROLLED), None, sponsors, at(0), NOW).state
    assert state is not None and state["ref"] == pseudonymise(NIK, KEY)
    return state


def test_an_event_proving_the_nik_re_keys_the_participant(
    rules: RuleSet, sponsors: Sponsors
) -> None:
    state = enrolled_under_v1(rules, sponsors)
    after = ParticipantEvents(rules, ROTATED)
    event = posting(MONTHS[0], "posting-1", {"JKK": 10000, "JKM": 6800})
    applied = after.apply(POSTED, event, state, sponsors, at(1), NOW)
    assert applied.state is not None and applied.row is not None
    assert applied.state["ref"] == applied.row.participant_ref == ROTATED.pseudonym(NIK)
    assert NIK not in applied.row.coverage_json and NIK not in repr(applied.state)
    assert state["ref"] == pseudonymise(NIK, KEY)  # the cached state is not changed in place
    # Re-keyed, the participant is at home under the current key alone: v1 can be retired.
    later = ParticipantEvents(rules, RETIRED)
    event = posting(MONTHS[1], "posting-2", {"JKK": 10000, "JKM": 6800})
    assert later.apply(POSTED, event, applied.state, sponsors, at(2), NOW).state is not None


def test_a_claim_of_a_participant_stored_under_the_old_key_is_decided_under_the_new_one(
    rules: RuleSet, sponsors: Sponsors, covered: ps.State
) -> None:
    applied = ParticipantEvents(rules, ROTATED).apply(
        "bpjs.claim.ClaimSubmitted", recovered_jkk(), covered, sponsors, at(6), NOW
    )
    (decision,) = applied.decisions
    assert decision["participant_ref"] == ROTATED.pseudonym(NIK)
    assert applied.row is not None and applied.row.participant_ref == ROTATED.pseudonym(NIK)


def test_another_nik_is_still_refused_under_a_previous_key(
    rules: RuleSet, sponsors: Sponsors
) -> None:
    state = enrolled_under_v1(rules, sponsors)
    after = ParticipantEvents(rules, ROTATED)
    with pytest.raises(IdentityMismatch):
        after.apply(POSTED, {**posting("2025-01", "p", {"JKK": 1}), "nik": OTHER_NIK}, state,
                    sponsors, at(1), NOW)  # fmt: skip
    with pytest.raises(IdentityConflict):
        after.apply(ENROLLED, {**fixture(ENROLLED), "nik": OTHER_NIK}, state, sponsors, at(1), NOW)


def test_a_key_retired_too_early_refuses_the_participants_it_still_holds(
    rules: RuleSet, sponsors: Sponsors
) -> None:
    """Why the previous key stays until nothing is left under it (the README's procedure)."""
    state = enrolled_under_v1(rules, sponsors)
    with pytest.raises(IdentityMismatch, match=KPJ):
        ParticipantEvents(rules, RETIRED).apply(
            POSTED, posting("2025-01", "p", {"JKK": 1}), state, sponsors, at(1), NOW
        )


def test_a_replayed_event_re_keys_nothing_it_would_not_write(
    rules: RuleSet, sponsors: Sponsors
) -> None:
    state = enrolled_under_v1(rules, sponsors)
    replayed = ParticipantEvents(rules, ROTATED).apply(
        ENROLLED, fixture(ENROLLED), state, sponsors, at(0), NOW
    )
    assert replayed.replayed and replayed.state is None  # the next new event re-keys it


# -- claims import: screening against participants stored under a previous key -----------------


def test_the_import_screens_against_what_a_previous_key_stored(avro: AvroCodec) -> None:
    """A NIK enrolled under v1 is a duplicate for an import run under v2; a KPJ enrolled under
    v1 by this batch is done, not someone else's (claims/imports/command.py `_as_current`)."""
    from datetime import UTC, datetime

    from claims.imports.command import _as_current
    from claims.imports.publish import Preparer
    from services.app import import_batch
    from tests.unit.app.test_app_bulk_import import enrollment

    done = enrollment("16000000002", "3171014501900002", 3)
    nik_taken = enrollment("16000000004", "3171014501900004", 5)
    prepare = Preparer(avro, ROTATED, "batch-1", "sponsor", datetime.now(UTC), 8)
    prepared = prepare([done, nik_taken])
    assert [p.ref for p in prepared] == [ROTATED.pseudonym(r.nik) for r in (done, nik_taken)]
    assert [p.older for p in prepared] == [(pseudonymise(r.nik, KEY),) for r in (done, nik_taken)]
    assert Preparer(avro, KEY, "b", "s", datetime.now(UTC), 8)([done])[0].older == ()

    v1_done, v1_taken = (pseudonymise(r.nik, KEY) for r in (done, nik_taken))
    by_kpj = {"16000000002": import_batch.Known("16000000002", v1_done, "batch-1")}
    by_ref = {v1_taken: import_batch.Known("16999999999", v1_taken, None),
              v1_done: by_kpj["16000000002"]}  # fmt: skip
    by_kpj, by_ref = _as_current(prepared, by_kpj, by_ref)
    refs = [p.ref for p in prepared]
    screened = import_batch.screen([done, nik_taken], refs, by_kpj, by_ref, "batch-1")
    assert screened.already_in_batch == (done,)
    assert [(r.row, r.problems[0].reason) for r in screened.rejected] == [
        (5, "this NIK is already enrolled under another KPJ")
    ]


def test_an_enrolment_sent_again_re_keys_a_participant_with_no_new_event(
    rules: RuleSet, sponsors: Sponsors
) -> None:
    """The procedure's way for dormant participants: upstream re-sends their enrolment (a new
    offset, the same event): applied as a replay, changing nothing but the pseudonym."""
    state = enrolled_under_v1(rules, sponsors)
    again = ParticipantEvents(rules, ROTATED).apply(
        ENROLLED, fixture(ENROLLED), state, sponsors, at(7), NOW
    )
    assert again.replayed and again.state is not None and again.row is not None
    assert again.row.participant_ref == again.state["ref"] == ROTATED.pseudonym(NIK)
    assert again.row.position == at(7)
    unchanged = {k: v for k, v in again.state.items() if k not in ("ref", "pos")}
    assert unchanged == {k: v for k, v in state.items() if k not in ("ref", "pos")}
    # Without a rotation, the same re-sent enrolment still writes nothing.
    plain = ParticipantEvents(rules, KEY).apply(
        ENROLLED, fixture(ENROLLED), state, sponsors, at(7), NOW
    )
    assert plain.replayed and plain.state is None
