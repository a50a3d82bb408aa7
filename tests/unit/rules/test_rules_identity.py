"""NIK validation returns problems as values."""

from __future__ import annotations

from datetime import date

from services.rules.identity import birth_date_candidates, validate_nik

MAN = "3174011705800001"  # Jakarta, born 17-05-80
WOMAN = "3174015705800002"  # same date, day + 40


def reasons(nik: str, **known: object) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in validate_nik(nik, **known)]  # type: ignore[arg-type]


def test_a_well_formed_nik_has_no_problems() -> None:
    assert validate_nik(MAN, date(1980, 5, 17), female=False) == ()
    assert validate_nik(WOMAN, date(1980, 5, 17), female=True) == ()


def test_anything_but_sixteen_digits_is_refused_without_echoing_it() -> None:
    (problem,) = validate_nik("31740117058000")
    assert problem.value == "<redacted>"
    assert birth_date_candidates("abc") == ()


def test_unknown_province_bad_date_and_zero_serial_are_all_reported() -> None:
    assert [f for f, _ in reasons("9974013202800000")] == ["province", "birth_date", "serial"]


def test_the_birth_date_must_agree_and_fixes_the_century() -> None:
    assert birth_date_candidates("3174012902000001") == (date(2000, 2, 29),)
    assert reasons(MAN, birth_date=date(1981, 5, 17)) == [
        ("birth_date", "does not match 1981-05-17")
    ]


def test_the_day_code_must_agree_with_the_stated_sex() -> None:
    assert [f for f, _ in reasons(WOMAN, female=False)] == ["sex"]
