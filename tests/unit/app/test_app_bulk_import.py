"""The bulk import's rows: every validation rule, duplicates, screening and the events it makes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from app_events import POSTED, at, posting
from hypothesis import given, settings
from hypothesis import strategies as st

from services.app import import_batch
from services.app import import_rows as core
from services.app.adjudication import ParticipantEvents
from services.app.intake import validate
from services.privacy import pseudonymise
from simulator.import_file import import_rows
from streams.kafka.codec import AvroCodec

TODAY = date(2026, 11, 21)
AT = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
NIK = "3171014501900001"  # a woman born 1990-01-05 (day 05 + 40), DKI Jakarta
KEY = "k" * 32


def row(**changes: str) -> dict[str, str]:
    """A clean row of the fixtures' participant, with fields replaced."""
    return {
        "kpj": "16123456789",
        "nik": NIK,
        "name": "SITI RAHAYU",
        "sex": "P",
        "birth_date": "1990-01-05",
        "category": "BPU",
        "programs": "JKK;JKM",
        "wage": "1000000",
        "enrolled_on": "2016-03-01",
        "work_unit": "pemprov-dki/ukpd-001",
        "employer_npp": "",
        "jkk_risk_class": "",
    } | changes


def problems(**changes: str) -> list[tuple[str, str, str]]:
    outcome = core.read_row(7, row(**changes), TODAY)
    assert isinstance(outcome, core.Rejected), outcome
    assert all(p.row == 7 for p in outcome.problems)
    return [(p.field, p.value, p.reason) for p in outcome.problems]


def the_problem(**changes: str) -> tuple[str, str, str]:
    (only,) = problems(**changes)
    return only


def test_a_clean_row_becomes_an_enrollment() -> None:
    assert core.read_row(2, row(), TODAY) == core.Enrollment(
        2,
        "16123456789",
        NIK,
        "SITI RAHAYU",
        date(1990, 1, 5),
        "BPU",
        ("JKK", "JKM"),
        1_000_000,
        date(2016, 3, 1),
        "pemprov-dki/ukpd-001",
    )


def test_a_messy_row_means_the_same_as_the_clean_one() -> None:
    messy = row(
        kpj=" 16123456789\u00a0",
        nik="'3171014501900001",
        name="  SITI   RAHAYU ",
        sex="perempuan",
        birth_date="5 Januari 1990",
        category="bpu",
        programs="jkk, jkm",
        wage="Rp 1.000.000,00",
        enrolled_on="01/03/2016",
        work_unit="\tpemprov-dki/ukpd-001  ",
    )
    assert core.read_row(2, messy, TODAY) == core.read_row(2, row(), TODAY)


def test_optional_fields_are_kept_when_given() -> None:
    outcome = core.read_row(2, row(category="PU", employer_npp="31001501", jkk_risk_class="3",
                                   programs="JKK;JKM;JHT;JP"), TODAY)  # fmt: skip
    assert isinstance(outcome, core.Enrollment)
    assert (outcome.employer_npp, outcome.jkk_risk_class) == ("31001501", 3)
    assert outcome.programs == ("JKK", "JKM", "JHT", "JP")


@pytest.mark.parametrize("field", core.REQUIRED_COLUMNS)
def test_every_required_field_is_required(field: str) -> None:
    assert (field, "", "is required") in problems(**{field: "  "})


def test_a_missing_column_counts_as_an_empty_field() -> None:
    raw = row()
    del raw["work_unit"]
    outcome = core.read_row(3, raw, TODAY)
    assert isinstance(outcome, core.Rejected)
    assert outcome.problems == (core.Problem(3, "work_unit", "", "is required"),)


def test_the_optional_fields_may_be_absent() -> None:
    raw = {k: v for k, v in row().items() if k not in core.OPTIONAL_COLUMNS}
    assert isinstance(core.read_row(2, raw, TODAY), core.Enrollment)


def test_a_malformed_nik_is_refused_and_shown_masked() -> None:
    assert the_problem(nik="317101450190001") == (
        "nik",
        "***********0001",
        "must be exactly 16 digits, found 15",
    )


def test_a_nik_with_an_unknown_province_is_refused() -> None:
    assert the_problem(nik="2071014501900001") == (
        "nik",
        "************0001",
        "unknown province code 20 in the NIK",
    )


def test_a_nik_whose_date_digits_are_not_a_date_is_refused() -> None:
    found = problems(nik="3171017213900001")  # day 72 - 40 = 32
    assert found[0][:2] == ("nik", "************0001")
    assert "not a real date" in found[0][2]


def test_a_nik_with_serial_0000_is_refused() -> None:
    assert the_problem(nik="3171014501900000")[2] == "the NIK's serial must not be 0000"


def test_a_birth_date_that_disagrees_with_the_nik_is_refused() -> None:
    field, value, reason = the_problem(birth_date="1991-01-05")
    assert (field, value) == ("birth_date", "1991-01-05")
    assert reason.startswith("does not match the birth date in the NIK")


def test_a_man_s_birth_day_matches_a_nik_without_the_40() -> None:
    man = row(nik="3171010501900001", sex="L")
    assert isinstance(core.read_row(2, man, TODAY), core.Enrollment)


def test_the_nik_fixes_the_century_from_the_birth_date() -> None:
    young = row(nik="3171014501050001", birth_date="2005-01-05", enrolled_on="2024-01-02")
    assert isinstance(core.read_row(2, young, TODAY), core.Enrollment)


def test_a_stated_sex_that_disagrees_with_the_nik_is_refused() -> None:
    assert the_problem(sex="L")[0:2] == ("sex", "L")


def test_a_birth_date_in_the_future_is_refused() -> None:
    found = problems(nik="3171014501270001", birth_date="2027-01-05", enrolled_on="2026-01-01")
    assert ("birth_date", "2027-01-05", "must be between 1900-01-01 and today") in found


@pytest.mark.parametrize("enrolled", ["1989-12-31", "2026-11-22"])
def test_an_enrollment_before_birth_or_in_the_future_is_refused(enrolled: str) -> None:
    assert the_problem(enrolled_on=enrolled)[0] == "enrolled_on"


def test_jkk_and_jkm_are_mandatory_for_everyone() -> None:
    assert the_problem(programs="JKK;JHT") == (
        "programs",
        "JKK;JHT",
        "must include JKM (mandatory for everyone)",
    )


def test_a_bpu_may_not_hold_jp() -> None:
    assert the_problem(programs="JKK;JKM;JP") == (
        "programs",
        "JKK;JKM;JP",
        "category BPU may not hold JP",
    )


def test_a_jakon_worker_holds_only_jkk_and_jkm() -> None:
    assert the_problem(category="JAKON", programs="JKK;JKM;JHT")[2] == (
        "category JAKON may not hold JHT"
    )


def test_a_wage_earner_needs_an_employer_npp() -> None:
    assert the_problem(category="PU") == (
        "employer_npp",
        "",
        "a wage earner (PU) needs an employer NPP",
    )


def test_a_negative_wage_is_refused() -> None:
    assert the_problem(wage="-1.000.000") == ("wage", "-1.000.000", "must not be negative")


def test_a_bad_risk_class_is_refused() -> None:
    assert the_problem(jkk_risk_class="6")[0] == "jkk_risk_class"


def test_every_problem_of_a_row_is_reported_not_only_the_first() -> None:
    found = problems(kpj="1612345678", nik="", wage="satu juta", category="PNS", work_unit="")
    assert [f for f, _, _ in found] == ["kpj", "nik", "category", "wage", "work_unit"]


def test_no_problem_ever_shows_a_clear_nik() -> None:
    bad = import_rows(3000, 10, 0.05, seed=11)
    for outcome in core.check_rows(enumerate(bad.rows, start=2), TODAY):
        if isinstance(outcome, core.Rejected):
            for p in outcome.problems:
                nik = bad.rows[p.row - 2]["nik"].strip().removeprefix("'")
                if len(nik) > 4:
                    assert nik not in p.value and nik not in p.reason


# -- duplicates within the file ------------------------------------------------------------------


def outcomes(*rows: dict[str, str]) -> list[core.RowOutcome]:
    return list(core.check_rows(enumerate(rows, start=2), TODAY))


def test_the_same_person_listed_twice_is_rejected_the_second_time() -> None:
    first, second = outcomes(row(), row(name="Siti Rahayu"))
    assert isinstance(first, core.Enrollment)
    assert second == core.Rejected(
        3,
        (
            core.Problem(3, "nik", "************0001", "duplicate NIK: already on row 2"),
            core.Problem(3, "kpj", "16123456789", "duplicate KPJ: already on row 2"),
        ),
    )


def test_a_kpj_given_to_two_people_is_rejected_the_second_time() -> None:
    other = row(nik="3171010202900003", sex="L", birth_date="1990-02-02")
    assert outcomes(row(), other)[1] == core.Rejected(
        3, (core.Problem(3, "kpj", "16123456789", "duplicate KPJ: already on row 2"),)
    )


def test_a_rejected_row_does_not_claim_its_nik() -> None:
    first, second = outcomes(row(wage="-5"), row())
    assert isinstance(first, core.Rejected) and isinstance(second, core.Enrollment)


def test_a_row_the_reader_could_not_split_is_rejected_as_such() -> None:
    broken = core.Problem(4, "row", "13 fields", "the header has 12 fields")
    assert list(core.check_rows([broken], TODAY)) == [core.Rejected(4, (broken,))]


# -- the quick path never accepts what the careful path would not -----------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_quick_path_agrees_with_the_careful_path_on_generated_files(seed: int) -> None:
    generated = import_rows(2000, 20, 0.05, seed)
    for n, raw in enumerate(generated.rows, start=2):
        quick = core._quick(n, raw, TODAY)
        careful = core._explained(n, raw, TODAY)
        assert quick is None or quick == careful, (n, raw)
        assert careful == core.read_row(n, raw, TODAY)


_VALUES = st.sampled_from(
    [" ", "", "x", "0", "-1", "1.000.000", "31/02/1990", "1990-01-05", "5 Januari 1990", "P",
     "L", "BPU", "pu", "JKK;JKM", "JP", "3171014501900001", "16123456789", "3", "'", "Rp 1"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(row())), _VALUES))
def test_the_quick_path_agrees_with_the_careful_path_on_any_mix_of_values(
    changes: dict[str, str],
) -> None:
    raw = row(**changes)
    quick = core._quick(2, raw, TODAY)
    assert quick is None or quick == core._explained(2, raw, TODAY)


# -- against the participants already enrolled ---------------------------------------------------


def enrollment(kpj: str, nik: str, n: int = 2) -> core.Enrollment:
    outcome = core.read_row(n, row(kpj=kpj, nik=nik, sex=""), TODAY)
    assert isinstance(outcome, core.Enrollment)
    return outcome


def test_screening_sorts_rows_into_new_done_and_duplicates() -> None:
    new = enrollment("16000000001", "3171014501900001", 2)
    done = enrollment("16000000002", "3171014501900002", 3)
    kpj_taken = enrollment("16000000003", "3171014501900003", 4)
    nik_taken = enrollment("16000000004", "3171014501900004", 5)
    same_person_elsewhere = enrollment("16000000005", "3171014501900005", 6)
    rows = [new, done, kpj_taken, nik_taken, same_person_elsewhere]
    refs = [pseudonymise(r.nik, KEY) for r in rows]
    by_kpj = {
        "16000000002": import_batch.Known("16000000002", refs[1], "batch-1"),
        "16000000003": import_batch.Known("16000000003", "someone-else", "batch-0"),
        "16000000005": import_batch.Known("16000000005", refs[4], None),
    }
    by_ref = {refs[3]: import_batch.Known("16999999999", refs[3], None)}
    screened = import_batch.screen(rows, refs, by_kpj, by_ref, "batch-1")
    assert screened.publish == (new,)
    assert screened.already_in_batch == (done,)
    assert [(r.row, r.problems[0].field, r.problems[0].reason) for r in screened.rejected] == [
        (4, "kpj", "KPJ already enrolled to another participant (not by this batch)"),
        (5, "nik", "this NIK is already enrolled under another KPJ"),
        (6, "kpj", "KPJ already enrolled to this person (not by this batch)"),
    ]
    assert screened.rejected[1].problems[0].value == "************0004"


# -- events ----------------------------------------------------------------------------------------


def test_an_event_id_is_the_uuid5_of_batch_and_kpj() -> None:
    assert import_batch.event_id("b-1", "16123456789") == str(
        uuid.uuid5(import_batch.EVENT_NS, "b-1/16123456789")
    )
    assert import_batch.event_id("b-1", "16123456789") != import_batch.event_id(
        "b-2", "16123456789"
    )


def enrolled_record() -> dict[str, Any]:
    outcome = core.read_row(2, row(), TODAY)
    assert isinstance(outcome, core.Enrollment)
    return import_batch.enrolled_event(outcome, "b-1", "pemprov-dki", AT)


def test_the_enrollment_event_passes_the_worker_s_own_intake_validation() -> None:
    validate("bpjs.enrollment.ParticipantEnrolled", enrolled_record())  # raises if not


def test_the_enrollment_event_encodes_and_carries_the_batch_and_sponsor(avro: AvroCodec) -> None:
    record = enrolled_record()
    decoded = avro.decode(avro.encode("bpjs.enrollment.ParticipantEnrolled", record)).record
    assert decoded == record
    assert (decoded["batch_id"], decoded["sponsor_id"], decoded["source"]) == (
        "b-1",
        "pemprov-dki",
        "bulk-import",
    )
    assert decoded["programs"] == [
        {"program": "JKK", "effective_date": date(2016, 3, 1)},
        {"program": "JKM", "effective_date": date(2016, 3, 1)},
    ]


def test_every_valid_generated_row_makes_an_event_the_worker_accepts() -> None:
    for outcome in core.check_rows(enumerate(import_rows(500, 5, 0.0, 4).rows, start=2), TODAY):
        assert isinstance(outcome, core.Enrollment)
        validate(
            "bpjs.enrollment.ParticipantEnrolled",
            import_batch.enrolled_event(outcome, "b", "s", AT),
        )


def test_the_batch_marker_counts_the_batch_and_encodes(avro: AvroCodec) -> None:
    record = import_batch.batch_completed_event("b-1", "pemprov-dki", 2475, AT)
    assert record["expected_count"] == 2475
    assert record == import_batch.batch_completed_event("b-1", "pemprov-dki", 2475, AT)
    avro.encode("bpjs.enrollment.EnrollmentBatchCompleted", record)


def test_the_default_batch_id_is_the_sponsor_and_the_file_s_hash() -> None:
    assert import_batch.default_batch_id("pemprov-dki", "ab" * 32) == "pemprov-dki-abababababababab"


# -- a re-run: the worker applies a repeated enrollment as a no-op ---------------------------------


def test_the_same_enrollment_applied_again_changes_nothing(
    handler: ParticipantEvents,
) -> None:
    event = enrolled_record()
    no_sponsors = lambda _: None  # noqa: E731
    first = handler.apply(
        "bpjs.enrollment.ParticipantEnrolled", event, None, no_sponsors, at(0), AT
    )
    paid = posting("2016-03", "posting-march", {"JKK": 10000, "JKM": 6800}, kpj=event["kpj"],
                   nik=event["nik"])  # fmt: skip
    posted = handler.apply(POSTED, paid, first.state, no_sponsors, at(1), AT)
    again = handler.apply(
        "bpjs.enrollment.ParticipantEnrolled", event, posted.state, no_sponsors, at(2), AT
    )
    # The same event id again (a re-run import): recognised as sent before, applied as nothing.
    assert (again.state, again.decisions, again.replayed) == (None, (), True)
    assert again.row is not None and posted.row is not None
    assert again.row == posted.row  # the same row again, at the state's position: a no-op upsert
