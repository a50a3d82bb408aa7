"""`claims owed`: what BPJS still owes on payment instructions, per program and age past due
(services/app/aged_unpaid.py says what counts), as a table or one JSON document."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from services.adapters.postgres import connect_store
from services.app.aged_unpaid import BUCKETS, PROGRAMS, Owed, aged
from services.config import Settings

LABELS = {"not_due": "not yet due", "1-7": "1-7 days", "8-30": "8-30 days", "over_30": ">30 days"}


async def read_owed(settings: Settings, on: date) -> list[Owed]:
    store = await connect_store(settings, role="reader")  # READER_DATABASE_URL: SELECT only
    try:
        return aged(await store.owed_by_due_date(), on)
    finally:
        await store.close()


def document(owed: list[Owed], on: date) -> dict[str, Any]:
    """Per program and bucket: instructions and Rupiah; totals per program and overall."""
    programs: dict[str, Any] = {}
    for o in owed:
        p = programs.setdefault(o.program, {"buckets": {}, "instructions": 0, "amount": 0})
        p["buckets"][o.bucket] = {"instructions": o.instructions, "amount": o.amount}
        p["instructions"] += o.instructions
        p["amount"] += o.amount
    return {
        "on": on.isoformat(),
        "programs": programs,
        "instructions": sum(o.instructions for o in owed),
        "amount": sum(o.amount for o in owed),
    }


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True)


def render_text(doc: dict[str, Any]) -> str:
    head = f"{'program':<8}" + "".join(f"{LABELS[b]:>24}" for b in BUCKETS) + f"{'total':>24}"
    lines = [f"Owed on {doc['on']} (instructions not paid, by days past their due date)", head]
    for program in (*PROGRAMS, *sorted(set(doc["programs"]) - set(PROGRAMS))):
        p = doc["programs"].get(program)
        if p is None:
            continue
        cells = [p["buckets"].get(b, {"instructions": 0, "amount": 0}) for b in BUCKETS]
        row = "".join(f"{_cell(c['instructions'], c['amount']):>24}" for c in cells)
        lines.append(f"{program:<8}{row}{_cell(p['instructions'], p['amount']):>24}")
    lines.append(f"total: {doc['instructions']:,} instructions, {_rupiah(doc['amount'])}")
    return "\n".join(lines)


def _rupiah(amount: int) -> str:
    return f"Rp{amount:,}"


def _cell(n: int, amount: int) -> str:
    return f"{n:,} / {_rupiah(amount)}"
