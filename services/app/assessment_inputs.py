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
from collections.abc import Callable, Mapping
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
    """The format-1 document, written by encoders built once per dataclass (see `_encoder`) and
    the contribution months written as text; byte for byte what json.dumps of the document
    walked generically gives, for values of their annotated types (mypy holds the callers to
    them; tests/unit/app/test_app_assessment_inputs.py holds the walk and compares)."""
    claim_text = _dumps(_encoder(type(claim))(claim))
    coverage_text = "null" if coverage is None else _coverage_text(coverage)
    prior = _encoder(PriorClaim)
    prior_text = _dumps([prior(p) for p in prior_claims])
    return (
        f'{{"v":{VERSION},"claim":{claim_text},"coverage":{coverage_text},'
        f'"prior_claims":{prior_text}}}'
    )


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


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _coverage_text(coverage: Coverage) -> str:
    # The months last, as the format has always had them; every other field by its encoder.
    head = _encoder(Coverage, leaving_out="contributions")(coverage)
    return f'{_dumps(head)[:-1]},"contributions":[{_months_text(coverage.contributions)}]}}'


def _months_text(months: tuple[ContributionMonth, ...]) -> str:
    """Compact rows [period, wage_base, {program: amount}, paid_on(, [short programs])]; a JP
    claimant has 180+.

    Dates, ints and program codes need no JSON escaping. Months paying the same amounts share
    one tuple (services/app/contribution_ledger.py), so its text is made once per tuple."""
    amounts_text: dict[int, str] = {}
    rows = []
    for m in months:
        paying = amounts_text.get(id(m.amounts))  # the tuples live as long as `months`
        if paying is None:
            paying = _dumps({a.program.value: a.amount for a in m.amounts})
            amounts_text[id(m.amounts)] = paying
        row = f'["{m.period.isoformat()}",{m.wage_base},{paying},"{m.paid_on.isoformat()}"'
        if m.short:  # a fifth element only for an under-paid month (older inputs have four)
            row += "," + _dumps(sorted(p.value for p in m.short))
        rows.append(row + "]")
    return ",".join(rows)


_Encode = Callable[[Any], Any]
_ENCODERS: dict[tuple[type[Any], str | None], Callable[[Any], dict[str, Any]]] = {}


def _encoder(cls: type[Any], leaving_out: str | None = None) -> Callable[[Any], dict[str, Any]]:
    """A dataclass to a dict of JSON values (without the field `leaving_out`), its fields'
    conversions chosen once from its type hints: the generic walk asked fields() and isinstance
    of every value of every claim."""
    key = (cls, leaving_out)
    if key not in _ENCODERS:
        hints = _hints(cls)
        plan = [
            (f.name, _field_encoder(hints[f.name])) for f in fields(cls) if f.name != leaving_out
        ]

        def encode(value: Any) -> dict[str, Any]:
            return {
                name: getattr(value, name) if convert is None else convert(getattr(value, name))
                for name, convert in plan
            }

        _ENCODERS[key] = encode
    return _ENCODERS[key]


def _field_encoder(hint: Any) -> _Encode | None:
    """The conversion of one annotated value to JSON; None when it is one already."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        convert = _field_encoder(inner)
        return None if convert is None else (lambda v: None if v is None else convert(v))
    if origin is tuple:
        item = _field_encoder(args[0])
        return list if item is None else (lambda v: [item(x) for x in v])
    if hint is date:
        return _iso
    if isinstance(hint, type) and issubclass(hint, Enum):
        # A StrEnum member is a str whose text is its value: json writes it as that text.
        return None if issubclass(hint, str) else _enum_value
    if isinstance(hint, type) and is_dataclass(hint):
        return _encoder(hint)
    return None


def _iso(value: date) -> str:
    return value.isoformat()


def _enum_value(value: Enum) -> Any:
    return value.value


def _decode_coverage(data: Mapping[str, Any]) -> Coverage:
    rest = {k: v for k, v in data.items() if k != "contributions"}
    months = tuple(
        ContributionMonth(
            date.fromisoformat(period),
            int(wage),
            tuple(ProgramAmount(Program(p), int(a)) for p, a in amounts.items()),
            date.fromisoformat(paid),
            frozenset(Program(p) for p in short[0]) if short else frozenset(),
        )
        for period, wage, amounts, paid, *short in data["contributions"]
    )
    coverage: Coverage = _build(Coverage, rest)
    return replace(coverage, contributions=months)


_HINTS: dict[type[Any], dict[str, Any]] = {}


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
