"""NIK (Indonesian national identity number) validation: problems as values, never raised."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Province codes (Kemendagri), including the 2022 Papua provinces (93-96; those NIKs are still
# mostly issued under 91/92).
PROVINCES = frozenset(
    str(code)
    for code in (11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
                 61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96)
)  # fmt: skip
# ASCII digits only, matched with fullmatch: `\d` also takes full-width and Arabic-Indic digits,
# and `$` matches before a final newline, either of which would enrol a second pseudonym.
NIK_PATTERN = re.compile(r"([0-9]{2})" * 6 + r"([0-9]{4})")  # PP KK CC DD MM YY SSSS
NIK_FORMAT = "must be exactly 16 ASCII digits (0-9)"
FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a NIK: the field, the value found and why it is wrong."""

    field: str
    value: str
    reason: str


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birth_date_candidates(nik: str) -> tuple[date, ...]:
    """The birth dates the NIK can mean (19yy and 20yy); women's days have +40 removed."""
    match = NIK_PATTERN.fullmatch(nik)
    if match is None:
        return ()
    dd, mm, yy = (int(g) for g in match.groups()[3:6])
    day = dd - FEMALE_DAY_OFFSET if dd > FEMALE_DAY_OFFSET else dd
    found = (_real_date(century + yy, mm, day) for century in (1900, 2000))
    return tuple(d for d in found if d is not None)


def is_female(nik: str) -> bool:
    """Women's NIKs carry the birth day + 40 (41-71)."""
    return int(nik[6:8]) > FEMALE_DAY_OFFSET


def validate_nik(
    nik: str, birth_date: date | None = None, female: bool | None = None
) -> tuple[Problem, ...]:
    """Check a NIK: 16 digits split PP KK CC DDMMYY SSSS, a known province, a real birth date
    (+40 days for women), serial not 0000, and agreement with a known birth date and sex (the
    birth date fixes the century). There is no check digit (Dukcapil)."""
    match = NIK_PATTERN.fullmatch(nik)
    if match is None:
        return (Problem("nik", "<redacted>", NIK_FORMAT),)
    province, _, _, dd, mm, yy, serial = match.groups()
    problems = []
    if province not in PROVINCES:
        problems.append(Problem("province", province, "unknown province code"))
    candidates = birth_date_candidates(nik)
    if not candidates:
        problems.append(Problem("birth_date", f"{dd}{mm}{yy}", "not a real date (women: day + 40)"))
    if serial == "0000":
        problems.append(Problem("serial", serial, "serial must not be 0000"))
    if birth_date is not None and candidates and birth_date not in candidates:
        problems.append(Problem("birth_date", f"{dd}{mm}{yy}", f"does not match {birth_date}"))
    if female is not None and is_female(nik) != female:
        problems.append(Problem("sex", dd, "day code disagrees with the stated sex"))
    return tuple(problems)
