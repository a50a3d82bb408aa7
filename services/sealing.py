"""Sealed dead letters: the worker can seal a message's key and value but never open one.

A sealed box: an ephemeral X25519 key agreement with the recipient's public key, HKDF-SHA256,
AES-256-GCM (`cryptography`). The associated data binds the envelope to the dead letter's
topic, partition and offset, so an envelope moved to another row does not open. Envelope:

    version (1 byte, 0x01) | key id (8 bytes) | ephemeral public key (32) | nonce (12) | AEAD

The key id is the first 8 bytes of SHA-256 of the recipient's raw public key (shown as 16 hex
characters), so keys can be rotated: the opener holds several private keys and picks by id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Position(Protocol):
    """Where a sealed message came from (services.app.records.Position is one): bound into the
    seal, so a sealed value cannot be passed off as another message's."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


VERSION = 1
KEY_ID_BYTES = 8
_RAW = serialization.Encoding.Raw
_HEADER = 1 + KEY_ID_BYTES + 32
_NONCE = 12
_INFO = b"bpjs-claims dead letter sealed box v1"
# The dedupe digest is keyed by a subkey of NIK_HASH_KEY under its own label, so it is never
# the NIK pseudonym's key and a dump of digests cannot be checked against guessed messages.
_DIGEST_LABEL = b"bpjs-claims/dead-letter-digest/v1"

# Demo key pair for local runs and tests only (like the demo NIK_HASH_KEY): never in production.
DEMO_PRIVATE_KEY = "aGVyZS1pcy1hLWRlbW8tb25seS1sb2NhbC1rZXkhISE="
DEMO_PUBLIC_KEY = base64.b64encode(
    X25519PrivateKey.from_private_bytes(base64.b64decode(DEMO_PRIVATE_KEY))
    .public_key()
    .public_bytes(_RAW, serialization.PublicFormat.Raw)
).decode()


class SealError(Exception):
    """An envelope cannot be opened; the message says why (never any of its content)."""


class UnknownKey(SealError):
    """The envelope was sealed for a key id none of the configured private keys has."""


class TamperedEnvelope(SealError):
    """Wrong key, altered bytes, or an envelope moved to another topic/partition/offset."""


def decode_key(raw: str, what: str) -> bytes:
    """A key as 32 raw bytes from base64; ValueError says what is wrong, never the value."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None
    if len(key) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64 of a raw X25519 key), got {len(key)}")
    return key


def key_id(public_key: bytes) -> str:
    """First 8 bytes of SHA-256 of the raw public key, as 16 hex characters."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_BYTES].hex()


def keygen() -> tuple[str, str]:
    """A new key pair as (public, private), each base64 of the 32 raw bytes."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _b64(_public_bytes(private.public_key())), _b64(raw_private)


def digest_key(nik_hash_key: str) -> bytes:
    """The dedupe digest's key: a subkey of NIK_HASH_KEY under a label of its own."""
    return hmac.new(nik_hash_key.encode(), _DIGEST_LABEL, hashlib.sha256).digest()


def value_digest(key: bytes, value: bytes, message_key: bytes | None = None) -> bytes:
    """HMAC-SHA256 of a message (its key, length-prefixed, then its value): deduplicates dead
    letters without an unkeyed fingerprint. The key counts: the same value under another key
    (a null key, a wrong KPJ) is another message, and another dead letter."""
    framed = b"\xff" if message_key is None else len(message_key).to_bytes(4, "big") + message_key
    return hmac.new(key, framed + value, hashlib.sha256).digest()


@dataclass(frozen=True)
class Sealed:
    """What a dead letter carries instead of the clear key and value."""

    envelope: bytes
    key_id: str
    value_digest: bytes
    value_size: int


@dataclass(frozen=True)
class Sealer:
    """Seals with the recipient's public key (the worker holds only this and the digest key)."""

    public_key: bytes = field(repr=False)
    digest_key: bytes = field(repr=False)

    @classmethod
    def from_config(cls, public_key_b64: str, nik_hash_key: str) -> Sealer:
        return cls(decode_key(public_key_b64, "the public key"), digest_key(nik_hash_key))

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def seal(
        self, key: bytes | None, value: bytes, where: Position, *, keep_value: bool = True
    ) -> Sealed:
        """Seal key and value; with keep_value=False only the key (the value is too large to
        copy), but the digest and size are still the whole value's."""
        recipient = X25519PublicKey.from_public_bytes(self.public_key)
        ephemeral = X25519PrivateKey.generate()
        eph_public = _public_bytes(ephemeral.public_key())
        header = bytes([VERSION]) + bytes.fromhex(self.key_id) + eph_public
        aead = AESGCM(_derive(ephemeral.exchange(recipient), eph_public, self.public_key))
        nonce = os.urandom(_NONCE)
        kept = value if keep_value else b""
        body = aead.encrypt(nonce, _plaintext(key, kept), _aad(header, where))
        return Sealed(
            envelope=header + nonce + body,
            key_id=self.key_id,
            value_digest=value_digest(self.digest_key, value, key),
            value_size=len(value),
        )


@dataclass(frozen=True)
class Opener:
    """Opens envelopes with any of several private keys (rotation: old and new both open)."""

    private_keys: dict[str, X25519PrivateKey] = field(repr=False)

    @classmethod
    def from_config(cls, private_keys_b64: Iterable[str]) -> Opener:
        keys: dict[str, X25519PrivateKey] = {}
        for i, raw in enumerate(private_keys_b64, start=1):
            private = X25519PrivateKey.from_private_bytes(decode_key(raw, f"private key #{i}"))
            keys[key_id(_public_bytes(private.public_key()))] = private
        return cls(keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.private_keys))

    def open(self, envelope: bytes, where: Position) -> tuple[bytes | None, bytes]:
        """The original (key, value); SealError when it cannot be opened."""
        if len(envelope) < _HEADER + _NONCE + 16:
            raise SealError(f"envelope of {len(envelope)} bytes is too short")
        if envelope[0] != VERSION:
            raise SealError(f"envelope version {envelope[0]} is not supported (expected {VERSION})")
        header, nonce = envelope[:_HEADER], envelope[_HEADER : _HEADER + _NONCE]
        wanted = header[1 : 1 + KEY_ID_BYTES].hex()
        private = self.private_keys.get(wanted)
        if private is None:
            have = ", ".join(self.key_ids) or "none"
            raise UnknownKey(f"sealed for key id {wanted}; the configured keys are {have}")
        eph_public = header[1 + KEY_ID_BYTES :]
        recipient = _public_bytes(private.public_key())
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_public))
        aead = AESGCM(_derive(shared, eph_public, recipient))
        try:
            plain = aead.decrypt(nonce, envelope[_HEADER + _NONCE :], _aad(header, where))
        except InvalidTag:
            raise TamperedEnvelope(
                f"envelope for {where} does not authenticate: altered, or not sealed for this"
                " topic, partition and offset"
            ) from None
        return _split(plain)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def _derive(shared: bytes, eph_public: bytes, recipient: bytes) -> bytes:
    # Both public keys in the salt bind the AEAD key to this exchange and this recipient.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_public + recipient, info=_INFO)
    return hkdf.derive(shared)


def _aad(header: bytes, where: Position) -> bytes:
    topic = where.topic.encode()
    return (
        header
        + struct.pack(">H", len(topic))
        + topic
        + struct.pack(">iq", where.partition, where.offset)
    )


def _plaintext(key: bytes | None, value: bytes) -> bytes:
    # A flag tells "no key" from an empty key, so replay republishes exactly what was read.
    if key is None:
        return b"\x00" + value
    return b"\x01" + struct.pack(">I", len(key)) + key + value


def _split(plain: bytes) -> tuple[bytes | None, bytes]:
    if plain[:1] == b"\x00":
        return None, plain[1:]
    (length,) = struct.unpack(">I", plain[1:5])
    return plain[5 : 5 + length], plain[5 + length :]
