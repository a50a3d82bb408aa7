"""Tolerant readers of one field of a sponsor's enrollment file: a value, or an Invalid reason.

Messy lists are normal (informal-sector lists are collected "by name, by address", typed into
spreadsheets): the readers forgive what cannot change the meaning (surrounding whitespace, case,
the usual date spellings, thousands separators, a spreadsheet's text marker) and refuse what
could (a digit too few, an impossible date, a fraction of a Rupiah, an unknown program).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from services.rules import Category, Program


@dataclass(frozen=True)
class Invalid:
    """Why a field's value was refused (the reason is shown to the sponsor)."""

    reason: str


# Digits are ASCII [0-9], never `\d` (which also takes full-width '１' and Arabic-Indic '١'
# digits: int() reads them, so a date or wage typed in them would pass unnoticed), and every
# pattern is used with fullmatch.
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{2,4})")
_ISO = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_NAMED = re.compile(r"([0-9]{1,2})[\s\-]+([^\W\d_]+)\.?[\s\-]+([0-9]{2,4})")
# Indonesian and English month names and their usual abbreviations (Agt/Ags/Agu, Nop, Des, ...).
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "pebruari", "feb", "peb"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "ags", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nopember", "nov", "nop"),
            ("desember", "december", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}
# Pure readers of values that repeat a lot within one file (dates, wages, codes): cached.
_CACHE = 1 << 16
DATE_FORMATS = "YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or '17 Mei 1990'"


def _real(year: str, month: int, day: int) -> date | Invalid:
    if len(year) != 4:
        return Invalid(f"the year must have 4 digits ({DATE_FORMATS})")
    try:
        return date(int(year), month, day)
    except ValueError:
        return Invalid("not a real date")


@lru_cache(maxsize=_CACHE)
def parse_date(raw: str) -> date | Invalid:
    """A date written the ISO way or day first (the Indonesian convention: 05/06/1990 is 5 June);
    month names in Indonesian or English. Two-digit years are refused: the century matters."""
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass  # e.g. 1990-02-30: the general path names the reason
    if m := _ISO.fullmatch(raw):
        return _real(m[1], int(m[2]), int(m[3]))
    if m := _DAY_FIRST.fullmatch(raw):
        return _real(m[3], int(m[2]), int(m[1]))
    if m := _NAMED.fullmatch(raw):
        month = _MONTHS.get(m[2].lower())
        if month is None:
            return Invalid(f"unknown month name {m[2]!r}")
        return _real(m[3], month, int(m[1]))
    return Invalid(f"not a date: use {DATE_FORMATS}")


_CURRENCY = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)
_GROUPED = re.compile(r"[0-9]{1,3}(?:([.,\s])[0-9]{3})(?:\1[0-9]{3})*")
_ZERO_WAGE = "must be more than 0 (the declared monthly wage or income)"
_FRACTION = re.compile(r"(.*[0-9])([.,])([0-9]{1,2})")


@lru_cache(maxsize=_CACHE)
def parse_wage(raw: str) -> int | Invalid:
    """Whole Rupiah: '2500000', '2.500.000', '2,500,000', 'Rp 2.500.000', '2.500.000,00'.

    A separator followed by exactly three digits groups thousands; one or two trailing digits
    are a fraction, accepted only when zero (money is whole Rupiah, never a float)."""
    if raw.isascii() and raw.isdigit():
        return int(raw) if raw.strip("0") else Invalid(_ZERO_WAGE)
    text = _CURRENCY.sub("", raw.replace("\u00a0", " ")).strip()
    negative = text.startswith("-")
    text = text.removeprefix("-").strip()
    whole, fraction = text, ""
    # "1.000.00" uses one separator for both jobs: ambiguous, so not read as a fraction.
    if (m := _FRACTION.fullmatch(text)) and m[2] not in m[1]:
        whole, fraction = m[1], m[3]
    if whole.isascii() and whole.isdigit():
        amount = int(whole)
    elif _GROUPED.fullmatch(whole):
        amount = int(re.sub(r"[^0-9]", "", whole))
    else:
        return Invalid("not a whole number of Rupiah")
    if fraction.strip("0"):
        return Invalid("fractions of a Rupiah are not allowed")
    if negative:
        return Invalid("must not be negative")
    if amount == 0:
        return Invalid(_ZERO_WAGE)
    return amount


def parse_digits(raw: str, length: int) -> str | Invalid:
    """An identifier of exactly `length` digits; a spreadsheet's leading text marker (') is
    dropped, nothing else: a digit lost or added is an error, never guessed."""
    text = raw.removeprefix("'")
    if len(text) == length and text.isascii() and text.isdigit():
        return text
    if "e+" in text.lower():
        return Invalid(
            f"must be exactly {length} digits: the spreadsheet turned it into a number"
            " (format the column as text)"
        )
    if text.isascii() and text.isdigit():
        return Invalid(f"must be exactly {length} digits, found {len(text)}")
    if any(c.isdigit() for c in text) and not text.isascii():
        return Invalid(
            f"must be exactly {length} ASCII digits (0-9), no other characters"
            " (found full-width or other non-ASCII digits)"
        )
    return Invalid(f"must be exactly {length} digits, no other characters")


_CATEGORIES = {c.value: c.value for c in Category}


@lru_cache(maxsize=_CACHE)
def parse_category(raw: str) -> str | Invalid:
    """PU, BPU, JAKON or PMI, in any case."""
    found = _CATEGORIES.get(raw.upper())
    if found is None:
        return Invalid(f"unknown category: expected one of {', '.join(_CATEGORIES)}")
    return found


_PROGRAMS = {p.value: p.value for p in Program}
_PROGRAM_SPLIT = re.compile(r"[\s,;/|+]+")


@lru_cache(maxsize=_CACHE)
def parse_programs(raw: str) -> tuple[str, ...] | Invalid:
    """Program codes separated by commas, semicolons, slashes, '+' or spaces, in any case;
    a code listed twice counts once."""
    codes = [c for c in _PROGRAM_SPLIT.split(raw.upper()) if c]
    if not codes:
        return Invalid("at least one program is required")
    unknown = [c for c in codes if c not in _PROGRAMS]
    if unknown:
        hint = " (JKN is BPJS Kesehatan's health program)" if "JKN" in unknown else ""
        return Invalid(
            f"unknown program {', '.join(unknown)}{hint}: expected {', '.join(_PROGRAMS)}"
        )
    return tuple(dict.fromkeys(codes))


_SEX = {
    **dict.fromkeys(("L", "LK", "LAKI-LAKI", "LAKI LAKI", "PRIA", "M", "MALE"), False),
    **dict.fromkeys(("P", "PR", "PEREMPUAN", "WANITA", "W", "F", "FEMALE"), True),
}


@lru_cache(maxsize=_CACHE)
def parse_sex(raw: str) -> bool | Invalid:
    """True for a woman: L/P (laki-laki/perempuan), M/F, or the words, in any case."""
    found = _SEX.get(raw.upper())
    if found is None:
        return Invalid("unknown sex: use L (laki-laki) or P (perempuan)")
    return found


def parse_risk_class(raw: str) -> int | Invalid:
    """JKK risk class 1 to 5 (PP 44/2015 Pasal 16)."""
    if raw in ("1", "2", "3", "4", "5"):
        return int(raw)
    return Invalid("must be 1 to 5 (PP 44/2015 Pasal 16)")


def mask_nik(raw: str) -> str:
    """A NIK as the rejection report shows it: every character but the last 4 hidden."""
    return "*" * max(len(raw) - 4, 0) + raw[-4:] if len(raw) > 4 else "*" * len(raw)
