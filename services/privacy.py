"""Pseudonymisation of the NIK with a keyed hash, so that no clear NIK leaves intake; a keyring
of the current key and previous ones, so that the key can be rotated.

A pseudonym names the key it was made with: `<key id>:<32 hex>` (`v2:1a58…`). Pseudonyms of the
first key, `v1`, made before key ids existed, stay as they were (32 hex, no prefix), so that
nothing stored or published changes until the first rotation. The README's "Rotating
NIK_HASH_KEY" gives the procedure and the choice it makes (re-keying on sight, not HMAC chains).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Final

NIK_LENGTH = 16
KPJ_LENGTH = 11
LEGACY_KEY_ID: Final = "v1"  # the key of every pseudonym without a key id
KEY_ID: Final = re.compile(r"[A-Za-z0-9]{1,16}")


def is_ascii_digits(value: str, length: int) -> bool:
    """Exactly `length` characters 0-9 (str.isdigit alone also takes '３' or '٣')."""
    return len(value) == length and value.isascii() and value.isdigit()


def pseudonymise(nik: str, key: str) -> str:
    """HMAC-SHA256 of the NIK under the configured key, as 32 hex characters (128 bits).

    A keyed hash rather than a plain one: the NIK space (16 digits with a birth date inside) is
    small enough to enumerate, so an unkeyed hash could be reversed by brute force.

    Only a validated NIK (16 ASCII digits) is accepted, and it is hashed exactly as given:
    tidying it here (stripping blanks, say) would let an invalid value through as someone's
    pseudonym. Callers validate first (services/app/intake.py, the import's field readers).
    """
    if not is_ascii_digits(nik, NIK_LENGTH):
        shape = mask_nik(nik)
        raise ValueError(f"pseudonymise needs a validated NIK (16 ASCII digits), got {shape}")
    digest = hmac.new(key.encode(), nik.encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def mask_nik(nik: str) -> str:
    """For error messages: never any character of the NIK, only its shape ('<16 digits>').

    'digits' means ASCII 0-9 only; anything else (letters, blanks, full-width or Arabic-Indic
    digits) is '<N characters>', so the shape never suggests a valid NIK that is not one."""
    kind = "digits" if nik.isascii() and nik.isdigit() else "characters"
    return f"<{len(nik)} {kind}>"


def shown_kpj(value: str) -> str:
    """A KPJ for an error message: as given when well formed (11 ASCII digits, not personal
    data), otherwise only its shape, since a wrong value could be a NIK put in its place."""
    return value if is_ascii_digits(value, KPJ_LENGTH) else mask_nik(value)


def key_id_of(ref: str) -> str:
    """The key id a pseudonym was made with (`v1` when it has none: made before key ids)."""
    key_id, sep, _ = ref.partition(":")
    return key_id if sep else LEGACY_KEY_ID


@dataclass(frozen=True)
class NikKey:
    """One pseudonymisation key and its id; the key never shows in a repr."""

    key_id: str
    secret: str = field(repr=False)

    def pseudonym(self, nik: str) -> str:
        digest = pseudonymise(nik, self.secret)
        return digest if self.key_id == LEGACY_KEY_ID else f"{self.key_id}:{digest}"


@dataclass(frozen=True)
class Keyring:
    """The current key, which makes every new pseudonym, and the previous keys, which only
    recognise the pseudonyms they made (until each is re-keyed on sight)."""

    current: NikKey
    previous: tuple[NikKey, ...] = ()

    def __post_init__(self) -> None:
        ids = [k.key_id for k in (self.current, *self.previous)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"key ids must be unique, got {', '.join(ids)}")

    @classmethod
    def single(cls, secret: str) -> Keyring:
        """One key, the first (`v1`): pseudonyms exactly as before key ids existed."""
        return cls(NikKey(LEGACY_KEY_ID, secret))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in (self.current, *self.previous))

    def pseudonym(self, nik: str) -> str:
        """The NIK's pseudonym under the current key: what is stored and published from now on."""
        return self.current.pseudonym(nik)

    def candidates(self, nik: str) -> tuple[str, ...]:
        """The NIK's pseudonym under every key, the current one first: for lookups of what was
        stored before a rotation (`claims import` screening for a NIK already enrolled)."""
        return tuple(k.pseudonym(nik) for k in (self.current, *self.previous))

    def matches(self, nik: str, ref: str) -> bool:
        """`ref` is this NIK's pseudonym under the key its id names (one HMAC, not one per key).
        False when that key is not in the keyring (retired, or never known)."""
        wanted = key_id_of(ref)
        for key in (self.current, *self.previous):
            if key.key_id == wanted:
                return hmac.compare_digest(key.pseudonym(nik), ref)
        return False

    def is_current(self, ref: str) -> bool:
        return key_id_of(ref) == self.current.key_id
