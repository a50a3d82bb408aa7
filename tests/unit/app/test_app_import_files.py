"""Reading sponsors' files (CSV, JSON lines) and writing the rejection report."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.imports.files import Report, UnreadableFile, open_source, read_report
from services.app.import_rows import Problem

HEADER = "kpj,nik,name,birth_date,category,programs,wage,enrolled_on,work_unit"
LINE = "16123456789,3171014501900001,SITI RAHAYU,1990-01-05,BPU,JKK;JKM,1000000,2016-03-01,u-1"


def write(tmp_path: Path, text: str, name: str = "workers.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def rows(path: Path) -> list:
    return list(open_source(path).rows())


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{LINE}\n\n{LINE}\n")
    assert [n for n, _ in rows(path)] == [2, 4]


def test_a_quoted_line_break_keeps_the_following_row_numbers_right(tmp_path: Path) -> None:
    two_lines = LINE.replace("SITI RAHAYU", '"SITI\nRAHAYU"')
    found = rows(write(tmp_path, f"{HEADER}\n{two_lines}\n{LINE}\n"))
    assert [(n, r["name"]) for n, r in found] == [(2, "SITI\nRAHAYU"), (4, "SITI RAHAYU")]


def test_a_spreadsheet_s_bom_semicolons_and_header_spelling_are_forgiven(tmp_path: Path) -> None:
    header = "KPJ; NIK ;Name;Birth Date;Category;Programs;Wage;Enrolled-On;Work Unit;Alamat"
    line = LINE.replace(",", ";").replace("JKK;JKM", '"JKK;JKM"') + ";Jl. Sudirman 1"
    source = open_source(write(tmp_path, f"{header}\n{line}\n", bom=True))
    assert source.delimiter == ";"
    assert source.ignored_columns == ("alamat",)
    ((_, row),) = source.rows()
    assert (row["kpj"], row["programs"], row["birth_date"]) == (
        "16123456789",
        "JKK;JKM",
        "1990-01-05",
    )


def test_a_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER.replace(',work_unit', '')}\n")
    with pytest.raises(UnreadableFile, match=r"workers\.csv: missing column\(s\) work_unit"):
        open_source(path)


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="nik appear more than once"):
        open_source(write(tmp_path, f"{HEADER},NIK\n"))


def test_a_row_with_too_many_fields_is_a_problem_of_that_row(tmp_path: Path) -> None:
    shifted = LINE.replace("SITI RAHAYU", "RAHAYU, SITI")
    (problem,) = rows(write(tmp_path, f"{HEADER}\n{shifted}\n"))
    assert problem == Problem(
        2, "row", "10 fields", "the header has 9 fields (an unquoted ',' in a value?)"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "the file is empty"),
        ("workers.xlsx", HEADER, "cannot tell the format from the extension '.xlsx'"),
        ("latin1.csv", "kpj,nama\n16123456789,J\xe9r\xf4me\n", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_its_name_and_cause(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(UnreadableFile, match=message) as error:
        open_source(path)
    assert name in str(error.value)


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"nowhere\.csv: cannot read"):
        open_source(tmp_path / "nowhere.csv")


def test_json_lines_carry_numbers_and_lists_as_text(tmp_path: Path) -> None:
    text = (
        '{"KPJ": "16123456789", "nik": "3171014501900001", "wage": 1000000, '
        '"programs": ["JKK", "JKM"], "jkk_risk_class": null}\n'
        "\n"
        "not json\n"
        "[1, 2]\n"
    )
    first, bad_json, not_object = rows(write(tmp_path, text, "workers.jsonl"))
    assert first == (
        1,
        {"kpj": "16123456789", "nik": "3171014501900001", "wage": "1000000",
         "programs": "JKK,JKM", "jkk_risk_class": None},
    )  # fmt: skip
    assert (bad_json.row, bad_json.field) == (3, "row") and "not valid JSON" in bad_json.reason
    assert not_object == Problem(4, "row", "", "each line must be one JSON object")


def test_the_report_lists_problems_in_row_order_one_line_each(tmp_path: Path) -> None:
    report = Report(tmp_path / "report.csv")
    report.write([Problem(9, "wage", "-1", "must not be negative"),
                  Problem(3, "nik", "***********0001", "must be exactly 16 digits, found 15"),
                  Problem(9, "name", "", "is required")])  # fmt: skip
    report.close()
    assert read_report(tmp_path / "report.csv") == [
        {"row": "3", "field": "nik", "value": "***********0001",
         "reason": "must be exactly 16 digits, found 15"},
        {"row": "9", "field": "wage", "value": "-1", "reason": "must not be negative"},
        {"row": "9", "field": "name", "value": "", "reason": "is required"},
    ]  # fmt: skip
    assert (report.problems, report.rows) == (3, {3, 9})


def test_a_report_that_cannot_be_written_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot write the report"):
        Report(tmp_path / "no-such-dir" / "report.csv")
