"""Use case: apply a sponsor's events (funded cohorts, completed enrollment batches)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.app.records import BatchMarkerRow, SponsorFundingRow


@dataclass(frozen=True)
class SponsorChange:
    kind: str
    sponsor_id: str
    sponsor_state: dict[str, Any] | None = None
    funding: SponsorFundingRow | None = None
    batch: BatchMarkerRow | None = None


def sponsor_change(name: str, r: Mapping[str, Any], get: Callable[[str], Any]) -> SponsorChange:
    """A funded period extends the sponsor's fundings; a batch marker is recorded for audit."""
    kind = name.rsplit(".", 1)[-1]
    if kind == "EnrollmentBatchCompleted":
        sid = r.get("sponsor_id") or ""
        return SponsorChange(
            kind, sid, batch=BatchMarkerRow(r["batch_id"], r.get("sponsor_id"), r["expected_count"])
        )
    sid = r["sponsor_id"]
    current = get(sid) or {"fundings": []}
    span = [r["period_start"].isoformat(), r["period_end"].isoformat(), list(r["programs"])]
    # One row per (cohort, period start): the same funding sent again replaces itself; another
    # cohort of the same sponsor, or a renewal for a new period, adds to what is funded.
    span = [*span, r["cohort_id"]]
    fundings = [f for f in current["fundings"] if (f[0], f[3:]) != (span[0], span[3:])] + [span]
    row = SponsorFundingRow(
        sid,
        r["cohort_id"],
        r["sponsor_name"],
        r["sponsor_kind"],
        r["period_start"],
        r["period_end"],
        r["budget"],
        tuple(r["programs"]),
        r["participant_count"],
        r["event_id"],
    )
    return SponsorChange(kind, sid, {"fundings": sorted(fundings)}, funding=row)
