"""`claims employer NPP`: an employer's account, read back from PostgreSQL as the reader role.

Per program and month: the participant-months due, posted, paid in full, under-paid (with the
shortfall), over-paid, late and their penalties (from contribution_checks), beside the months
still in arrears on the date and what is outstanding for them (services/app/employer_arrears.py,
from the participants' states); then the arrears per program, and the obligations the employer
has on claims. The participants appear by KPJ only: PostgreSQL holds no clear NIK.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from services.adapters.postgres import connect_store
from services.app.employer_account_rows import ContributionMonthRow, EmployerAccountRows
from services.app.employer_arrears import Arrears, MonthInArrears, employer_arrears
from services.config import Settings
from services.rules import RuleSet

# The columns of a month (and of a program's total), in the order the table shows them.
MONTH_FIELDS = (
    "months_due", "posted", "paid_in_full", "underpaid", "shortfall", "overpaid", "not_checked",
    "late", "penalty", "in_arrears", "outstanding",
)  # fmt: skip
_HEADINGS = (
    "due", "posted", "in full", "under", "shortfall", "over", "unchecked", "late", "penalty",
    "arrears", "outstanding",
)  # fmt: skip
_WIDTHS = (6, 7, 8, 6, 12, 5, 10, 5, 10, 8, 13)


async def read_account(settings: Settings, npp: str, on: date) -> EmployerAccountRows:
    store = await connect_store(settings, role="reader")  # READER_DATABASE_URL: SELECT only
    try:
        return await store.employer_account(npp, on)
    finally:
        await store.close()


def account(npp: str, rows: EmployerAccountRows, on: date, rules: RuleSet) -> dict[str, Any]:
    """The employer's account as one document (what --json prints, and the table shows)."""
    arrears = employer_arrears(rows.participants, on, rules)
    programs = sorted({m.program for m in rows.months} | set(arrears.programs))
    return {
        "employer_npp": npp,
        "on": on.isoformat(),
        "rule_set_version": rules.version,
        "participants": len(rows.participants),
        "programs": {p: _program(p, rows.months, arrears) for p in programs},
        "arrears": _arrears_totals(arrears),
        "arrears_months": [_month_in_arrears(m) for m in arrears.months],
        "obligations": _obligations(rows),
    }


def not_found(npp: str) -> dict[str, Any]:
    return {"employer_npp": npp, "error": "not found"}


def not_found_line(npp: str) -> str:
    return f"claims employer: no participant or contribution recorded for NPP {npp}"


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, default=str)


# -- the document -------------------------------------------------------------------------------


def _program(
    program: str, months: Iterable[ContributionMonthRow], arrears: Arrears
) -> dict[str, Any]:
    checked = {m.period: m for m in months if m.program == program}
    owed: dict[date, list[MonthInArrears]] = {}
    for m in arrears.months:
        if m.program == program:
            owed.setdefault(m.period, []).append(m)
    due = {period: n for (p, period), n in arrears.due_by_month.items() if p == program}
    lines = [
        _month(period, checked.get(period), due.get(period, 0), owed.get(period, []))
        for period in sorted(set(checked) | set(due) | set(owed))
    ]
    total = {f: sum(line[f] for line in lines) for f in (*MONTH_FIELDS, *_AMOUNTS)}
    found = arrears.programs.get(program)
    return {
        "months": lines,
        "total": total,
        "arrears": {
            "months": found.months if found else 0,
            "unpaid": found.unpaid if found else 0,
            "underpaid": found.underpaid if found else 0,
            "participants": found.participants if found else 0,
            "outstanding": found.outstanding if found else 0,
            "unpriced": found.unpriced if found else 0,
        },
    }


_AMOUNTS = ("postings", "posted_amount", "expected_amount", "excess")


def _month(
    period: date, c: ContributionMonthRow | None, due: int, owed: list[MonthInArrears]
) -> dict[str, Any]:
    return {
        "period": f"{period:%Y-%m}",
        "months_due": due,
        "posted": c.participants if c else 0,
        "paid_in_full": c.exact + c.overpaid if c else 0,
        "underpaid": c.underpaid if c else 0,
        "shortfall": c.shortfall if c else 0,
        "overpaid": c.overpaid if c else 0,
        "not_checked": c.not_checked if c else 0,
        "late": c.late if c else 0,
        "penalty": c.penalty if c else 0,
        "in_arrears": len(owed),
        "outstanding": sum(m.outstanding or 0 for m in owed),
        "postings": c.postings if c else 0,
        "posted_amount": c.posted if c else 0,
        "expected_amount": (c.expected or 0) if c else 0,
        "excess": c.excess if c else 0,
    }


def _arrears_totals(arrears: Arrears) -> dict[str, Any]:
    found = arrears.programs.values()
    return {
        "months": sum(p.months for p in found),
        "participants": len({m.kpj for m in arrears.months}),
        "outstanding": sum(p.outstanding for p in found),
        "unpriced": sum(p.unpriced for p in found),
        "unpriced_because": sorted({m.why for m in arrears.months if m.due is None}),
    }


def _month_in_arrears(m: MonthInArrears) -> dict[str, Any]:
    return {
        "kpj": m.kpj,
        "program": m.program,
        "period": f"{m.period:%Y-%m}",
        "wage_base": m.wage_base,
        "due": m.due,
        "paid": m.paid,
        "outstanding": m.outstanding,
        **({"unpriced_because": m.why} if m.due is None else {}),
    }


def _obligations(rows: EmployerAccountRows) -> dict[str, Any]:
    by_status: dict[str, dict[str, int]] = {}
    for o in rows.obligations:
        s = by_status.setdefault(o.status, {"count": 0, "amount": 0, "reimbursed": 0})
        s["count"] += 1
        s["amount"] += o.amount
        s["reimbursed"] += o.reimbursement_amount or 0
    return {
        "by_status": by_status,
        "items": [
            {
                "claim_id": o.claim_id,
                "kind": o.kind,
                "program": o.program,
                "kpj": o.kpj,
                "amount": o.amount,
                "status": o.status,
                "reimbursement_amount": o.reimbursement_amount,
                "reimbursement_due_on": o.reimbursement_due_on,
                "recorded_at": o.recorded_at,
            }
            for o in rows.obligations
        ],
    }


# -- the table ----------------------------------------------------------------------------------


def render_text(document: Mapping[str, Any]) -> str:
    """The account as people read it: a table per program, the arrears, the obligations."""
    d = document
    out = [
        f"Employer NPP {d['employer_npp']} on {d['on']}: {d['participants']} participant(s)"
        f" (rule set {d['rule_set_version']})",
        "Participant-months per contribution month; amounts in Rupiah; arrears: due before"
        f" {d['on']} and not paid in full by then.",
    ]
    for program, p in d["programs"].items():
        out += ["", program, _row("  month", _HEADINGS)]
        out += [_row(f"  {m['period']}", _figures(m)) for m in p["months"]]
        out.append(_row("  total  ", _figures(p["total"])))
    out += ["", *_arrears_lines(d)]
    out += ["", *_obligation_lines(d["obligations"])]
    return "\n".join(out)


def _figures(m: Mapping[str, Any]) -> list[str]:
    return [f"{m[f]:,}" for f in MONTH_FIELDS]


def _row(first: str, cells: Iterable[str]) -> str:
    return first.ljust(9) + "".join(c.rjust(w) for c, w in zip(cells, _WIDTHS, strict=True))


def _arrears_lines(d: Mapping[str, Any]) -> list[str]:
    lines = [
        f"Outstanding arrears on {d['on']}",
        f"  {'program':<8}{'months':>8}{'unpaid':>8}{'under':>8}{'participants':>14}"
        f"{'outstanding':>16}",
    ]
    for program, p in d["programs"].items():
        a = p["arrears"]
        lines.append(
            f"  {program:<8}{a['months']:>8,}{a['unpaid']:>8,}{a['underpaid']:>8,}"
            f"{a['participants']:>14,}{'Rp' + format(a['outstanding'], ','):>16}"
        )
    t = d["arrears"]
    lines.append(
        f"  {'total':<8}{t['months']:>8,}{'':>8}{'':>8}{t['participants']:>14,}"
        f"{'Rp' + format(t['outstanding'], ','):>16}"
    )
    if t["unpriced"]:
        why = "; ".join(t["unpriced_because"])
        lines.append(f"  {t['unpriced']:,} month(s) in arrears not priced: {why}")
    return lines


def _obligation_lines(o: Mapping[str, Any]) -> list[str]:
    if not o["items"]:
        return ["Obligations on claims: none"]
    lines = ["Obligations on claims"]
    for status, s in sorted(o["by_status"].items()):
        reimbursed = f", reimbursed Rp{s['reimbursed']:,}" if s["reimbursed"] else ""
        lines.append(f"  {status:<21}{s['count']:>4,} claim(s)  Rp{s['amount']:,}{reimbursed}")
    for i in o["items"]:
        issued = (
            f"  reimbursement Rp{i['reimbursement_amount']:,} due {i['reimbursement_due_on']}"
            if i["reimbursement_amount"] is not None
            else ""
        )
        lines.append(
            f"    {i['claim_id']}  {i['program']:<4} {i['kind']:<15} kpj {i['kpj']}"
            f"  Rp{i['amount']:,}  {i['status']}{issued}"
        )
    return lines
