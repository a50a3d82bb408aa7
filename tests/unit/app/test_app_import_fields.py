"""The bulk import's field readers: tolerant where meaning cannot change, strict where it could."""

from __future__ import annotations

from datetime import date

import pytest

from services.app.import_fields import (
    Invalid,
    mask_nik,
    parse_category,
    parse_date,
    parse_digits,
    parse_programs,
    parse_risk_class,
    parse_sex,
    parse_wage,
)

MAY_17 = date(1990, 5, 17)


@pytest.mark.parametrize(
    "text",
    [
        "1990-05-17",
        "1990/05/17",
        "17/05/1990",
        "17-05-1990",
        "17.05.1990",
        "17/5/1990",
        "17 Mei 1990",
        "17 MEI 1990",
        "17 mei 1990",
        "17-Mei-1990",
        "17 May 1990",
        "17 Mei. 1990",
    ],
)
def test_a_date_is_read_the_iso_way_or_day_first_with_month_names(text: str) -> None:
    assert parse_date(text) == MAY_17


@pytest.mark.parametrize(
    ("text", "month"),
    [("1 Agustus 2016", 8), ("1 Agt 2016", 8), ("1 Ags 2016", 8), ("1 Okt 2016", 10),
     ("1 Des 2016", 12), ("1 Nopember 2016", 11), ("1 Pebruari 2016", 2), ("1 Maret 2016", 3)],
)  # fmt: skip
def test_indonesian_month_names_and_abbreviations_are_understood(text: str, month: int) -> None:
    assert parse_date(text) == date(2016, month, 1)


def test_day_first_is_the_convention_for_ambiguous_dates() -> None:
    assert parse_date("05/06/1990") == date(1990, 6, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("17/05/90", "4 digits"),
        ("31/02/1990", "not a real date"),
        ("1990-02-30", "not a real date"),
        ("05/17/1990", "not a real date"),
        ("17 Mai 1990", "unknown month name"),
        ("kemarin", "not a date"),
        ("1990-W20-3", "not a date"),
        ("19900517", "not a date"),
    ],
)
def test_a_date_that_could_mean_something_else_is_refused_with_the_reason(
    text: str, reason: str
) -> None:
    found = parse_date(text)
    assert isinstance(found, Invalid) and reason in found.reason


@pytest.mark.parametrize(
    "text",
    [
        "2500000",
        "2.500.000",
        "2,500,000",
        "2 500 000",
        "Rp 2.500.000",
        "Rp2.500.000",
        "rp. 2.500.000",
        "Rp 2.500.000,00",
        "IDR 2,500,000.00",
        "2500000.0",
        "2500000,00",
        "2\u00a0500\u00a0000",
    ],
)
def test_a_wage_tolerates_currency_and_thousands_separators(text: str) -> None:
    assert parse_wage(text) == 2_500_000


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-1.000.000", "negative"),
        ("-2500000", "negative"),
        ("0", "more than 0"),
        ("0.000", "more than 0"),
        ("2,5", "fractions"),
        ("2.500.000,50", "fractions"),
        ("1.000.00", "not a whole number"),
        ("2.50.000", "not a whole number"),
        ("1.000,000", "not a whole number"),
        ("satu juta", "not a whole number"),
        ("1e6", "not a whole number"),
        ("2.500.000 juta", "not a whole number"),
    ],
)
def test_a_wage_that_is_not_a_whole_positive_rupiah_amount_is_refused(
    text: str, reason: str
) -> None:
    found = parse_wage(text)
    assert isinstance(found, Invalid) and reason in found.reason


def test_a_wage_is_an_int_never_a_float() -> None:
    assert type(parse_wage("Rp 1.000.000,00")) is int


@pytest.mark.parametrize("text", ["3171014501900001", "'3171014501900001"])
def test_a_nik_of_16_digits_is_accepted_with_or_without_the_spreadsheet_text_marker(
    text: str,
) -> None:
    assert parse_digits(text, 16) == "3171014501900001"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("317101450190001", "found 15"),
        ("31710145019000011", "found 17"),
        ("3.17101E+15", "spreadsheet"),
        ("3171 0145 0190 0001", "no other characters"),
        ("3171-0145-0190-0001", "no other characters"),
        ("317101450190000O", "no other characters"),
        ("\u0663" * 16, "no other characters"),  # Arabic-Indic digits are digits, not ASCII
    ],
)
def test_a_nik_with_a_digit_lost_added_or_disguised_is_refused(text: str, reason: str) -> None:
    found = parse_digits(text, 16)
    assert isinstance(found, Invalid) and reason in found.reason


@pytest.mark.parametrize(("text", "expected"), [("bpu", "BPU"), ("Jakon", "JAKON"), ("PU", "PU")])
def test_a_category_is_read_in_any_case(text: str, expected: str) -> None:
    assert parse_category(text) == expected


def test_an_unknown_category_names_the_ones_expected() -> None:
    found = parse_category("PNS")
    assert isinstance(found, Invalid) and "PU, BPU, JAKON, PMI" in found.reason


@pytest.mark.parametrize(
    "text",
    ["JKK;JKM", "jkk, jkm", "JKK/JKM", "Jkk Jkm", "JKK|JKM", "JKK+JKM", "JKK,,JKM", "JKK;JKM;JKK"],
)
def test_programs_tolerate_separators_case_and_repeats(text: str) -> None:
    assert parse_programs(text) == ("JKK", "JKM")


def test_the_order_of_programs_is_kept() -> None:
    assert parse_programs("JKM;JKK;JHT") == ("JKM", "JKK", "JHT")


def test_an_unknown_program_is_named_and_jkn_is_explained() -> None:
    found = parse_programs("JKK;JKM;JKN")
    assert isinstance(found, Invalid)
    assert "unknown program JKN" in found.reason and "BPJS Kesehatan" in found.reason


def test_an_empty_program_list_is_refused() -> None:
    assert isinstance(parse_programs(";"), Invalid)


@pytest.mark.parametrize(
    ("text", "female"),
    [("P", True), ("perempuan", True), ("Wanita", True), ("F", True),
     ("L", False), ("laki-laki", False), ("Laki Laki", False), ("pria", False), ("M", False)],
)  # fmt: skip
def test_sex_is_read_from_the_usual_words(text: str, female: bool) -> None:
    assert parse_sex(text) is female


def test_an_unknown_sex_is_refused() -> None:
    assert isinstance(parse_sex("X"), Invalid)


@pytest.mark.parametrize(("text", "valid"), [("1", True), ("5", True), ("0", False), ("6", False),
                                             ("III", False), ("1.0", False)])  # fmt: skip
def test_the_jkk_risk_class_is_1_to_5(text: str, valid: bool) -> None:
    assert (not isinstance(parse_risk_class(text), Invalid)) is valid


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("3171014501900001", "************0001"), ("317101450190001", "***********0001"),
     ("3.17101E+15", "*******E+15"), ("12", "**"), ("", "")],
)  # fmt: skip
def test_the_report_shows_only_the_last_four_characters_of_a_nik(raw: str, shown: str) -> None:
    assert mask_nik(raw) == shown
