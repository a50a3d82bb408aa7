"""Use case: a sponsor's bulk enrollment file, row by row, into enrollments or rejections.

Pure: rows come in as text fields (from CSV or JSON lines), outcomes go out as values: a valid
row as an Enrollment, a bad one as every Problem found in it. services/app/import_batch.py
screens the valid rows against who is enrolled already and makes the events; the shell
(claims/imports/command.py) does the I/O. The problems never show a clear NIK (only its last 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple, TypeVar

from services.app import import_fields as f
from services.rules import Category, Program, may_hold
from services.rules.identity import (
    FEMALE_DAY_OFFSET,
    PROVINCES,
    birth_date_candidates,
    is_female,
    validate_nik,
)

REQUIRED_COLUMNS = (
    "kpj",
    "nik",
    "name",
    "birth_date",
    "category",
    "programs",
    "wage",
    "enrolled_on",
    "work_unit",
)
OPTIONAL_COLUMNS = ("sex", "employer_npp", "jkk_risk_class")
EARLIEST_BIRTH = date(1900, 1, 1)
MANDATORY = (Program.JKK.value, Program.JKM.value)
_PU = Category.PU.value
_ALLOWED = {c.value: frozenset(p.value for p in Program if may_hold(c, p)) for c in Category}
RawRow = Mapping[str, str | None]
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One line of the rejection report: the row, the field, the value as given, the reason."""

    row: int
    field: str
    value: str
    reason: str


class Enrollment(NamedTuple):
    """A valid row, normalised: what one ParticipantEnrolled event will carry.

    A NamedTuple rather than a frozen dataclass: built once per row (250,000 a file), it is
    several times cheaper to create, and just as immutable."""

    row: int
    kpj: str
    nik: str
    name: str
    birth_date: date
    category: str
    programs: tuple[str, ...]
    wage: int
    enrolled_on: date
    work_unit: str
    employer_npp: str | None = None
    jkk_risk_class: int | None = None


@dataclass(frozen=True)
class Rejected:
    """A row that will not be published, with every problem found in it."""

    row: int
    problems: tuple[Problem, ...]


RowOutcome = Enrollment | Rejected


class _Row:
    """Collects one row's values and problems (local to read_row, never escapes)."""

    __slots__ = ("problems", "raw", "row")

    def __init__(self, row: int, raw: RawRow) -> None:
        self.row, self.raw, self.problems = row, raw, list[Problem]()

    def text(self, field: str, required: bool = True) -> str:
        value = (self.raw.get(field) or "").strip()
        if not value and required:
            self.fail(field, "", "is required")
        return value

    def fail(self, field: str, value: str, reason: str) -> None:
        shown = f.mask_nik(value) if field == "nik" else value
        self.problems.append(Problem(self.row, field, shown, reason))

    def value(
        self, field: str, parse: Callable[[str], T | f.Invalid], required: bool = True
    ) -> tuple[str, T | None]:
        """The field's text and its parsed value (None when empty or refused)."""
        text = self.text(field, required)
        if not text:
            return text, None
        parsed = parse(text)
        if isinstance(parsed, f.Invalid):
            self.fail(field, text, parsed.reason)
            return text, None
        return text, parsed


def _kpj(text: str) -> str | f.Invalid:
    return f.parse_digits(text, 11)


def _nik(text: str) -> str | f.Invalid:
    return f.parse_digits(text, 16)


def read_row(row: int, raw: RawRow, today: date) -> RowOutcome:
    """Normalise and validate one row: an Enrollment, or every problem found in it."""
    return _quick(row, raw, today) or _explained(row, raw, today)


def _quick(row: int, raw: RawRow, today: date) -> Enrollment | None:
    """The usual row at a third of the cost: every field readable, nothing to explain. None
    means "look closer": _explained then names the problems (or, if it finds none, accepts the
    row itself). Tests check that whatever this accepts, _explained accepts identically."""
    g = raw.get
    kpj = f.parse_digits((g("kpj") or "").strip(), 11)
    nik = f.parse_digits((g("nik") or "").strip(), 16)
    birth = f.parse_date((g("birth_date") or "").strip())
    sex = (g("sex") or "").strip()
    female = f.parse_sex(sex) if sex else None
    category = f.parse_category((g("category") or "").strip())
    programs = f.parse_programs((g("programs") or "").strip())
    wage = f.parse_wage((g("wage") or "").strip())
    enrolled = f.parse_date((g("enrolled_on") or "").strip())
    risk_text = (g("jkk_risk_class") or "").strip()
    risk = f.parse_risk_class(risk_text) if risk_text else None
    name = " ".join((g("name") or "").split())
    work_unit = (g("work_unit") or "").strip()
    npp = (g("employer_npp") or "").strip() or None
    if not (
        isinstance(kpj, str)
        and isinstance(nik, str)
        and isinstance(birth, date)
        and isinstance(category, str)
        and isinstance(programs, tuple)
        and isinstance(wage, int)
        and isinstance(enrolled, date)
        and not isinstance(female, f.Invalid)
        and not isinstance(risk, f.Invalid)
        and name
        and work_unit
        and (npp is not None or category != _PU)
        and EARLIEST_BIRTH <= birth <= enrolled <= today
        and _agrees(nik, birth, female)
        and _programs_fit(category, programs)
    ):
        return None
    return Enrollment(
        row, kpj, nik, name, birth, category, programs, wage, enrolled, work_unit, npp, risk
    )


def _explained(row: int, raw: RawRow, today: date) -> RowOutcome:
    """The careful path: every problem of the row is named, not only the first."""
    r = _Row(row, raw)
    _, kpj = r.value("kpj", _kpj)
    _, nik = r.value("nik", _nik)
    birth_text, birth = r.value("birth_date", f.parse_date)
    sex_text, female = r.value("sex", f.parse_sex, required=False)
    if nik is not None:
        _nik_agrees(r, nik, birth, birth_text, female, sex_text)
    if birth is not None and not EARLIEST_BIRTH <= birth <= today:
        r.fail("birth_date", birth_text, f"must be between {EARLIEST_BIRTH} and today")
    name = " ".join(r.text("name").split())
    _, category = r.value("category", f.parse_category)
    programs_text, programs = r.value("programs", f.parse_programs)
    if category is not None and programs is not None:
        _entitled(r, category, programs, programs_text)
    _, wage = r.value("wage", f.parse_wage)
    enrolled_text, enrolled = r.value("enrolled_on", f.parse_date)
    if enrolled is not None and (enrolled > today or (birth is not None and enrolled < birth)):
        r.fail("enrolled_on", enrolled_text, "must be after the birth date and not in the future")
    work_unit = r.text("work_unit")
    npp = r.text("employer_npp", required=False) or None
    if npp is None and category == _PU:
        r.fail("employer_npp", "", "a wage earner (PU) needs an employer NPP")
    _, risk = r.value("jkk_risk_class", f.parse_risk_class, required=False)
    if r.problems:
        return Rejected(row, tuple(r.problems))
    assert kpj and nik and birth and category and programs and wage and enrolled  # no problems
    return Enrollment(
        row, kpj, nik, name, birth, category, programs, wage, enrolled, work_unit, npp, risk
    )


def _nik_agrees(
    r: _Row, nik: str, birth: date | None, birth_text: str, female: bool | None, sex_text: str
) -> None:
    """NIK format (province, a real DDMMYY with women's day + 40, serial not 0000),
    then agreement with the row's birth date and sex."""
    if birth is not None and _agrees(nik, birth, female):
        return  # the usual case, without building the NIK's candidate dates
    for problem in validate_nik(nik):
        reason = {
            "province": f"unknown province code {problem.value} in the NIK",
            "birth_date": "the birth date in the NIK (DDMMYY, women: day + 40) is not a real date",
            "serial": "the NIK's serial must not be 0000",
        }.get(problem.field, problem.reason)
        r.fail("nik", nik, reason)
    candidates = birth_date_candidates(nik)
    if birth is not None and candidates and birth not in candidates:
        r.fail(
            "birth_date",
            birth_text,
            "does not match the birth date in the NIK (digits 7-12, women: day + 40)",
        )
    if female is not None and candidates and is_female(nik) != female:
        r.fail("sex", sex_text, "disagrees with the NIK (women's NIKs carry the birth day + 40)")


@lru_cache(maxsize=1024)
def _programs_fit(category: str, programs: tuple[str, ...]) -> bool:
    """JKK and JKM present, and every program allowed to the category (see _entitled)."""
    return all(p in programs for p in MANDATORY) and _ALLOWED[category].issuperset(programs)


def _agrees(nik: str, birth: date, female: bool | None) -> bool:
    """True when the NIK is well formed and encodes exactly this birth date (and sex)."""
    day = int(nik[6:8])
    return (
        nik[8:12] == f"{birth.month:02d}{birth.year % 100:02d}"
        and (day == birth.day or day == birth.day + FEMALE_DAY_OFFSET)
        and (female is None or (day > FEMALE_DAY_OFFSET) == female)
        and nik[:2] in PROVINCES
        and nik[12:] != "0000"
    )


def _entitled(r: _Row, category: str, programs: tuple[str, ...], text: str) -> None:
    """JKK and JKM are mandatory for everyone; the category must be allowed each program
    (PP 45/2015: no JP for BPU)."""
    missing = [p for p in MANDATORY if p not in programs]
    if missing:
        r.fail("programs", text, f"must include {' and '.join(missing)} (mandatory for everyone)")
    refused = [p for p in programs if p not in _ALLOWED[category]]
    if refused:
        r.fail("programs", text, f"category {category} may not hold {', '.join(refused)}")


def check_rows(rows: Iterable[tuple[int, RawRow] | Problem], today: date) -> Iterator[RowOutcome]:
    """Every row's outcome, in file order. A NIK or KPJ already taken by an earlier valid row
    rejects the later row (the first occurrence wins: the same person listed twice). A row the
    reader could not even split into fields arrives as its Problem and is rejected as such."""
    by_nik: dict[str, int] = {}
    by_kpj: dict[str, int] = {}
    for item in rows:
        if isinstance(item, Problem):
            yield Rejected(item.row, (item,))
            continue
        outcome = read_row(item[0], item[1], today)
        if isinstance(outcome, Enrollment):
            first_nik, first_kpj = by_nik.get(outcome.nik), by_kpj.get(outcome.kpj)
            if first_nik is not None or first_kpj is not None:
                outcome = Rejected(outcome.row, _duplicates(outcome, first_nik, first_kpj))
            else:
                by_nik[outcome.nik] = by_kpj[outcome.kpj] = outcome.row
        yield outcome


def _duplicates(e: Enrollment, first_nik: int | None, first_kpj: int | None) -> tuple[Problem, ...]:
    found = []
    if first_nik is not None:
        found.append(
            Problem(e.row, "nik", f.mask_nik(e.nik), f"duplicate NIK: already on row {first_nik}")
        )
    if first_kpj is not None:
        found.append(Problem(e.row, "kpj", e.kpj, f"duplicate KPJ: already on row {first_kpj}"))
    return tuple(found)
