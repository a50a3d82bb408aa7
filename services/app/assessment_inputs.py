"""The exact inputs a claim was judged on (claim, coverage, prior claims), as compact JSON.

Recorded with every decision (ClaimDecided.assessment_inputs, claims.assessment_inputs) so the
claim can be judged again later under another rule set with nothing else looked up: the
re-adjudication dry run (services/app/readjudication.py). It holds no NIK: the rules never see
one (coverage carries the birth date, category, periods, contributions and sponsor funding).

Format version 1: {"v": 1, "claim": {...}, "coverage": {...} | null, "prior_claims": [...]}.
Dataclass fields by name, dates as ISO text, enums as their values; contribution months as
compact rows [period, wage_base, {program: amount}, paid_on] (a JP claimant has 180+ of them).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date
from enum import Enum
from typing import Any

from services.rules import (
    Claim,
    ContributionMonth,
    Coverage,
    JhtClaim,
    JkkClaim,
    JkmClaim,
    JpClaim,
    PriorClaim,
    Program,
    ProgramAmount,
)

VERSION = 1
_CLAIM_TYPES: Mapping[str, type[Any]] = {
    Program.JHT.value: JhtClaim,
    Program.JKK.value: JkkClaim,
    Program.JKM.value: JkmClaim,
    Program.JP.value: JpClaim,
}


class UnreadableInputs(ValueError):
    """Recorded inputs that cannot be read back (another format version, or damaged)."""


@dataclass(frozen=True)
class AssessmentInputs:
    """What `assess` was given. `coverage` is None for a claim of a KPJ never enrolled."""

    claim: Claim
    coverage: Coverage | None
    prior_claims: tuple[PriorClaim, ...]


def encode_inputs(
    claim: Claim, coverage: Coverage | None, prior_claims: tuple[PriorClaim, ...]
) -> str:
    document = {
        "v": VERSION,
        "claim": _plain(claim),
        "coverage": None if coverage is None else _coverage(coverage),
        "prior_claims": [_plain(p) for p in prior_claims],
    }
    return json.dumps(document, separators=(",", ":"))


def decode_inputs(text: str) -> AssessmentInputs:
    try:
        document = json.loads(text)
        if document.get("v") != VERSION:
            raise UnreadableInputs(f"format version {document.get('v')!r}, expected {VERSION}")
        claim_data = document["claim"]
        claim = _build(_CLAIM_TYPES[claim_data["program"]], claim_data)
        coverage = document["coverage"]
        return AssessmentInputs(
            claim,
            None if coverage is None else _decode_coverage(coverage),
            tuple(_build(PriorClaim, p) for p in document["prior_claims"]),
        )
    except UnreadableInputs:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UnreadableInputs(f"recorded inputs do not read back: {e!r}") from e


def _plain(value: Any) -> Any:
    """Dataclasses to dicts, tuples to lists, dates to ISO text, enums to their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _names(type(value))}
    return value


def _coverage(coverage: Coverage) -> dict[str, Any]:
    # Field by field: the generic walk over every contribution month costs ~0.5 ms a claim.
    out: dict[str, Any] = {
        name: _plain(getattr(coverage, name))
        for name in _names(Coverage)
        if name != "contributions"
    }
    out["contributions"] = [
        [
            m.period.isoformat(),
            m.wage_base,
            {a.program.value: a.amount for a in m.amounts},
            m.paid_on.isoformat(),
        ]
        for m in coverage.contributions
    ]
    return out


def _decode_coverage(data: Mapping[str, Any]) -> Coverage:
    rest = {k: v for k, v in data.items() if k != "contributions"}
    months = tuple(
        ContributionMonth(
            date.fromisoformat(period),
            int(wage),
            tuple(ProgramAmount(Program(p), int(a)) for p, a in amounts.items()),
            date.fromisoformat(paid),
        )
        for period, wage, amounts, paid in data["contributions"]
    )
    coverage: Coverage = _build(Coverage, rest)
    return replace(coverage, contributions=months)


_NAMES: dict[type[Any], tuple[str, ...]] = {}
_HINTS: dict[type[Any], dict[str, Any]] = {}


def _names(cls: type[Any]) -> tuple[str, ...]:
    if cls not in _NAMES:
        _NAMES[cls] = tuple(f.name for f in fields(cls))
    return _NAMES[cls]


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _build(cls: type[Any], data: Mapping[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{name: _value(hints[name], v) for name, v in data.items()})


def _value(hint: Any, data: Any) -> Any:
    """`data` read back as the annotated type (the inverse of _plain)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(inner, data)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_value(item, d) for d in data)
    if hint is date:
        return date.fromisoformat(data)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    if isinstance(hint, type) and is_dataclass(hint):
        return _build(hint, data)
    if hint in (int, str, bool) and not isinstance(data, hint):
        raise TypeError(f"expected {hint.__name__}, got {data!r}")
    return data
