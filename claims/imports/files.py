"""Reading a sponsor's enrollment file (CSV or JSON lines) and writing its rejection report.

Rows come out as (row number, {column: text}); the row number is the line a spreadsheet or an
editor shows (CSV: the header is row 1, the first person row 2). A file that cannot be read at
all (missing, not UTF-8, no header, a required column missing) raises UnreadableFile, naming
the file and what is wrong; a single bad row is the rows' business, not the file's.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from services.app.import_rows import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Problem, RawRow

FORMATS = ("csv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_DELIMITERS = (",", ";", "\t", "|")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
Row = tuple[int, RawRow]


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (exit code 2); the message names file and cause."""


@dataclass(frozen=True)
class Source:
    """An opened enrollment file: its format, size in lines, content hash and columns."""

    path: Path
    format: str
    lines: int
    sha256: str
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    delimiter: str = ","

    def rows(self) -> Iterator[Row | Problem]:
        """Every data row, or a Problem for a row whose structure is broken."""
        with _open_text(self.path) as handle:
            if self.format == "csv":
                yield from _csv_rows(handle, self.delimiter, self.columns)
            else:
                yield from _jsonl_rows(handle)


def file_format(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UnreadableFile(
            f"{path}: cannot tell the format from the extension {path.suffix!r}:"
            " use .csv or .jsonl, or --format csv|jsonl"
        )
    return found


def open_source(path: Path, given_format: str | None = None) -> Source:
    """Check the file can be read and has the required columns; count lines, hash content."""
    fmt = file_format(path, given_format)
    lines, digest = _scan(path)
    with _open_text(path) as handle:
        try:
            first = handle.readline()
        except UnicodeDecodeError as e:
            raise UnreadableFile(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    if not first.strip():
        raise UnreadableFile(f"{path}: the file is empty (no header line)")
    if fmt == "jsonl":
        return Source(path, fmt, lines, digest, KNOWN_COLUMNS, ())
    delimiter = max(_DELIMITERS, key=first.count)
    header = tuple(_column(c) for c in next(csv.reader([first], delimiter=delimiter)))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UnreadableFile(
            f"{path}: missing column(s) {', '.join(missing)}; the header has"
            f" {', '.join(header) or 'nothing'} (required: {', '.join(REQUIRED_COLUMNS)})"
        )
    doubled = sorted({c for c in header if header.count(c) > 1 and c})
    if doubled:
        raise UnreadableFile(f"{path}: column(s) {', '.join(doubled)} appear more than once")
    ignored = tuple(c for c in header if c not in KNOWN_COLUMNS)
    return Source(path, fmt, lines, digest, header, ignored, delimiter)


def _open_text(path: Path) -> IO[str]:
    try:
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark. newline="" lets the
        # csv module see quoted line breaks.
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise UnreadableFile(f"{path}: cannot open: {e.strerror or e}") from e


def _scan(path: Path) -> tuple[int, str]:
    """Lines (for the progress bar) and the SHA-256 of the bytes (for the default batch id)."""
    digest, lines = hashlib.sha256(), 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                lines += chunk.count(b"\n")
    except OSError as e:
        raise UnreadableFile(f"{path}: cannot read: {e.strerror or e}") from e
    return lines, digest.hexdigest()


def _column(name: str) -> str:
    """'Birth Date ' -> 'birth_date': header names are forgiven their case and spacing."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def _csv_rows(handle: IO[str], delimiter: str, header: Sequence[str]) -> Iterator[Row | Problem]:
    reader = csv.reader(handle, delimiter=delimiter)
    width = len(header)
    start = 1
    try:
        next(reader)  # the header, already checked
        start = reader.line_num + 1
        for values in reader:
            row, start = start, reader.line_num + 1
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # blank line
            if len(values) != width:
                yield Problem(
                    row,
                    "row",
                    f"{len(values)} fields",
                    f"the header has {width} fields (an unquoted {delimiter!r} in a value?)",
                )
                continue
            yield row, dict(zip(header, values, strict=True))
    except UnicodeDecodeError as e:
        raise UnreadableFile(f"{handle.name}: not UTF-8 text after row {start - 1}") from e
    except csv.Error as e:
        raise UnreadableFile(f"{handle.name}: row {start}: {e}") from e


def _jsonl_rows(handle: IO[str]) -> Iterator[Row | Problem]:
    row = 0
    try:
        for row, line in enumerate(handle, start=1):  # row is read after the loop
            if not line.strip():
                continue
            try:
                loaded = json.loads(line)
            except json.JSONDecodeError as e:
                yield Problem(row, "row", "", f"not valid JSON: {e.msg} at column {e.colno}")
                continue
            if not isinstance(loaded, dict):
                yield Problem(row, "row", "", "each line must be one JSON object")
                continue
            yield row, {str(k).strip().lower(): _text(v) for k, v in loaded.items()}
    except UnicodeDecodeError as e:
        raise UnreadableFile(f"{handle.name}: not UTF-8 text after line {row}") from e


def _text(value: Any) -> str | None:
    """JSON values as the text a CSV cell would hold; lists (programs) joined by commas."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


# -- the rejection report ----------------------------------------------------------------------

REPORT_COLUMNS = ("row", "field", "value", "reason")


class Report:
    """The rejection report: CSV, one line per problem (a row may have several), in row order.

    It goes back to the sponsor who supplied the data, so values are shown as given, except the
    NIK: only its last 4 digits (services.app.import_fields.mask_nik)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._handle = path.open("w", encoding="utf-8", newline="")
        except OSError as e:
            raise UnreadableFile(f"cannot write the report {path}: {e.strerror or e}") from e
        self._writer = csv.writer(self._handle)
        self._writer.writerow(REPORT_COLUMNS)
        self.problems = 0
        self.rows: set[int] = set()

    def write(self, problems: Sequence[Problem]) -> None:
        for p in sorted(problems, key=lambda p: p.row):
            self._writer.writerow((p.row, p.field, p.value, p.reason))
            self.rows.add(p.row)
        self.problems += len(problems)

    def close(self) -> None:
        self._handle.close()


def read_report(path: Path) -> list[dict[str, str]]:
    """The report's lines as dicts (for tests and tools)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
