"""Pseudonymisation of the NIK with a keyed hash, so that no clear NIK leaves intake."""

from __future__ import annotations

import hashlib
import hmac

NIK_LENGTH = 16
KPJ_LENGTH = 11


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
