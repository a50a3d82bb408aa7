"""Use case: JP pensions paid month by month (PP 45/2015 Pasal 16-18).

An approved JP old-age, disability or survivor pension becomes a pension row when it settles;
the claim's own instruction pays its first month (the month the claim was complete), and the
monthly payroll pays every month after, one instruction per (pension, month), idempotency key
`pension:<pension_id>:<YYYY-MM>`, so re-running a month pays nothing twice. A branch's
PensionChanged ends a pension and starts the survivor pension that follows
(services/rules/pension.py says who and from when).

Pure: the adapter calls these inside the transaction that writes the instructions or the change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from services.app.followups import INSTRUCTION
from services.app.settlement import Encode, complete_on, payment_instruction
from services.rules import RuleSet
from services.rules.claims import HeirRelation
from services.rules.dates import add_months, month_start
from services.rules.pension import (
    REJECTIONS,
    Beneficiary,
    Pension,
    apply_change,
    due_on,
    monthly_amount,
    pays,
    successor_pension,
)


def pension_key(pension_id: str, month: date) -> str:
    return f"pension:{pension_id}:{month:%Y-%m}"


def parse_month(text: str) -> date:
    """'YYYY-MM' as the month's first day; ValueError names the value and the form."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"month {text!r}: expected YYYY-MM, e.g. 2026-01") from None


@dataclass(frozen=True)
class PensionRow:
    """A pension as stored: the payroll's view (services/rules/pension.Pension) plus who is
    paid, what it descends from and the rules it was decided under."""

    pension: Pension
    claim_id: str
    participant_ref: str
    payee: Mapping[str, str]
    follows: str | None
    rule_set_version: str

    def beneficiaries_json(self) -> str:
        return beneficiaries_json(self.pension.beneficiaries)


def beneficiaries_json(found: Iterable[Beneficiary]) -> str:
    return json.dumps(
        [
            {
                "name": b.name,
                "relation": b.relation.value,
                "birth_date": None if b.birth_date is None else b.birth_date.isoformat(),
            }
            for b in found
        ]
    )


def beneficiaries_from(raw: str | Sequence[Mapping[str, Any]] | None) -> tuple[Beneficiary, ...]:
    """Beneficiaries from their stored JSON, or from an event's survivors."""
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return tuple(
        Beneficiary(
            str(b["name"]),
            HeirRelation(b["relation"]),
            None
            if b.get("birth_date") is None
            else (
                b["birth_date"]
                if isinstance(b["birth_date"], date)
                else date.fromisoformat(b["birth_date"])
            ),
        )
        for b in items
    )


def pension_from_decision(decision: Mapping[str, Any]) -> PensionRow | None:
    """The pension an approved JP decision starts, or None (a lump sum, any other program).
    Its base is the formula's amount before the clamp (`unclamped`), in the event year's terms;
    the payroll pays from the month after the claim was complete."""
    if decision["program"] != "JP" or decision["outcome"] != "APPROVED":
        return None
    for c in decision["components"]:
        code = c["code"]
        if code.startswith("JP_") and code.endswith("_MONTHLY"):
            kind = code.removeprefix("JP_").removesuffix("_MONTHLY")
            first = month_start(complete_on(decision))
            survivor = () if kind in ("OLD_AGE", "DISABILITY") else _survivor_of(decision, kind)
            pension = Pension(
                decision["claim_id"],
                kind,
                int(c["inputs"]["unclamped"]),
                decision["event_date"].year,
                add_months(first, 1),
                None,
                survivor,
            )
            return PensionRow(
                pension,
                decision["claim_id"],
                decision["participant_ref"],
                dict(decision["payee"]),
                None,
                decision["rule_set_version"],
            )
    return None


_KIND_RELATION = {
    "WIDOW_WIDOWER": HeirRelation.SPOUSE,
    "CHILD": HeirRelation.CHILD,
    "PARENT": HeirRelation.PARENT,
}


def _survivor_of(decision: Mapping[str, Any], kind: str) -> tuple[Beneficiary, ...]:
    """A survivor pension claimed directly: the payee as its one beneficiary, by relation (the
    decision keeps relations, never names; a child's birth date is not in the claim, so a
    child pension ends by a CHILD_LEFT event)."""
    return (Beneficiary(str(decision["payee"]["name"]), _KIND_RELATION[kind]),)


@dataclass(frozen=True)
class MonthInstruction:
    """One pension's payment for one month, ready for the payment outbox."""

    pension_id: str
    claim_id: str
    instruction_id: str
    idempotency_key: str
    month: date
    amount: int
    due_date: date
    payload: bytes

    program: ClassVar[str] = "JP"

    @property
    def period(self) -> date:
        return self.month


def month_instructions(
    pensions: Sequence[PensionRow], month: date, rules: RuleSet, encode: Encode, now: datetime
) -> list[MonthInstruction]:
    """The payroll of `month`: one instruction per pension it pays (services/rules/pension.pays),
    at that month's indexed and clamped amount, due on the month's first working day."""
    month = month_start(month)
    due = due_on(month, rules)
    made = []
    for row in pensions:
        p = row.pension
        if not pays(p, month, rules):
            continue
        amount = monthly_amount(p, month, rules)
        key = pension_key(p.pension_id, month)
        record = payment_instruction(key, row.claim_id, "JP", row.payee, amount, due, now)
        made.append(
            MonthInstruction(
                p.pension_id, row.claim_id, record["instruction_id"], key, month, amount, due,
                encode(INSTRUCTION, record),
            )
        )  # fmt: skip
    return made


@dataclass(frozen=True)
class PensionChangeRow:
    """A branch's PensionChanged (validated at intake)."""

    event_id: str
    occurred_at: datetime
    source: str
    claim_id: str
    change: str
    effective_date: date
    survivors: tuple[Beneficiary, ...]
    payee: Mapping[str, str] | None
    child_name: str | None


def pension_change_row(r: Mapping[str, Any]) -> PensionChangeRow:
    return PensionChangeRow(
        event_id=r["event_id"],
        occurred_at=r["occurred_at"],
        source=r["source"],
        claim_id=r["claim_id"],
        change=r["change"],
        effective_date=r["effective_date"],
        survivors=beneficiaries_from(r.get("survivors")),
        payee=None if r.get("payee") is None else dict(r["payee"]),
        child_name=r.get("child_name"),
    )


@dataclass(frozen=True)
class ChangeDecision:
    """What the adapter writes for one change: the current pension's new end and beneficiaries,
    and the successor to insert; or the rejection."""

    pension_id: str | None
    last_month: date | None
    beneficiaries: tuple[Beneficiary, ...] | None
    successor: PensionRow | None
    rejection: str | None
    detail: str


def decide_change(
    current: PensionRow | None, any_pension: bool, change: PensionChangeRow, rules: RuleSet
) -> ChangeDecision:
    """The effect of `change` on the claim's pension in payment (`current`; None when none is
    running, `any_pension` telling an ended chain from an unknown claim)."""
    if current is None:
        code = "pension_ended" if any_pension else "unknown_pension"
        return ChangeDecision(None, None, None, None, code, REJECTIONS[code])
    p = current.pension
    effect = apply_change(
        p, change.change, change.effective_date, change.survivors, change.child_name, rules
    )
    if effect.rejection is not None:
        detail = f"{REJECTIONS[effect.rejection]} ({change.change} on a {p.kind} pension)"
        return ChangeDecision(p.pension_id, None, None, None, effect.rejection, detail)
    successor = None
    detail = f"{p.kind} pension " + (
        f"paid through {effect.last_month:%Y-%m}" if effect.last_month else "continues"
    )
    if effect.successor is not None and effect.last_month is not None:
        start = add_months(effect.last_month, 1)
        nxt = successor_pension(
            p, effect.successor, f"{current.claim_id}/{effect.successor.kind}", start, rules
        )
        # The survivor's account from the change; without one the current payee stays (the
        # widow(er) who remarried remains the children's guardian: unconfirmed).
        payee = change.payee if change.payee is not None else current.payee
        successor = PensionRow(
            nxt, current.claim_id, current.participant_ref, payee, p.pension_id,
            current.rule_set_version,
        )  # fmt: skip
        detail += f"; {effect.successor.kind} pension from {start:%Y-%m}"
    elif effect.last_month is not None:
        detail += "; no survivor pension follows"
    return ChangeDecision(
        p.pension_id, effect.last_month, effect.beneficiaries, successor, None, detail
    )


@dataclass(frozen=True)
class PensionChangeOutcome:
    """What one change did, for metrics and logs."""

    claim_id: str
    change: str
    rejection: str | None
    started: str | None  # the successor pension's id


@dataclass(frozen=True)
class PayrollRun:
    """What one run of a month did."""

    month: date
    pensions_paid: int
    written: int
    already: int
    amount: int
    ended: int
    written_amount: int = 0
    # The school years of JKK/JKm scholarships that start this month (services/app/scholarships).
    scholarship_years: int = 0
    scholarships_written: int = 0
    scholarship_amount: int = 0
