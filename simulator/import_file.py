"""A sponsor's enrollment file as people type it: the Jakarta BPU population, messy but valid
rows, and deliberately bad rows whose row, field and reason are known up front.

`import_rows(rows, work_units, bad_fraction, seed)` returns the rows (column -> text, in file
order) and the truth about every bad row, so a test can check that each one is reported with
its reason and every other row is published. People come from the simulator's own engine (the
jakarta-2016 sponsored BPU cohort: 250,000 contract workers of Pemprov DKI in 300 work units),
so names, NIKs (region, birth date, women + 40) and KPJs are realistic and consistent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Any

from simulator import reference as ref
from simulator.engine import Scenario
from simulator.model import Cohort, Place, ScenarioSpec, Unit

COLUMNS = (
    "kpj",
    "nik",
    "name",
    "sex",
    "birth_date",
    "category",
    "programs",
    "wage",
    "enrolled_on",
    "work_unit",
    "employer_npp",
    "jkk_risk_class",
)
SPONSOR_ID = "pemprov-dki"
# NIK serials of the file's people start above the scenarios' (which count up from 0001 per
# region and birth date), so a file imported beside `make run` data is not all duplicates, and
# 50 apart per seed (mod 98), so files of different seeds are different people.
_SERIAL_OFFSET = 5_000
_MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]

# Every kind of bad row: the field the report must name and a phrase its reason must contain.
BAD_KINDS: dict[str, tuple[str, str]] = {
    "nik_15_digits": ("nik", "16 digits"),
    "nik_spreadsheet_number": ("nik", "16 digits"),
    "nik_unknown_province": ("nik", "province"),
    "nik_birth_date_mismatch": ("birth_date", "does not match"),
    "sex_disagrees_with_nik": ("sex", "disagrees"),
    "duplicate_nik": ("nik", "duplicate NIK"),
    "duplicate_kpj": ("kpj", "duplicate KPJ"),
    "repeated_row": ("nik", "duplicate NIK"),
    "kpj_10_digits": ("kpj", "11 digits"),
    "missing_name": ("name", "required"),
    "impossible_birth_date": ("birth_date", "not a real date"),
    "unreadable_enrolled_on": ("enrolled_on", "not a date"),
    "negative_wage": ("wage", "negative"),
    "wage_in_words": ("wage", "not a whole number"),
    "unknown_program": ("programs", "unknown program"),
    "program_not_allowed": ("programs", "may not hold"),
    "unknown_category": ("category", "unknown category"),
    "missing_work_unit": ("work_unit", "required"),
}
_NEEDS_EARLIER_ROW = frozenset({"duplicate_nik", "duplicate_kpj", "repeated_row"})


@dataclass(frozen=True)
class BadRow:
    """A deliberately bad row: its index among the data rows, kind, field and reason phrase."""

    index: int
    kind: str
    field: str
    reason: str


@dataclass(frozen=True)
class ImportFile:
    """The rows of a generated file (text values, file order) and the truth about the bad ones."""

    rows: tuple[dict[str, str], ...]
    bad: tuple[BadRow, ...]
    sponsor_id: str = SPONSOR_ID

    def valid_kpjs(self) -> list[str]:
        """KPJs of the rows that must be published (file order)."""
        bad = {b.index for b in self.bad}
        return [r["kpj"].strip().removeprefix("'") for i, r in enumerate(self.rows) if i not in bad]


def people(rows: int, work_units: int, seed: int) -> Iterator[dict[str, Any]]:
    """ParticipantEnrolled records of a Jakarta-like sponsored BPU cohort, from the engine."""
    regencies = [(c, v) for c, v in ref.JAKARTA_REGENCIES.items() if c != "01"]
    sizes = [rows // work_units + (u < rows % work_units) for u in range(work_units)]
    units = tuple(
        Unit(
            f"import-{seed}-{u + 1:03d}",
            n,
            "31",
            (Place(code, 1, districts),),
            (f"pemprov-dki/ukpd-{u + 1:03d}",),
            slug,
            "sponsor-import",
        )
        for u, (n, (code, (slug, districts))) in enumerate(
            zip(sizes, (regencies[u % len(regencies)] for u in range(work_units)), strict=True)
        )
        if n
    )
    cohort = Cohort(
        "import-file",
        "BPU",
        ("JKK", "JKM"),
        (),
        (date(2016, 3, 1),),
        units,
        "SPONSOR",
        (19, 48),
        40,
        "bpu-min",
        sponsor_id=SPONSOR_ID,
    )
    spec = ScenarioSpec(
        "import-file", "", ref.JAKARTA_AS_OF, date(2024, 1, 1), date(2024, 1, 1), (), (cohort,), {}
    )
    for _topic, _key, schema, record in Scenario(spec, seed).events():
        if schema == "bpjs.enrollment.ParticipantEnrolled":
            yield record
        elif schema != "bpjs.enrollment.EnrollmentBatchCompleted":
            return


def import_rows(rows: int, work_units: int, bad_fraction: float, seed: int) -> ImportFile:
    """`rows` data rows over `work_units` units; round(rows × bad_fraction) of them bad, every
    kind in turn; about one valid row in six written messily (all of it tolerated)."""
    rng = Random(f"import-file:{seed}:rows")
    serials = _SERIAL_OFFSET + seed % 98 * 50
    out = [_clean(record, serials) for record in people(rows, work_units, seed)]
    n_bad = min(round(rows * bad_fraction), max(rows - 10, 0))
    kinds = list(BAD_KINDS)
    rng.shuffle(kinds)
    chosen = sorted(rng.sample(range(10, rows), n_bad)) if n_bad else []
    bad_at = {i: kinds[k % len(kinds)] for k, i in enumerate(chosen)}
    for i, row in enumerate(out):
        if i not in bad_at:
            out[i] = _messy(row, rng) if rng.random() < 1 / 6 else row
    bad = []
    for i, kind in bad_at.items():
        earlier = _earlier_good(rng, i, bad_at) if kind in _NEEDS_EARLIER_ROW else None
        out[i] = _spoil(out[i], kind, None if earlier is None else out[earlier])
        field, reason = BAD_KINDS[kind]
        bad.append(BadRow(i, kind, field, reason))
    return ImportFile(tuple(out), tuple(bad))


def _clean(r: dict[str, Any], serials: int) -> dict[str, str]:
    nik = r["nik"][:12] + f"{int(r['nik'][12:]) + serials:04d}"
    return {
        "kpj": r["kpj"],
        "nik": nik,
        "name": r["name"],
        "sex": "P" if int(nik[6:8]) > 40 else "L",
        "birth_date": r["birth_date"].isoformat(),
        "category": r["category"],
        "programs": ";".join(p["program"] for p in r["programs"]),
        "wage": str(r["wage"]),
        "enrolled_on": r["enrolled_on"].isoformat(),
        "work_unit": r["work_unit"] or "",
        "employer_npp": r["employer_npp"] or "",
        "jkk_risk_class": "" if r["jkk_risk_class"] is None else str(r["jkk_risk_class"]),
    }


def _day_first(iso: str, rng: Random) -> str:
    d = date.fromisoformat(iso)
    style = rng.randrange(3)
    if style == 0:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == 1:
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _messy(row: dict[str, str], rng: Random) -> dict[str, str]:
    """The same person as typed by a busy clerk: nothing here changes what the row means."""
    out = dict(row)
    wage = int(row["wage"])
    dotted = f"{wage:,}".replace(",", ".")
    for edit in rng.sample(range(10), rng.choice((1, 1, 2, 3))):
        if edit == 0:
            out["name"] = f"  {out['name'].replace(' ', '  ')} "
        elif edit == 1:
            out["category"] = out["category"].lower()
        elif edit == 2:
            out["programs"] = rng.choice(("jkk, jkm", "JKK/JKM", "Jkk Jkm", "JKM;JKK"))
        elif edit in (3, 4):
            key = "birth_date" if edit == 3 else "enrolled_on"
            out[key] = _day_first(out[key], rng)
        elif edit == 5:
            out["wage"] = rng.choice((dotted, f"{wage:,}", f"Rp {dotted},00"))
        elif edit == 6:
            out["nik"] = "'" + out["nik"]
        elif edit == 7:
            out["kpj"] = f" {out['kpj']}\u00a0"
        elif edit == 8:
            out["sex"] = {"P": "Perempuan", "L": "laki-laki"}[out["sex"]]
        else:
            out["work_unit"] = f"\t{out['work_unit']}  "
    return out


def _earlier_good(rng: Random, i: int, bad_at: dict[int, str]) -> int:
    while True:
        j = rng.randrange(i)
        if j not in bad_at:
            return j


def _spoil(row: dict[str, str], kind: str, earlier: dict[str, str] | None) -> dict[str, str]:
    out = dict(row)
    nik = out["nik"]
    if kind == "repeated_row":
        assert earlier is not None
        return dict(earlier)
    if kind in ("duplicate_nik", "duplicate_kpj"):
        assert earlier is not None
        keep = ("nik", "birth_date", "sex") if kind == "duplicate_nik" else ("kpj",)
        return out | {k: earlier[k] for k in keep}
    changes: dict[str, str] = {
        "nik_15_digits": {"nik": nik[:-1]},
        "nik_spreadsheet_number": {"nik": f"{int(nik):.5E}"},
        "nik_unknown_province": {"nik": ref.UNKNOWN_PROVINCE_CODE + nik[2:]},
        "nik_birth_date_mismatch": {"birth_date": _year_later(out["birth_date"])},
        "sex_disagrees_with_nik": {"sex": "L" if out["sex"] == "P" else "P"},
        "kpj_10_digits": {"kpj": out["kpj"][:-1]},
        "missing_name": {"name": ""},
        "impossible_birth_date": {"birth_date": f"31/02/{out['birth_date'][:4]}"},
        "unreadable_enrolled_on": {"enrolled_on": "kemarin"},
        "negative_wage": {"wage": "-" + f"{int(out['wage']):,}".replace(",", ".")},
        "wage_in_words": {"wage": "satu juta"},
        "unknown_program": {"programs": "JKK;JKM;JKN"},
        "program_not_allowed": {"programs": "JKK;JKM;JP"},
        "unknown_category": {"category": "PNS"},
        "missing_work_unit": {"work_unit": ""},
    }[kind]
    return out | changes


def _year_later(iso: str) -> str:
    d = date.fromisoformat(iso)
    return d.replace(year=d.year + 1, day=min(d.day, 28)).isoformat()
