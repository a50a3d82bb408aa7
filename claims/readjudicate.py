"""`claims readjudicate`: a dry run of recorded claims under another rule set.

Claims are chosen by their event date (the insured event: accident, death, exit, age), because
the rules in force are chosen by it: a rule row effective from a date changes exactly the claims
whose event date falls after it. Every query runs in a READ ONLY transaction, so PostgreSQL
refuses any write; nothing is published.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from services.adapters.postgres import PostgresStore, connect_store
from services.app.readjudication import (
    ClaimDiff,
    ProgramSummary,
    Result,
    one_at_a_time,
    readjudicate,
    recorded_from_row,
    summarise,
    took_effect,
)
from services.config import Settings
from services.rules import RuleSet, default_rules

PAGE = 500


@dataclass(frozen=True)
class DryRun:
    start: date
    end: date
    program: str | None
    rules: RuleSet
    output: Path | None = None
    overrides: Mapping[str, object] = field(default_factory=dict)  # to say which took effect


@dataclass
class Outcome:
    """What a dry run found: the summary per program, and the claims each override changed."""

    summary: dict[str, ProgramSummary]
    changed_by: dict[str, list[str]]


async def recorded_claims(store: PostgresStore, run: DryRun) -> AsyncIterator[dict[str, Any]]:
    """The claims rows of the range, page by page (keyset pagination, read only)."""
    last: tuple[date, str] = (date.min, "")
    while True:
        rows = await store.decided_claims(run.start, run.end, run.program, last, PAGE)
        for row in rows:
            row["decision"] = json.loads(row["decision"])
            yield row
        if len(rows) < PAGE:
            return
        last = (rows[-1]["event_date"], rows[-1]["claim_id"])


async def dry_run(settings: Settings, run: DryRun, out: IO[str]) -> Outcome:
    """Judge every claim of the range again; print (or write) the differences, each with the
    overrides that changed it; the summary."""
    store = await connect_store(settings, role="reader")  # READER_DATABASE_URL: SELECT only
    results: list[Result] = []
    alone = one_at_a_time(default_rules(), run.overrides)
    changed_by: dict[str, list[str]] = {key: [] for key in alone}
    sink = None if run.output is None else run.output.open("w", encoding="utf-8")
    try:
        async for row in recorded_claims(store, run):
            recorded = recorded_from_row(row)
            result = readjudicate(recorded, run.rules)
            results.append(result)
            if isinstance(result, ClaimDiff) and result.changed:
                keys = took_effect(recorded, alone)
                for key in keys:
                    changed_by[key].append(result.claim_id)
                if sink is not None:
                    line = {**result.as_dict(), "overrides": list(keys)}
                    sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                else:
                    out.write(describe(result, keys) + "\n")
    finally:
        if sink is not None:
            sink.close()
        await store.close()
    return Outcome(summarise(results), changed_by)


def _rp(amount: int) -> str:
    return f"{amount:,}"


def describe(d: ClaimDiff, overrides: tuple[str, ...] = ()) -> str:
    """One changed claim on one line: outcome, total, every changed component, and the
    overrides that change it (each alone)."""
    parts = [f"{d.claim_id} {d.program} {d.event_date}"]
    if d.outcome_changed:
        parts.append(f"outcome {d.old.outcome} -> {d.new.outcome}")
    if d.reasons_changed:
        parts.append(f"reasons {list(d.old.reasons)} -> {list(d.new.reasons)}")
    if d.amount_changed:
        parts.append(f"total {_rp(d.old.total)} -> {_rp(d.new.total)} ({d.delta:+,})")
        parts += [f"{c.code} {_rp(c.old)} -> {_rp(c.new)}" for c in d.components]
    if overrides:
        parts.append(f"by {', '.join(overrides)}")
    return "  ".join(parts)


def effects_lines(changed_by: Mapping[str, list[str]], shown: int = 10) -> list[str]:
    """Per override: the claims it changed (each alone), or that it changed none."""
    lines = []
    for key, claims in changed_by.items():
        if not claims:
            lines.append(f"override {key}: changed no examined claim")
            continue
        listed = ", ".join(claims[:shown]) + (
            f", ... ({len(claims) - shown} more)" if len(claims) > shown else ""
        )
        lines.append(f"override {key}: changed {len(claims):,} claim(s): {listed}")
    return lines


def summary_table(summary: dict[str, ProgramSummary], rules: RuleSet) -> str:
    head = (
        f"{'program':8}{'claims':>8}{'unchanged':>10}{'outcome':>9}{'A->R':>6}{'R->A':>6}"
        f"{'amount':>8}{'reasons':>9}{'no inputs':>10}{'total before':>18}{'total after':>18}"
        f"{'delta':>16}"
    )
    lines = [f"re-adjudicated under rule set {rules.version}", head]
    for s in summary.values():
        lines.append(
            f"{s.program:8}{s.examined:>8,}{s.unchanged:>10,}{s.outcome_changed:>9,}"
            f"{s.approved_to_rejected:>6,}{s.rejected_to_approved:>6,}{s.amount_changed:>8,}"
            f"{s.reasons_changed:>9,}{s.not_replayable:>10,}{_rp(s.total_before):>18}"
            f"{_rp(s.total_after):>18}{s.delta:>+16,}"
        )
    return "\n".join(lines)


def summary_json(summary: dict[str, ProgramSummary]) -> str:
    return json.dumps({p: s.as_dict() for p, s in summary.items()})
