"""The generated enrollment file: deterministic, realistic, and honest about its bad rows."""

from __future__ import annotations

from collections import Counter
from datetime import date

from simulator_checks import nik_problem

from services.app import import_rows as core
from simulator.import_file import BAD_KINDS, import_rows

TODAY = date(2026, 11, 21)


def test_the_same_seed_gives_the_same_file_and_another_seed_another() -> None:
    assert import_rows(500, 5, 0.02, 1) == import_rows(500, 5, 0.02, 1)
    assert import_rows(500, 5, 0.02, 1).rows != import_rows(500, 5, 0.02, 2).rows


def test_the_counts_are_as_asked_and_every_bad_kind_appears() -> None:
    generated = import_rows(5000, 50, 0.01, 3)
    assert len(generated.rows) == 5000 and len(generated.bad) == 50
    assert set(Counter(b.kind for b in generated.bad)) == set(BAD_KINDS)
    units = {r["work_unit"].strip() for r in generated.rows} - {""}
    assert len(units) == 50


def test_clean_people_carry_valid_niks_that_agree_with_their_birth_dates() -> None:
    generated = import_rows(2000, 10, 0.0, 5)
    for r in generated.rows:
        outcome = core.read_row(2, r, TODAY)
        assert isinstance(outcome, core.Enrollment)
        assert nik_problem(outcome.nik, outcome.birth_date) is None


def test_every_bad_row_is_rejected_for_its_reason_and_no_other_row_is() -> None:
    generated = import_rows(3000, 30, 0.02, 6)
    rejected = {
        o.row - 2: o
        for o in core.check_rows(enumerate(generated.rows, start=2), TODAY)
        if isinstance(o, core.Rejected)
    }
    assert set(rejected) == {b.index for b in generated.bad}
    for bad in generated.bad:
        found = [(p.field, p.reason) for p in rejected[bad.index].problems]
        assert any(f == bad.field and bad.reason in r for f, r in found), (bad, found)


def test_the_valid_kpjs_are_the_rows_that_must_be_published() -> None:
    generated = import_rows(1000, 10, 0.02, 8)
    published = [
        o.kpj
        for o in core.check_rows(enumerate(generated.rows, start=2), TODAY)
        if isinstance(o, core.Enrollment)
    ]
    assert published == generated.valid_kpjs()
