"""The privacy tier's NIK scan (tests/faults/test_privacy.found_in) finds exactly what a plain
substring search finds, in one pass over the blob."""

from __future__ import annotations

import random

from tests.faults.test_privacy import found_in


def naive(blob: bytes, niks: set[str]) -> set[str]:
    return {n for n in niks if n.encode() in blob}


def test_found_in_agrees_with_a_substring_search() -> None:
    rng = random.Random(7)
    niks = {"".join(rng.choice("0123456789") for _ in range(16)) for _ in range(300)}
    niks |= {"31710X0101900001", "3171", "12345678901234567", "  ", "ÑIK٣١٧١"}
    planted = sorted(niks)[::7]
    parts = [rng.randbytes(40) for _ in range(200)]
    for i, nik in enumerate(planted):  # bare, inside a longer run of digits, and in JSON
        parts.insert(i * 3, ("9" + nik + "0" if i % 2 else f'{{"nik": "{nik}"}}').encode())
    blob = b"".join(parts) + "ÑIK٣١٧١".encode()
    assert found_in(blob, niks) == naive(blob, niks)
    assert set(planted) <= found_in(blob, niks)


def test_nothing_found_in_a_blob_without_niks() -> None:
    assert found_in(b"amount 1500000 pseudonym v1:ab12", {"3171010101900001", "bad nik"}) == set()
