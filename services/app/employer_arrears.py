"""Use case: an employer's outstanding arrears on a date (#14; `claims employer NPP`).

For each participant of the employer (its state, as PostgreSQL holds it) and each program it was
enrolled in: the months whose contribution was due before the date and is not paid in full by it
(services/rules/standing.months_in_arrears: unpaid, or under-paid and not yet topped up), and
what is still owed for them: the month's contribution due (services/rules/contribution_check
.month_due, with the category, JKK risk class and programs in force that month) less what was
posted for it. The wage is the one the month was posted on, as its contribution check judged it;
a month never posted is priced on the participant's declared wage.

A date in the past reads today's ledger, which keeps one total and one latest payment date per
month: a month whose last posting came after that date counts as wholly unpaid on it.

Pure: states in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.app import contribution_ledger as ledger
from services.app.employer_effects import programs_in_force
from services.app.translation import to_coverage
from services.rules import Category, Program, RuleSet
from services.rules.contribution_check import MonthDue, month_due
from services.rules.standing import months_due_before, months_in_arrears

_PROGRAMS = {p.value: p for p in Program}


@dataclass(frozen=True)
class MonthInArrears:
    """One participant's month of one program, due and not paid in full by the date."""

    kpj: str
    program: str
    period: date
    wage_base: int
    due: int | None  # the month's contribution for the program; None: the rules cannot price it
    paid: int  # posted for the program and month by the date (more than 0: under-paid)
    why: str = ""  # why it cannot be priced (PMI per placement phase, no JKK risk class)

    @property
    def outstanding(self) -> int | None:
        """Still owed for the month (None: not priced)."""
        return None if self.due is None else max(self.due - self.paid, 0)


@dataclass(frozen=True)
class ProgramArrears:
    """One program of one employer on a date: months due, months in arrears, Rupiah owed."""

    program: str
    months_due: int  # participant-months due before the date
    unpaid: int  # months in arrears with nothing posted
    underpaid: int  # months in arrears with less posted than due
    participants: int  # participants with a month in arrears
    outstanding: int  # Rupiah, the priced months only
    unpriced: int  # months in arrears the rules cannot price

    @property
    def months(self) -> int:
        return self.unpaid + self.underpaid


@dataclass(frozen=True)
class Arrears:
    """An employer's arrears on ``on``: per program, per (program, month) and every month."""

    on: date
    programs: dict[str, ProgramArrears]
    due_by_month: dict[tuple[str, date], int]  # (program, period): participants it was due for
    months: tuple[MonthInArrears, ...]  # by participant, program and period


def employer_arrears(states: Mapping[str, Mapping[str, Any]], on: date, rules: RuleSet) -> Arrears:
    """The arrears of these participants (kpj -> state) on ``on``, summed per program."""
    prices: dict[tuple[Any, ...], MonthDue] = {}  # one employer's months repeat: price each once
    due_by_month: dict[tuple[str, date], int] = {}
    months: list[MonthInArrears] = []
    for kpj in sorted(states):
        state = states[kpj]
        coverage = to_coverage(state, lambda _id: None)  # arrears count own payments only
        posted = ledger.ledger_months(ledger.ledger_of(state)[0])
        for name in sorted(state["programs"]):
            program = _PROGRAMS[name]
            for period in months_due_before(coverage, program, on):
                due_by_month[name, period] = due_by_month.get((name, period), 0) + 1
            for period in months_in_arrears(coverage, program, on):
                months.append(_priced(kpj, state, program, period, posted, on, rules, prices))
    return Arrears(on, _per_program(due_by_month, months), due_by_month, tuple(months))


def _priced(
    kpj: str,
    state: Mapping[str, Any],
    program: Program,
    period: date,
    posted: Mapping[str, ledger.Month],
    on: date,
    rules: RuleSet,
    prices: dict[tuple[Any, ...], MonthDue],
) -> MonthInArrears:
    wage, amounts, paid_on = posted.get(f"{period:%Y-%m}", (int(state["wage"]), {}, ""))
    paid = amounts.get(program.value, 0) if paid_on and date.fromisoformat(paid_on) <= on else 0
    category, risk = Category(state["category"]), state.get("risk_class")
    in_force = programs_in_force(state, f"{period:%Y-%m}")
    key = (category, in_force, risk, period, wage)
    if key not in prices:
        prices[key] = month_due(category, in_force, risk, period, wage, rules)
    due, why = prices[key]
    owed = None if due is None else due.get(program, 0)
    return MonthInArrears(kpj, program.value, period, wage, owed, paid, why)


def _per_program(
    due_by_month: Mapping[tuple[str, date], int], months: Sequence[MonthInArrears]
) -> dict[str, ProgramArrears]:
    names = sorted({p for p, _period in due_by_month})
    found = {p: [m for m in months if m.program == p] for p in names}
    return {
        p: ProgramArrears(
            program=p,
            months_due=sum(n for (q, _period), n in due_by_month.items() if q == p),
            unpaid=sum(1 for m in found[p] if m.paid <= 0),
            underpaid=sum(1 for m in found[p] if m.paid > 0),
            participants=len({m.kpj for m in found[p]}),
            outstanding=sum(m.outstanding or 0 for m in found[p]),
            unpriced=sum(1 for m in found[p] if m.due is None),
        )
        for p in names
    }
