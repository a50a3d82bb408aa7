"""Pseudonymisation of the NIK with a keyed hash, so that no clear NIK leaves intake."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(nik: str, key: str) -> str:
    """HMAC-SHA256 of the NIK under the configured key, as 32 hex characters (128 bits).

    A keyed hash rather than a plain one: the NIK space (16 digits with a birth date inside) is
    small enough to enumerate, so an unkeyed hash could be reversed by brute force.
    """
    digest = hmac.new(key.encode(), nik.strip().encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def mask_nik(nik: str) -> str:
    """For error messages: never any digit of the NIK, only its shape ('<16 digits>')."""
    kind = "digits" if nik.isdigit() else "characters"
    return f"<{len(nik)} {kind}>"
