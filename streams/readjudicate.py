"""`claims readjudicate`: a dry run of recorded claims under another rule set.

Claims are chosen by their event date (the insured event: accident, death, exit, age), because
the rules in force are chosen by it: a rule row effective from a date changes exactly the claims
whose event date falls after it. Every query runs in a READ ONLY transaction, so PostgreSQL
refuses any write; nothing is published.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from services.adapters.postgres import PostgresStore
from services.app.readjudication import (
    ClaimDiff,
    ProgramSummary,
    Result,
    readjudicate,
    recorded_from_row,
    summarise,
)
from services.rules import MissingRule, RuleSet, default_rules, shadowed_overrides

PAGE = 500
_QUERY = (
    "SELECT claim_id, program, event_date, outcome, reasons, total, rule_set_version, decision,"
    " assessment_inputs FROM claims"
    " WHERE event_date BETWEEN $1 AND $2 AND ($3::text IS NULL OR program = $3)"
    " AND (event_date, claim_id) > ($4, $5)"
    " ORDER BY event_date, claim_id LIMIT $6"
)


class BadRules(ValueError):
    """The overrides file cannot be read or applied; the message names the file and the cause."""


def load_rules(path: Path | None, warn: Callable[[str], None] | None = None) -> RuleSet:
    """The built-in rules with the overrides file applied (as RULES_OVERRIDES_FILE would be).

    `warn` hears of every override row that a later built-in row cuts short
    (services.rules.shadowed_overrides): it would change fewer claims than it seems to.
    """
    rules = default_rules()
    if path is None:
        return rules
    try:
        text = path.read_text(encoding="utf-8")
        loaded = rules.with_json_overrides(text)
        if warn is not None:
            for note in shadowed_overrides(rules, json.loads(text)):
                warn(note)
        return loaded
    except OSError as e:
        raise BadRules(f"{path}: cannot read: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise BadRules(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from e
    except (MissingRule, ValueError, TypeError) as e:
        raise BadRules(f"{path}: {e}") from e


@dataclass(frozen=True)
class DryRun:
    start: date
    end: date
    program: str | None
    rules: RuleSet
    output: Path | None = None


async def recorded_claims(store: PostgresStore, run: DryRun) -> AsyncIterator[dict[str, Any]]:
    """The claims rows of the range, page by page (keyset pagination, read only)."""
    last: tuple[date, str] = (date.min, "")
    while True:
        rows = await store.fetch_readonly(
            _QUERY, run.start, run.end, run.program, last[0], last[1], PAGE
        )
        for row in rows:
            row["decision"] = json.loads(row["decision"])
            yield row
        if len(rows) < PAGE:
            return
        last = (rows[-1]["event_date"], rows[-1]["claim_id"])


async def dry_run(dsn: str, run: DryRun, out: IO[str]) -> dict[str, ProgramSummary]:
    """Judge every claim of the range again; print (or write) the differences; the summary."""
    store = await PostgresStore.connect(dsn, size=1)
    results: list[Result] = []
    sink = None if run.output is None else run.output.open("w", encoding="utf-8")
    try:
        async for row in recorded_claims(store, run):
            result = readjudicate(recorded_from_row(row), run.rules)
            results.append(result)
            if isinstance(result, ClaimDiff) and result.changed:
                if sink is not None:
                    sink.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
                else:
                    out.write(describe(result) + "\n")
    finally:
        if sink is not None:
            sink.close()
        await store.close()
    return summarise(results)


def _rp(amount: int) -> str:
    return f"{amount:,}"


def describe(d: ClaimDiff) -> str:
    """One changed claim on one line: outcome, total and every changed component."""
    parts = [f"{d.claim_id} {d.program} {d.event_date}"]
    if d.outcome_changed:
        parts.append(f"outcome {d.old.outcome} -> {d.new.outcome}")
    if d.reasons_changed:
        parts.append(f"reasons {list(d.old.reasons)} -> {list(d.new.reasons)}")
    if d.amount_changed:
        parts.append(f"total {_rp(d.old.total)} -> {_rp(d.new.total)} ({d.delta:+,})")
        parts += [f"{c.code} {_rp(c.old)} -> {_rp(c.new)}" for c in d.components]
    return "  ".join(parts)


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
