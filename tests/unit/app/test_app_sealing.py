"""Sealed dead letters: only a private key opens them, bound to where the message was read."""

from __future__ import annotations

import base64
import hashlib

import pytest

from services.app.records import Position
from services.sealing import (
    DEMO_PRIVATE_KEY,
    DEMO_PUBLIC_KEY,
    Opener,
    Sealer,
    SealError,
    TamperedEnvelope,
    UnknownKey,
    decode_key,
    digest_key,
    key_id,
    keygen,
    value_digest,
)

HASH_KEY = "a-local-test-key-0123456789"
HERE = Position("bpjs.participant-events.v1", 3, 184467)
VALUE = b"\xc3\x01" + bytes(8) + b"\x203171014501900001 and more"


def sealer(public: str = DEMO_PUBLIC_KEY, hash_key: str = HASH_KEY) -> Sealer:
    return Sealer.from_config(public, hash_key)


def opener(*private: str) -> Opener:
    return Opener.from_config(private or (DEMO_PRIVATE_KEY,))


@pytest.mark.parametrize("key", [b"24012345678", b"", None])
def test_what_is_sealed_opens_to_the_same_key_and_value(key: bytes | None) -> None:
    sealed = sealer().seal(key, VALUE, HERE)
    assert opener().open(sealed.envelope, HERE) == (key, VALUE)
    assert sealed.value_size == len(VALUE)


def test_the_envelope_holds_no_clear_byte_of_the_value_and_differs_every_time() -> None:
    first, second = (sealer().seal(b"k", VALUE, HERE).envelope for _ in range(2))
    assert b"3171014501900001" not in first and b"01900001" not in first
    assert first != second  # a fresh ephemeral key and nonce per seal


def test_the_envelope_starts_with_the_version_and_the_key_id() -> None:
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    assert envelope[0] == 1
    assert envelope[1:9].hex() == sealer().key_id


def test_the_key_id_is_the_first_eight_bytes_of_the_public_keys_sha256() -> None:
    raw = base64.b64decode(DEMO_PUBLIC_KEY)
    assert key_id(raw) == hashlib.sha256(raw).hexdigest()[:16]
    assert sealer().key_id == key_id(raw)


def test_another_private_key_is_refused_with_both_key_ids() -> None:
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    _, other_private = keygen()
    with pytest.raises(UnknownKey) as error:
        opener(other_private).open(envelope, HERE)
    assert sealer().key_id in str(error.value)
    assert opener(other_private).key_ids[0] in str(error.value)


def test_several_private_keys_open_what_any_of_their_public_keys_sealed() -> None:
    new_public, new_private = keygen()
    both = opener(new_private, DEMO_PRIVATE_KEY)
    old = sealer().seal(b"old", b"before the rotation", HERE).envelope
    new = sealer(new_public).seal(b"new", b"after the rotation", HERE).envelope
    assert both.open(old, HERE) == (b"old", b"before the rotation")
    assert both.open(new, HERE) == (b"new", b"after the rotation")


@pytest.mark.parametrize(
    "elsewhere",
    [
        Position("bpjs.sponsor-events.v1", 3, 184467),
        Position(HERE.topic, 4, 184467),
        Position(HERE.topic, 3, 184468),
    ],
)
def test_an_envelope_does_not_open_for_another_topic_partition_or_offset(
    elsewhere: Position,
) -> None:
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    with pytest.raises(TamperedEnvelope):
        opener().open(envelope, elsewhere)


def test_changing_any_byte_after_the_version_is_refused() -> None:
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    for i in range(1, len(envelope)):
        altered = envelope[:i] + bytes([envelope[i] ^ 0x01]) + envelope[i + 1 :]
        with pytest.raises(SealError):  # a changed key id is unknown; anything else tampered
            opener().open(altered, HERE)


def test_an_unknown_version_or_a_cut_envelope_is_refused() -> None:
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    with pytest.raises(SealError, match="version 2"):
        opener().open(b"\x02" + envelope[1:], HERE)
    for n in (0, 20, len(envelope) - 1):
        with pytest.raises(SealError):
            opener().open(envelope[:n], HERE)


def test_a_forged_key_id_naming_another_configured_key_does_not_authenticate() -> None:
    other_public, other_private = keygen()
    envelope = sealer().seal(b"k", VALUE, HERE).envelope
    forged = envelope[:1] + bytes.fromhex(sealer(other_public).key_id) + envelope[9:]
    with pytest.raises(TamperedEnvelope):
        opener(other_private, DEMO_PRIVATE_KEY).open(forged, HERE)


def test_the_dedupe_digest_is_keyed_and_not_the_plain_sha256() -> None:
    digest = sealer().seal(b"k", VALUE, HERE).value_digest
    assert digest == sealer().seal(b"k", VALUE, Position("x", 0, 0)).value_digest  # same message
    assert digest != sealer().seal(None, VALUE, HERE).value_digest  # same value, no key
    assert digest != sealer().seal(b"k2", VALUE, HERE).value_digest  # same value, another key
    assert digest != hashlib.sha256(VALUE).digest()
    assert (
        digest
        != sealer(hash_key="another-hash-key-0123456789").seal(b"k", VALUE, HERE).value_digest
    )
    assert digest == value_digest(digest_key(HASH_KEY), VALUE, b"k")
    # A subkey under its own label: never the NIK pseudonym's key itself.
    assert digest_key(HASH_KEY) != HASH_KEY.encode()


def test_a_new_key_pair_is_two_base64_keys_of_32_bytes_that_belong_together() -> None:
    public, private = keygen()
    assert len(decode_key(public, "public")) == len(decode_key(private, "private")) == 32
    sealed = sealer(public).seal(b"k", b"v", HERE)
    assert opener(private).open(sealed.envelope, HERE) == (b"k", b"v")


@pytest.mark.parametrize("raw", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused_without_showing_it(raw: str) -> None:
    with pytest.raises(ValueError, match="the key") as error:
        decode_key(raw, "the key")
    assert raw not in str(error.value)


def test_the_keys_never_show_in_a_repr() -> None:
    public, private = keygen()
    assert private not in repr(opener(private)) and public not in repr(sealer(public))
