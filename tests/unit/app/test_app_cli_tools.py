"""`claims import`, `make-import-file`, `readjudicate` and `employer`: help, usage errors and
exit codes that need no Kafka or PostgreSQL (the rest is in tests/integration)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from claims.cli import main


@pytest.fixture(autouse=True)
def _keep_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["claims"])
    monkeypatch.setenv("NIK_HASH_KEY", "cli-tools-test-key-0123456789")


@pytest.mark.parametrize("command", ["import", "make-import-file", "readjudicate", "employer"])
def test_every_new_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: claims " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["import", "x.csv"],  # no --sponsor-id
        ["import", "x.csv", "--sponsor-id", "has space"],
        ["import", "x.csv", "--sponsor-id", "s", "--format", "xlsx"],
        ["make-import-file", "out.csv", "--bad-fraction", "2"],
        ["make-import-file", "out.csv", "--rows", "0"],
        ["make-import-file", "out.csv", "--rows", "１０"],  # full-width digits are not a number
        ["readjudicate", "--from", "2024-01-01"],
        ["readjudicate", "--from", "01/01/2024", "--to", "2024-12-31"],
        ["readjudicate", "--from", "2024-01-01", "--to", "2024-12-31", "--program", "JKN"],
        ["employer"],  # no NPP
        ["employer", "NPP 1"],
        ["employer", "12345678", "--on", "20/06/2025"],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_importing_a_missing_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.csv"
    assert main(["import", str(missing), "--sponsor-id", "pemprov-dki"]) == 2
    assert f"claims import: {missing}: cannot read" in capsys.readouterr().err


def test_importing_a_file_without_a_required_column_exits_2_naming_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "workers.csv"
    path.write_text("kpj,nama\n16123456789,Siti\n", encoding="utf-8")
    assert main(["import", str(path), "--sponsor-id", "pemprov-dki"]) == 2
    err = capsys.readouterr().err
    assert "workers.csv: missing column(s) nik, name, birth_date" in err


def test_make_import_file_writes_the_file_and_its_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "workers.csv"
    args = ["--rows", "300", "--work-units", "3", "--bad-fraction", "0.1", "--seed", "7"]
    assert main(["make-import-file", str(out), *args]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["bad_rows"], summary["valid_rows"]) == (300, 30, 270)
    truth = json.loads((tmp_path / "workers.csv.expected.json").read_text())
    assert len(truth["bad"]) == 30 and min(b["row"] for b in truth["bad"]) >= 12
    assert len(out.read_text().splitlines()) == 301


def test_make_import_file_refuses_more_units_than_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["make-import-file", "x.csv", "--rows", "5", "--work-units", "6"]) == 2
    assert "--work-units must not exceed --rows" in capsys.readouterr().err


def test_readjudicate_refuses_a_range_that_ends_before_it_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["readjudicate", "--from", "2025-01-01", "--to", "2024-01-01"]) == 2
    assert "--from 2025-01-01 is after --to 2024-01-01" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"no.such.rule": 1}', "override for unknown rule 'no.such.rule'"),
        ('{"jkk.transport_cap.LAND": 1.5}', "is not a int"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_readjudicate_refuses_a_bad_overrides_file_naming_it_and_the_cause(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "overrides.json"
    path.write_text(content, encoding="utf-8")
    argv = ["readjudicate", "--from", "2024-01-01", "--to", "2024-12-31"]
    assert main([*argv, "--rules-overrides", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err


def test_employer_refuses_a_bad_overrides_file_before_reading_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("RULES_OVERRIDES_FILE", str(bad))
    monkeypatch.setenv("DATABASE_URL", "postgresql://claims:secret@127.0.0.1:9/claims")
    assert main(["employer", "12345678"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"claims employer: RULES_OVERRIDES_FILE={bad}: not JSON")
