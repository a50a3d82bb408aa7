"""Rule tables keyed by effective date, each row naming its regulation and confidence."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

RuleValue = int | Decimal | bool


class Confidence(StrEnum):
    """How sure we are of a value: confirmed, single source, derived, unconfirmed; O = set by
    configuration."""

    CONFIRMED = "C"
    SINGLE_SOURCE = "S"
    DERIVED = "D"
    UNCONFIRMED = "U"
    OVERRIDDEN = "O"


@dataclass(frozen=True)
class Row:
    """One value of a rule, in force from ``effective`` until the next row."""

    effective: date
    value: RuleValue
    regulation: str
    confidence: Confidence = Confidence.CONFIRMED


class MissingRule(LookupError):
    """A rule table or a row in force was missing: a configuration error, not an outcome."""


@dataclass(frozen=True)
class RuleSet:
    """All rule tables plus a version string that changes whenever a value changes."""

    version: str
    tables: Mapping[str, tuple[Row, ...]]

    def row(self, key: str, on: date) -> Row:
        """The row of ``key`` in force on ``on`` (the latest effective date not after it)."""
        if key not in self.tables:
            raise MissingRule(f"no rule table {key!r}")
        found: Row | None = None
        for row in self.tables[key]:  # one pass: called hundreds of times for a JP pension
            if row.effective <= on and (found is None or row.effective > found.effective):
                found = row  # strictly later only: of equal dates the first row wins, as max()
        if found is None:
            raise MissingRule(f"rule {key!r} has no row in force on {on.isoformat()}")
        return found

    def amount(self, key: str, on: date) -> int:
        """An integer rule value (Rupiah, months, days, years)."""
        value = self.row(key, on).value
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"rule {key!r} is not an integer")
        return value

    def rate(self, key: str, on: date) -> Fraction:
        """A rate rule value as an exact fraction (stored as Decimal, e.g. 0.0089)."""
        value = self.row(key, on).value
        if not isinstance(value, Decimal):
            raise TypeError(f"rule {key!r} is not a rate")
        return Fraction(value)

    def flag(self, key: str, on: date) -> bool:
        """A yes/no rule value."""
        value = self.row(key, on).value
        if not isinstance(value, bool):
            raise TypeError(f"rule {key!r} is not a flag")
        return value

    def with_overrides(self, overrides: Mapping[str, object]) -> RuleSet:
        """A copy with values replaced; the version gains a short hash of the overrides.

        A plain value replaces the whole table (in force on every date). A list of
        ``{"effective": "YYYY-MM-DD", "value": v}`` adds or replaces dated rows. Rates take
        strings or Decimal ("0.0089"); floats are refused so money never passes through float.
        """
        tables = dict(self.tables)
        for key, spec in sorted(overrides.items()):
            if key not in tables:
                raise MissingRule(f"override for unknown rule {key!r}{_nearest(key, tables)}")
            tables[key] = _apply(key, tables[key], spec)
        digest = hashlib.sha256(_canonical(overrides).encode()).hexdigest()[:10]
        return replace(self, version=f"{self.version}+{digest}", tables=MappingProxyType(tables))

    def with_json_overrides(self, text: str) -> RuleSet:
        """Overrides from a JSON object (numbers with a fraction are read as Decimal)."""
        loaded = json.loads(text, parse_float=Decimal)
        if not isinstance(loaded, dict):
            raise ValueError("rule overrides must be a JSON object")
        return self.with_overrides(loaded)


def shadowed_overrides(base: RuleSet, overrides: Mapping[str, object]) -> list[str]:
    """Dated override rows that a later built-in row cuts short, one sentence each.

    A row is in force until the next row of its table, so an override dated before built-in
    rows changes only the claims whose event date falls before those rows: usually not what
    was meant. A plain value (no dates) replaces the whole table and is never shadowed.
    """
    notes = []
    for key, spec in sorted(overrides.items()):
        if key not in base.tables or not isinstance(spec, list):
            continue
        mine = {d for item in spec if isinstance(item, dict) if (d := _effective(item))}
        builtin = sorted(row.effective for row in base.tables[key] if row.effective not in mine)
        for start in sorted(mine):
            later = [d for d in builtin if d > start]
            if not later or any(start < d < later[0] for d in mine):
                continue  # nothing follows, or your own next row ends it: as you asked
            notes.append(
                f"{key}: your row from {start.isoformat()} is in force only until"
                f" {(later[0] - timedelta(days=1)).isoformat()}: built-in rows from"
                f" {', '.join(d.isoformat() for d in later)} follow (add rows with those dates"
                " or give a plain value to replace the whole table)"
            )
    return notes


def _effective(item: Mapping[str, object]) -> date | None:
    try:
        return date.fromisoformat(str(item.get("effective")))
    except ValueError:
        return None


def _nearest(key: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _apply(key: str, rows: tuple[Row, ...], spec: object) -> tuple[Row, ...]:
    kind = type(rows[0].value)
    if not isinstance(spec, list):
        start = min(row.effective for row in rows)
        return (_override_row(key, kind, start, spec),)
    merged = {row.effective: row for row in rows}
    for item in spec:
        if not isinstance(item, dict) or set(item) != {"effective", "value"}:
            raise ValueError(f"override for {key!r}: each item needs 'effective' and 'value'")
        try:
            effective = date.fromisoformat(str(item["effective"]))
        except ValueError:
            raise ValueError(
                f"override for {key!r}: effective {item['effective']!r} is not a YYYY-MM-DD date"
            ) from None
        merged[effective] = _override_row(key, kind, effective, item["value"])
    return tuple(sorted(merged.values(), key=lambda row: row.effective))


def _override_row(key: str, kind: type, effective: date, raw: object) -> Row:
    return Row(effective, _coerce(key, kind, raw), "configuration override", Confidence.OVERRIDDEN)


def _coerce(key: str, kind: type, raw: object) -> RuleValue:
    if isinstance(raw, float):
        raise ValueError(f"override for {key!r}: floats are refused, give a string")
    if kind is bool and isinstance(raw, bool):
        return raw
    if kind is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind is Decimal and isinstance(raw, Decimal | int | str) and not isinstance(raw, bool):
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(
                f"override for {key!r}: {raw!r} is not a decimal number (write a rate as a"
                ' fraction in a string, e.g. "0.05" for 5%)'
            ) from None
        if not value.is_finite():
            raise ValueError(f"override for {key!r}: {raw!r} is not a finite number")
        return value
    raise ValueError(f"override for {key!r}: {raw!r} is not a {kind.__name__}")


def _canonical(overrides: Mapping[str, object]) -> str:
    return json.dumps(overrides, sort_keys=True, default=str, separators=(",", ":"))


def table(key: str, *rows: Row) -> tuple[str, tuple[Row, ...]]:
    """A (key, rows) pair for building a RuleSet, rows sorted by effective date."""
    return key, tuple(sorted(rows, key=lambda row: row.effective))
