"""`claims owed`: the aged-unpaid document and its table (pure; the query is tested in
tests/integration/test_payment_followups_store.py)."""

from __future__ import annotations

import json
from datetime import date

from claims.owed import document, render_json, render_text
from services.app.aged_unpaid import aged


def test_the_report_totals_per_program_and_overall_in_whole_rupiah() -> None:
    rows = [("JKK", date(2025, 6, 12), 1, 16_250_000), ("JKM", date(2025, 5, 1), 2, 84_000_000)]
    doc = document(aged(rows, date(2025, 6, 14)), date(2025, 6, 14))
    assert doc["programs"]["JKK"]["buckets"]["1-7"] == {"instructions": 1, "amount": 16_250_000}
    assert doc["programs"]["JKM"]["buckets"]["over_30"]["amount"] == 84_000_000
    assert (doc["instructions"], doc["amount"]) == (3, 100_250_000)
    assert json.loads(render_json(doc)) == doc
    text = render_text(doc)
    assert "1 / Rp16,250,000" in text and "total: 3 instructions, Rp100,250,000" in text
