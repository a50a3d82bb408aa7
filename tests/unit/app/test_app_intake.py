"""Intake names every fault by field, value and reason, and never shows a clear NIK."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from app_events import (
    BATCH,
    CHANGED,
    CLAIM,
    ENDED,
    ENROLLED,
    FUNDED,
    INSTRUCTION,
    JKM_DETAIL,
    NIK,
    POSTED,
    RESULT,
    claim,
    fixture,
    instant,
)

from services.app.intake import validate
from services.errors import InvalidEvent, ServiceError

UPSTREAM = (ENROLLED, CHANGED, ENDED, POSTED, CLAIM, FUNDED, BATCH, RESULT, INSTRUCTION)


def problems(name: str, /, **overrides: Any) -> tuple[tuple[str, str, str], ...]:
    with pytest.raises(InvalidEvent) as error:
        validate(name, fixture(name, **overrides))
    assert error.value.event_name == name
    assert NIK not in str(error.value)
    return error.value.problems


def fields(found: tuple[tuple[str, str, str], ...]) -> set[str]:
    return {field for field, _, _ in found}


@pytest.mark.parametrize("name", UPSTREAM)
def test_every_fixture_is_a_valid_event(name: str) -> None:
    validate(name, fixture(name))


def test_an_invalid_event_is_a_service_error_whose_message_lists_each_problem() -> None:
    error = InvalidEvent("X", (("kpj", "'1'", "must be 11 digits"), ("wage", "-1", "negative")))
    assert isinstance(error, ServiceError)
    assert str(error) == "X: kpj='1': must be 11 digits; wage=-1: negative"


@pytest.mark.parametrize("kpj", ["2401234567", "240123456789", "2401234567X", ""])
def test_a_kpj_that_is_not_eleven_digits_is_named_by_its_shape(kpj: str) -> None:
    shape = f"<{len(kpj)} {'digits' if kpj.isdigit() else 'characters'}>"
    assert problems(ENDED, kpj=kpj) == (("kpj", shape, "must be exactly 11 ASCII digits (0-9)"),)


def test_a_nik_put_in_the_kpj_field_is_not_shown() -> None:
    assert problems(ENDED, kpj=NIK) == (
        ("kpj", "<16 digits>", "must be exactly 11 ASCII digits (0-9)"),
    )


@pytest.mark.parametrize("kpj", ["２４０１２３４５６７８", "٢٤٠١٢٣٤٥٦٧٨", "2401234567\u00b2"])
def test_a_kpj_in_non_ascii_digits_is_refused(kpj: str) -> None:
    assert problems(ENDED, kpj=kpj) == (
        ("kpj", "<11 characters>", "must be exactly 11 ASCII digits (0-9)"),
    )


def test_a_kpj_with_a_trailing_newline_is_refused() -> None:
    assert fields(problems(ENDED, kpj="24012345678\n")) == {"kpj"}


@pytest.mark.parametrize(
    ("nik", "field", "reason"),
    [
        ("317101450190000", "nik", "must be exactly 16 ASCII digits (0-9)"),
        ("31710145019000AB", "nik", "must be exactly 16 ASCII digits (0-9)"),
        ("3171014501900001\n", "nik", "must be exactly 16 ASCII digits (0-9)"),
        ("３１７１０１４５０１９００００１", "nik", "must be exactly 16 ASCII digits (0-9)"),
        ("٣١٧١٠١٤٥٠١٩٠٠٠٠١", "nik", "must be exactly 16 ASCII digits (0-9)"),
        ("9971014501900001", "nik.province", "unknown province code"),
        ("3171019901900001", "nik.birth_date", "not a real date (women: day + 40)"),
        ("3171014501900000", "nik.serial", "serial must not be 0000"),
    ],
)
def test_a_bad_nik_is_named_by_its_part_and_shown_only_by_its_shape(
    nik: str, field: str, reason: str
) -> None:
    found = problems(ENDED, nik=nik)
    kind = "digits" if nik.isascii() and nik.isdigit() else "characters"
    assert found == ((field, f"<{len(nik)} {kind}>", reason),)
    assert all(nik not in text for problem in found for text in problem)


def test_a_nik_that_disagrees_with_the_birth_date_is_refused_without_showing_it() -> None:
    found = problems(ENROLLED, birth_date=date(1991, 1, 5))
    assert found == (("nik.birth_date", "<16 digits>", "does not match 1991-01-05"),)


def test_the_error_message_never_carries_the_clear_nik_whatever_is_wrong() -> None:
    bad = fixture(ENROLLED, nik="9971019901900000", kpj="1", birth_date=date(1980, 2, 3))
    with pytest.raises(InvalidEvent) as error:
        validate(ENROLLED, bad)
    assert "9971019901900000" not in str(error.value)
    assert "9971019901900000" not in repr(error.value.problems)
    assert len(error.value.problems) >= 4


@pytest.mark.parametrize("field", ["event_id", "source"])
def test_an_empty_envelope_field_is_refused(field: str) -> None:
    assert problems(ENDED, **{field: "  "}) == ((field, "'  '", "must not be empty"),)


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(2100, 1, 1)])
def test_a_date_outside_the_plausible_range_is_refused(day: date) -> None:
    assert problems(ENDED, end_date=day) == (("end_date", day.isoformat(), "outside 1900-2099"),)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (ENROLLED, "wage"),
        (POSTED, "wage_base"),
        (FUNDED, "budget"),
        (FUNDED, "participant_count"),
        (BATCH, "expected_count"),
        (INSTRUCTION, "amount"),
    ],
)
def test_a_negative_amount_is_refused(name: str, field: str) -> None:
    assert problems(name, **{field: -1}) == ((field, "-1", "must not be negative"),)


def test_an_enrolment_without_programs_is_refused() -> None:
    assert problems(ENROLLED, programs=[]) == (
        ("programs", "[]", "at least one program is required"),
    )


def test_an_enrolment_before_the_birth_date_is_refused() -> None:
    assert problems(ENROLLED, enrolled_on=date(1989, 12, 31)) == (
        ("enrolled_on", "1989-12-31", "is before the birth date"),
    )


@pytest.mark.parametrize("risk", [0, 6])
def test_a_jkk_risk_class_outside_one_to_five_is_refused(risk: int) -> None:
    assert problems(ENROLLED, jkk_risk_class=risk) == (
        ("jkk_risk_class", str(risk), "must be 1 to 5 (PP 44/2015 Pasal 16)"),
    )


def test_a_wage_earner_without_an_employer_is_refused() -> None:
    assert problems(ENROLLED, category="PU", employer_npp=None) == (
        ("employer_npp", "None", "a wage earner (PU) needs an employer NPP"),
    )


def test_a_wage_earner_with_an_employer_is_valid() -> None:
    validate(ENROLLED, fixture(ENROLLED, category="PU", employer_npp="NPP-001"))


def test_an_enrolment_without_a_name_is_refused() -> None:
    assert problems(ENROLLED, name=" ") == (("name", "' '", "must not be empty"),)


@pytest.mark.parametrize("period", ["2025-13", "2025-2", "25-02", "2025/02"])
def test_a_contribution_period_that_is_not_yyyy_mm_is_refused(period: str) -> None:
    assert problems(POSTED, period=period) == (
        ("period", repr(period), "must be YYYY-MM (ASCII digits, month 01-12)"),
    )


def test_a_contribution_period_in_full_width_digits_is_refused() -> None:
    assert fields(problems(POSTED, period="２０２５-０２")) == {"period"}


def test_a_contribution_period_with_a_trailing_newline_is_refused() -> None:
    assert fields(problems(POSTED, period="2025-02\n")) == {"period"}


def test_a_negative_program_amount_is_refused_by_its_index() -> None:
    amounts = [{"program": "JKK", "amount": 10000}, {"program": "JKM", "amount": -5}]
    assert problems(POSTED, amounts=amounts) == (
        ("amounts[1].amount", "-5", "must not be negative"),
    )


def test_a_claim_without_an_id_is_refused() -> None:
    assert problems(CLAIM, claim_id=" ") == (("claim_id", "' '", "must not be empty"),)


def test_a_claim_for_an_event_after_its_submission_is_refused() -> None:
    assert problems(CLAIM, event_date=date(2025, 6, 13)) == (
        ("event_date", "2025-06-13", "is after the claim was submitted"),
    )


def test_a_claim_submitted_early_on_the_jakarta_day_of_the_event_is_valid() -> None:
    validate(
        CLAIM,
        claim(
            event_date=date(2025, 6, 12),
            occurred_at=instant("2025-06-11T23:00"),
            detail={**fixture(CLAIM)["detail"], "reported_stage1_on": date(2025, 6, 12)},
        ),
    )


def test_a_claim_whose_detail_belongs_to_another_program_is_refused() -> None:
    assert problems(CLAIM, program="JKM") == (
        ("detail", "JKK detail", "program JKM needs its own claim detail"),
    )


def test_a_claim_with_its_own_programs_detail_is_valid() -> None:
    validate(CLAIM, claim(program="JKM", detail=JKM_DETAIL))


@pytest.mark.parametrize("field", ["name", "bank_code"])
def test_a_claim_with_an_empty_payee_field_is_refused(field: str) -> None:
    payee = {**fixture(CLAIM)["payee"], field: ""}
    assert problems(CLAIM, payee=payee) == ((f"payee.{field}", "''", "must not be empty"),)


@pytest.mark.parametrize(
    ("account", "shape"),
    [("", "<0 characters>"), ("0341-0100", "<9 characters>"), ("０３４１", "<4 characters>")],
)
def test_a_payee_account_that_is_not_ascii_digits_is_refused_by_its_shape(
    account: str, shape: str
) -> None:
    payee = {**fixture(CLAIM)["payee"], "account_number": account}
    assert problems(CLAIM, payee=payee) == (
        ("payee.account_number", shape, "must be 1 to 34 ASCII digits (0-9), nothing else"),
    )


@pytest.mark.parametrize(
    ("change", "field", "value", "reason"),
    [
        ({"wage": -1}, "detail.wage", "-1", "must not be negative"),
        ({"medical_costs": -2}, "detail.medical_costs", "-2", "must not be negative"),
        ({"incapacity_days": -3}, "detail.incapacity_days", "-3", "must not be negative"),
        (
            {"transport": [{"mode": "SEA", "amount": -4}]},
            "detail.transport[0].amount",
            "-4",
            "must not be negative",
        ),
        (
            {"disabilities": [{"item": "a", "function_lost_percent": 0}]},
            "detail.disabilities[0].function_lost_percent",
            "0",
            "must be 1 to 100",
        ),
        (
            {"disabilities": [{"item": "a", "function_lost_percent": 101}]},
            "detail.disabilities[0].function_lost_percent",
            "101",
            "must be 1 to 100",
        ),
    ],
)
def test_a_jkk_detail_with_an_impossible_value_is_refused(
    change: dict[str, Any], field: str, value: str, reason: str
) -> None:
    detail = {**fixture(CLAIM)["detail"], **change}
    assert problems(CLAIM, detail=detail) == ((field, value, reason),)


def test_a_funded_period_that_ends_before_it_starts_is_refused() -> None:
    assert problems(FUNDED, period_end=date(2024, 12, 31)) == (
        ("period_end", "2024-12-31", "is before period_start"),
    )


def test_a_funded_cohort_without_programs_is_refused() -> None:
    assert problems(FUNDED, programs=[]) == (
        ("programs", "[]", "a funded cohort needs at least one program"),
    )


def test_a_paid_result_without_a_payment_date_is_refused() -> None:
    assert problems(RESULT, paid_on=None) == (
        ("paid_on", "None", "a PAID result needs the payment date"),
    )


def test_a_failed_result_without_a_reason_is_refused() -> None:
    assert problems(RESULT, status="FAILED", paid_on=None, failure_reason=None) == (
        ("failure_reason", "None", "a FAILED result needs a reason"),
    )


def test_a_failed_result_with_a_reason_is_valid() -> None:
    validate(RESULT, fixture(RESULT, status="FAILED", paid_on=None, failure_reason="closed"))


def test_every_problem_of_one_event_is_reported_at_once() -> None:
    found = problems(ENROLLED, kpj="x", wage=-1, programs=[], name="")
    assert fields(found) == {"kpj", "wage", "programs", "name"}
