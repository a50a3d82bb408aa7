"""`claims payroll`: run (or re-run) the payroll of one or more months (JP pension months, and
the JKK/JKm scholarship school years that start in them), and print what each month pays per
kind. The work is services/app/payroll.py; the instructions go
to the payment outbox, which the worker's leader publishes."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from typing import Any

from services.adapters.postgres import connect_store
from services.app.payroll import PayrollRun
from services.config import Settings
from services.rules import RuleSet
from services.rules.dates import add_months
from streams.kafka.codec import AvroCodec
from streams.pipeline import SCHEMAS_DIR


async def run_months(
    settings: Settings, months: list[date], rules: RuleSet, run_by: str = "cli"
) -> list[tuple[PayrollRun, list[dict[str, Any]]]]:
    """Pay each month in order, as the worker role (WORKER_DATABASE_URL: it writes the payment
    outbox, never the schema); return each run with the month's instructions per kind."""
    codec = AvroCodec.from_directory(SCHEMAS_DIR)
    store = await connect_store(settings, role="worker")
    try:
        done = []
        for month in months:
            run = await store.run_payroll(month, rules, codec.encode, run_by)
            done.append((run, await store.payroll_month(month)))
        return done
    finally:
        await store.close()


async def first_months(
    settings: Settings, rules: RuleSet, months: int = 3, wait_s: float = 60.0
) -> dict[str, Any] | None:
    """`claims run`'s payroll: the first `months` months it pays a pension of the scenario, and
    the first month it pays a school year, run as `claims payroll` runs them, then waited for
    until the payment service has answered every instruction (or `wait_s` passed). None when
    the scenario has neither."""
    reader = await connect_store(settings, role="reader")
    try:
        pension, school_year = await reader.first_payroll_months()
        wanted = {add_months(pension, n) for n in range(months)} if pension else set()
        if school_year is not None:
            wanted.add(school_year)  # the first July the payroll pays a school year
        if not wanted:
            return None
        done = await run_months(settings, sorted(wanted), rules, "run")
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and await reader.payroll_instructions_pending():
            await asyncio.sleep(0.5)
        return document([(run, await reader.payroll_month(run.month)) for run, _ in done])
    finally:
        await reader.close()


def document(done: list[tuple[PayrollRun, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        "months": [
            {
                "month": f"{run.month:%Y-%m}",
                "pensions_paid": run.pensions_paid,
                "written": run.written,
                "already": run.already,
                "amount": sum(k["amount"] for k in kinds),
                "ended_at_age_limit": run.ended,
                "school_years": run.scholarship_years,
                "school_years_written": run.scholarships_written,
                "by_kind": kinds,
            }
            for run, kinds in done
        ]
    }


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True)


def render_text(doc: dict[str, Any]) -> str:
    lines = [
        f"{'month':<8}{'pensions':>9}{'written':>9}{'already':>9}{'Rupiah':>16}"
        f"{'school yrs':>11}{'written':>9}  by kind",
    ]
    for m in doc["months"]:
        kinds = ", ".join(
            f"{k['kind']} {k['instructions']} (Rp{k['amount']:,}; paid {k['paid']},"
            f" failed {k['failed']}, pending {k['pending']})"
            for k in m["by_kind"]
        )
        lines.append(
            f"{m['month']:<8}{m['pensions_paid']:>9,}{m['written']:>9,}{m['already']:>9,}"
            f"{'Rp' + format(m['amount'], ','):>16}{m['school_years']:>11,}"
            f"{m['school_years_written']:>9,}  {kinds or '-'}"
        )
        if m["ended_at_age_limit"]:
            lines.append(
                f"        {m['ended_at_age_limit']} child pension(s) ended at the age limit"
            )
    return "\n".join(lines)
