"""Claim status: state, decision with reasons, amounts, due date and payment, as a dict."""

from __future__ import annotations

import json
from typing import Any

from services.adapters.postgres import PostgresStore


async def claim_status(dsn: str, claim_id: str) -> dict[str, Any] | None:
    store = await PostgresStore.connect(dsn, size=1)
    try:
        return await lookup(store, claim_id)
    finally:
        await store.close()


async def lookup(store: PostgresStore, claim_id: str) -> dict[str, Any] | None:
    """Everything known about one claim; the participant appears only by pseudonym."""
    rows = await store.fetch(
        "SELECT c.claim_id, c.participant_ref, c.program, c.event_date, c.submitted_at,"
        " c.outcome, c.reasons, c.total, c.payable_by, c.rule_set_version, c.decision,"
        " s.status AS payment_status, s.due_date, s.paid_on, s.days_late, s.late_interest,"
        " s.failure_reason, o.published_at AS instruction_published_at"
        " FROM claims c LEFT JOIN settlements s USING (claim_id)"
        " LEFT JOIN payment_outbox o USING (claim_id) WHERE c.claim_id = $1",
        claim_id,
    )
    if not rows:
        return None
    row = rows[0]
    decision = json.loads(row.pop("decision"))
    state = "REJECTED" if row["outcome"] == "REJECTED" else (row["payment_status"] or "DECIDED")
    return {"state": state, **row, "reasons": list(row["reasons"]), **decision}


def not_found(claim_id: str) -> dict[str, Any]:
    """The document for a claim nobody has decided (exit 3 on the CLI, 404 over HTTP)."""
    return {"claim_id": claim_id, "error": "not found"}


def render(document: dict[str, Any]) -> str:
    """A status document as JSON text, exactly as `claims status` prints it (dates via str())."""
    return json.dumps(document, indent=2, default=str)
