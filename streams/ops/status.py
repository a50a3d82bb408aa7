"""Claim status: state, decision with reasons, amounts, due date and payment, as a dict."""

from __future__ import annotations

import json
from typing import Any

from services.adapters.postgres import connect_store
from services.app.ports import Gauges
from services.config import Settings


async def claim_status(settings: Settings, claim_id: str) -> dict[str, Any] | None:
    store = await connect_store(settings, role="reader")  # READER_DATABASE_URL: SELECT only
    try:
        return await lookup(store, claim_id)
    finally:
        await store.close()


async def lookup(store: Gauges, claim_id: str) -> dict[str, Any] | None:
    """Everything known about one claim; the participant appears only by pseudonym."""
    row = await store.claim_status(claim_id)
    if row is None:
        return None
    decision = json.loads(row.pop("decision"))
    state = "REJECTED" if row["outcome"] == "REJECTED" else (row["payment_status"] or "DECIDED")
    return {"state": state, **row, "reasons": list(row["reasons"]), **decision}


def not_found(claim_id: str) -> dict[str, Any]:
    """The document for a claim nobody has decided (exit 3 on the CLI, 404 over HTTP)."""
    return {"claim_id": claim_id, "error": "not found"}


def render(document: dict[str, Any]) -> str:
    """A status document as JSON text, exactly as `claims status` prints it (dates via str())."""
    return json.dumps(document, indent=2, default=str)
