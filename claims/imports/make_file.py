"""`claims make-import-file`: a realistic sponsor enrollment file, with known bad rows.

Writes OUT (CSV or JSON lines, by extension) and OUT.expected.json: for every deliberately bad
row its row number (as the import reports it), kind, field and a phrase of the reason, so the
import's rejection report can be checked against it (simulator/import_file.py).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from claims.imports.files import file_format
from simulator.import_file import COLUMNS, import_rows


def truth_path(out: Path) -> Path:
    return out.with_name(out.name + ".expected.json")


def write_import_file(
    out: Path,
    rows: int,
    work_units: int,
    bad_fraction: float,
    seed: int,
    fmt: str | None = None,
    truth: Path | None = None,
) -> dict[str, Any]:
    """Write the file and its truth; returns the truth document."""
    kind = file_format(out, fmt)
    generated = import_rows(rows, work_units, bad_fraction, seed)
    first_row = 2 if kind == "csv" else 1  # CSV: the header is row 1
    with out.open("w", encoding="utf-8", newline="") as handle:
        if kind == "csv":
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows([row[c] for c in COLUMNS] for row in generated.rows)
        else:
            for row in generated.rows:
                handle.write(json.dumps(_json_row(row), ensure_ascii=False) + "\n")
    document = {
        "file": str(out),
        "format": kind,
        "seed": seed,
        "sponsor_id": generated.sponsor_id,
        "rows": rows,
        "work_units": work_units,
        "valid_rows": rows - len(generated.bad),
        "bad": [
            {"row": b.index + first_row, "kind": b.kind, "field": b.field, "reason": b.reason}
            for b in generated.bad
        ],
        "valid_kpjs": generated.valid_kpjs(),
    }
    (truth or truth_path(out)).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return document


def _json_row(row: dict[str, str]) -> dict[str, Any]:
    """JSON lines carry numbers and lists where a system would: the wage as a number when it is
    one, the programs as a list when they are plainly separated."""
    out: dict[str, Any] = {c: row[c] for c in COLUMNS if row[c] != ""}
    if row["wage"].isdigit():
        out["wage"] = int(row["wage"])
    if row["programs"] == "JKK;JKM":
        out["programs"] = ["JKK", "JKM"]
    return out
