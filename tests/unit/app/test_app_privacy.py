"""The NIK is pseudonymised with a keyed hash and masked to its shape in messages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.privacy import mask_nik, pseudonymise, shown_kpj

NIK = "3171014501900001"
KEY = "k" * 32
niks = st.from_regex(r"\A[0-9]{16}\Z")


def test_a_reference_is_32_lowercase_hex_characters() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", pseudonymise(NIK, KEY))


def test_the_same_nik_and_key_always_give_the_same_reference() -> None:
    assert pseudonymise(NIK, KEY) == pseudonymise(NIK, KEY)


@pytest.mark.parametrize(
    ("nik", "key", "ref"),
    [
        # Computed before the NIK check moved in (892a975): stored references must not change.
        ("3171014501900001", "a-test-key-of-16+chars", "1a582fd130195ba27b085a6d8ef3ea81"),
        ("3271010101800002", "another-key-0123456789", "ee9aff1b19a287a8f90ec3d53ac7b43d"),
    ],
)
def test_a_valid_niks_reference_is_unchanged(nik: str, key: str, ref: str) -> None:
    assert pseudonymise(nik, key) == ref


@pytest.mark.parametrize(
    "bad",
    [f" {NIK}", f"{NIK}\n", NIK[:15], "３１７１０１４５０１９００００１", "٣١٧١٠١٤٥٠١٩٠٠٠٠١", ""],
)
def test_only_a_validated_nik_is_pseudonymised_never_a_tidied_one(bad: str) -> None:
    with pytest.raises(ValueError, match="validated NIK") as error:
        pseudonymise(bad, KEY)
    assert bad not in str(error.value) or not bad


def test_a_nik_in_full_width_digits_is_masked_as_characters_not_digits() -> None:
    assert mask_nik("３１７１０１４５０１９００００１") == "<16 characters>"


def test_a_well_formed_kpj_is_shown_and_anything_else_only_by_its_shape() -> None:
    assert shown_kpj("24012345678") == "24012345678"
    assert shown_kpj(NIK) == "<16 digits>"
    assert shown_kpj("２４０１２３４５６７８") == "<11 characters>"


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
