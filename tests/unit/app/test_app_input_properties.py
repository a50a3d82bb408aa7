"""Properties of every intake validator over arbitrary strings and Unicode.

For each upstream event kind, each string field given any text: the validator raises nothing but
InvalidEvent; an identifier passes only when it is exactly ASCII digits of its length; the error
never contains the NIK given. The same for the key checks and for the import's field readers.
"""

from __future__ import annotations

import re
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
    KPJ,
    NIK,
    POSTED,
    RESULT,
    fixture,
)
from hypothesis import example, given
from hypothesis import strategies as st

from services.app import import_fields as f
from services.app import import_rows as bulk_import
from services.app.intake import check_participant_key, check_sponsor_key, validate
from services.errors import InvalidEvent, KeyMismatch

# Every code point, surrogates included (st.text() leaves them out by default).
ANY_CHARACTER = st.characters(exclude_categories=())
# Digits that `\d` and int() accept but are not ASCII: full-width, Arabic-Indic, Devanagari, ...
OTHER_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def near(valid: str) -> st.SearchStrategy[str]:
    """`valid` with one character replaced (another digit, any character), something added
    around it (newline, NUL, blanks...), or all its digits in full-width or Arabic-Indic form."""
    n = len(valid)
    replaced = st.tuples(st.integers(0, n - 1), OTHER_DIGITS | ANY_CHARACTER).map(
        lambda t: valid[: t[0]] + t[1] + valid[t[0] + 1 :]
    )
    around = st.tuples(st.text(ANY_CHARACTER, max_size=3), st.text(ANY_CHARACTER, max_size=3)).map(
        lambda t: t[0] + valid + t[1]
    )
    translated = st.sampled_from((valid.translate(FULL_WIDTH), valid.translate(ARABIC_INDIC)))
    return replaced | around | translated


def texts(valid: str) -> st.SearchStrategy[str]:
    return st.text(ANY_CHARACTER, max_size=40) | near(valid)


# The string fields of each upstream kind (payee's for claims are checked apart).
STRING_FIELDS = {
    name: [k for k, v in fixture(name).items() if isinstance(v, str)]
    for name in (ENROLLED, CHANGED, ENDED, POSTED, CLAIM, FUNDED, BATCH, RESULT)
}
CASES = [(name, field) for name, fields in STRING_FIELDS.items() for field in fields]
FORMATS = {
    "kpj": re.compile(r"[0-9]{11}"),
    "nik": re.compile(r"[0-9]{16}"),
    "period": re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"),
}


def same_shape(text: str) -> str:
    """Another value that mask_nik describes the same way ('<N digits>' or '<N characters>')."""
    return ("1" if text.isascii() and text.isdigit() else "x") * len(text)


def outcome(name: str, record: dict[str, Any]) -> InvalidEvent | None:
    """None when valid; the InvalidEvent otherwise (any other exception fails the test)."""
    try:
        validate(name, record)
    except InvalidEvent as e:
        return e
    return None


def test_every_identifier_field_is_among_the_cases() -> None:
    covered = {field for _, field in CASES}
    assert {"kpj", "nik", "period", "event_id", "claim_id", "sponsor_id"} <= covered


@pytest.mark.parametrize(
    ("name", "field"), CASES, ids=[f"{n.rsplit('.', 1)[-1]}.{f}" for n, f in CASES]
)
@given(data=st.data())
def test_any_text_in_any_string_field_is_valid_or_an_invalid_event_naming_it(
    name: str, field: str, data: st.DataObject
) -> None:
    record = fixture(name)
    text = data.draw(texts(record[field]), label=field)
    error = outcome(name, {**record, field: text})
    pattern = FORMATS.get(field)
    if pattern is not None and not pattern.fullmatch(text):
        assert error is not None
        assert field in {problem[0].split(".")[0] for problem in error.problems}
    if error is not None:
        assert NIK not in str(error) + repr(error.problems)
        if field in ("nik", "kpj") and pattern is not None and not pattern.fullmatch(text):
            # Only the shape of a wrong NIK or KPJ is shown: any value of the same shape gives
            # the very same error.
            assert str(error) == str(outcome(name, {**record, field: same_shape(text)}))


@pytest.mark.parametrize("name", [ENROLLED, CHANGED, ENDED, POSTED, CLAIM])
@given(nik=texts(NIK))
@example(nik=NIK + "\n")
@example(nik=NIK.translate(FULL_WIDTH))
def test_a_nik_passes_intake_only_as_sixteen_ascii_digits(name: str, nik: str) -> None:
    error = outcome(name, {**fixture(name), "nik": nik})
    if not FORMATS["nik"].fullmatch(nik):
        assert error is not None
        found = [p for p in error.problems if p[0].startswith("nik")]
        # A NIK that is not 16 ASCII digits is refused for its format, never for a part of it
        # (a full-width NIK is not an "unknown province").
        assert [(p[0], p[2]) for p in found] == [("nik", "must be exactly 16 ASCII digits (0-9)")]
        assert str(error) == str(outcome(name, {**fixture(name), "nik": same_shape(nik)}))


@given(texts("034101000123307"))
def test_a_payee_account_passes_only_as_ascii_digits_and_is_never_shown(account: str) -> None:
    record = fixture(CLAIM)
    error = outcome(CLAIM, {**record, "payee": {**record["payee"], "account_number": account}})
    if not re.fullmatch(r"[0-9]{1,34}", account):
        assert error is not None
        assert [p[0] for p in error.problems] == ["payee.account_number"]
        other = {**record, "payee": {**record["payee"], "account_number": same_shape(account)}}
        assert str(error) == str(outcome(CLAIM, other))  # only its shape is shown


keys = (
    st.none()
    | st.binary(max_size=24)
    | texts(KPJ).map(lambda t: t.encode("utf-8", "surrogatepass"))
)


@given(keys)
@example(None)
@example(KPJ.encode() + b"\n")
@example(NIK.encode())
@example(b"\xff\xfe")
def test_a_participant_event_passes_the_key_check_only_when_keyed_by_its_own_kpj(
    key: bytes | None,
) -> None:
    try:
        check_participant_key(ENROLLED, key, fixture(ENROLLED))
    except KeyMismatch as e:
        assert key != KPJ.encode()
        (problem,) = e.problems
        assert problem[0] == "key"
        assert "participant events must be keyed by their KPJ: ordering depends on it" in problem[2]
        assert NIK not in str(e)
        # Only a well-formed KPJ is shown as such; any other key only by its shape.
        if key is not None and not re.fullmatch(rb"[0-9]{11}", key):
            try:
                alike = same_shape(key.decode("utf-8")).encode()
            except UnicodeDecodeError:
                alike = b"\xff" * len(key)
            with pytest.raises(KeyMismatch) as other:
                check_participant_key(ENROLLED, alike, fixture(ENROLLED))
            assert str(e) == str(other.value)
    else:
        assert key == KPJ.encode()


@given(st.none() | st.binary(max_size=24))
@example(b"PEMPROV-DKI")
def test_a_sponsor_event_passes_the_key_check_only_when_keyed_by_its_sponsor_id(
    key: bytes | None,
) -> None:
    try:
        check_sponsor_key(FUNDED, key, fixture(FUNDED))
    except KeyMismatch as e:
        assert key != b"PEMPROV-DKI"
        assert [p[0] for p in e.problems] == ["key"]
    else:
        assert key == b"PEMPROV-DKI"


# -- the import's field readers ------------------------------------------------------------


@pytest.mark.parametrize("length", [11, 16])
@given(data=st.data())
def test_an_import_identifier_is_read_only_as_exactly_its_ascii_digits(
    length: int, data: st.DataObject
) -> None:
    valid = (NIK if length == 16 else KPJ)[:length]
    raw = data.draw(texts(valid) | texts(valid).map(lambda t: "'" + t), label="raw")
    found = f.parse_digits(raw, length)
    if isinstance(found, str):
        assert re.fullmatch(rf"[0-9]{{{length}}}", found)
        assert raw in (found, "'" + found)
    else:
        assert isinstance(found, f.Invalid)
        assert not re.fullmatch(rf"'?[0-9]{{{length}}}", raw)


@given(texts("17/05/1990") | texts("1990-05-17") | texts("17 Mei 1990"))
@example("１７/05/1990")
@example("17 Mei １９９０")
@example("1990-05-17\n")
def test_an_import_date_is_a_date_or_invalid_and_read_only_from_ascii_digits(raw: str) -> None:
    found = f.parse_date(raw)
    assert isinstance(found, date | f.Invalid)
    if isinstance(found, date):
        assert all(c.isascii() for c in raw if c.isdigit())
        assert "\n" not in raw


@given(texts("2.500.000") | texts("Rp 2.500.000,00") | texts("2500000"))
@example("２.５００.０００")
@example("٢٥٠٠٠٠٠")
def test_an_import_wage_is_a_positive_int_or_invalid_and_read_only_from_ascii_digits(
    raw: str,
) -> None:
    found = f.parse_wage(raw)
    assert isinstance(found, int | f.Invalid)
    if isinstance(found, int):
        assert type(found) is int and found > 0
        assert all(c.isascii() for c in raw if c.isdigit())


@given(st.text(ANY_CHARACTER, max_size=20))
def test_the_other_import_readers_never_raise(raw: str) -> None:
    assert isinstance(f.parse_category(raw), str | f.Invalid)
    assert isinstance(f.parse_programs(raw), tuple | f.Invalid)
    assert isinstance(f.parse_sex(raw), bool | f.Invalid)
    risk = f.parse_risk_class(raw)
    assert isinstance(risk, f.Invalid) or (raw in ("1", "2", "3", "4", "5") and risk == int(raw))


ROW = {
    "kpj": KPJ,
    "nik": NIK,
    "name": "Siti Rahayu",
    "birth_date": "1990-01-05",
    "sex": "P",
    "category": "BPU",
    "programs": "JKK;JKM;JHT",
    "wage": "2500000",
    "enrolled_on": "2025-01-01",
    "work_unit": "Kelurahan Gambir",
}


@pytest.mark.parametrize("field", sorted(ROW))
@given(data=st.data())
def test_an_import_row_with_any_text_in_a_field_is_read_or_rejected_never_raises(
    field: str, data: st.DataObject
) -> None:
    raw = {**ROW, field: data.draw(texts(ROW[field]), label=field)}
    found = bulk_import.read_row(2, raw, date(2026, 1, 1))
    if isinstance(found, bulk_import.Enrollment):
        assert re.fullmatch(r"[0-9]{11}", found.kpj) and re.fullmatch(r"[0-9]{16}", found.nik)
    else:
        assert isinstance(found, bulk_import.Rejected) and found.problems
        assert NIK not in repr(found.problems)
        for problem in found.problems:
            if problem.field == "nik":  # the report shows only the NIK's last 4 characters
                assert re.fullmatch(r"\**.{0,4}", problem.value, re.DOTALL)


def test_the_valid_import_row_is_accepted() -> None:
    assert isinstance(bulk_import.read_row(2, ROW, date(2026, 1, 1)), bulk_import.Enrollment)
