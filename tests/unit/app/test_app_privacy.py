"""The NIK is pseudonymised with a keyed hash and masked to its shape in messages."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from services.privacy import mask_nik, pseudonymise

NIK = "3171014501900001"
KEY = "k" * 32
niks = st.from_regex(r"\A[0-9]{16}\Z")


def test_a_reference_is_32_lowercase_hex_characters() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", pseudonymise(NIK, KEY))


def test_the_same_nik_and_key_always_give_the_same_reference() -> None:
    assert pseudonymise(NIK, KEY) == pseudonymise(NIK, KEY)


def test_the_reference_ignores_blanks_around_the_nik() -> None:
    assert pseudonymise(f" {NIK}\n", KEY) == pseudonymise(NIK, KEY)


@given(st.text(min_size=16, max_size=40), st.text(min_size=16, max_size=40))
def test_a_different_key_gives_a_different_reference(key: str, other: str) -> None:
    if key != other:
        assert pseudonymise(NIK, key) != pseudonymise(NIK, other)


@given(niks, niks)
def test_different_niks_give_different_references(nik: str, other: str) -> None:
    if nik != other:
        assert pseudonymise(nik, KEY) != pseudonymise(other, KEY)


@given(niks)
def test_the_reference_shows_no_part_of_the_nik(nik: str) -> None:
    assert nik not in pseudonymise(nik, KEY)
    assert pseudonymise(nik, KEY) != nik


@given(niks)
def test_a_masked_nik_is_only_its_shape(nik: str) -> None:
    assert mask_nik(nik) == "<16 digits>"


@given(st.text(min_size=1, max_size=30))
def test_a_masked_value_contains_no_digit_other_than_its_length(nik: str) -> None:
    masked = mask_nik(nik)
    assert re.fullmatch(r"<\d+ (digits|characters)>", masked)
    assert not re.search(r"\d", masked.replace(str(len(nik)), "", 1))


def test_a_masked_nik_with_letters_is_described_as_characters() -> None:
    assert mask_nik("31710145019000AB") == "<16 characters>"
