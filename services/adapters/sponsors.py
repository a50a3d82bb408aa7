"""Sponsors in PostgreSQL: the funded periods the adjudicator reads and the enrollment batch
markers, each sponsor-events batch written once with its positions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.adapters.pg_base import PoolUser
from services.adapters.positions import _advance
from services.app.records import BatchMarkerRow, Checkpoint, SponsorFundingRow

_INSERT_FUNDING = (
    "INSERT INTO sponsor_fundings (sponsor_id, cohort_id, sponsor_name, sponsor_kind,"
    " period_start, period_end, budget, programs, participant_count, event_id)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING"
)


def _funding_record(r: SponsorFundingRow) -> tuple[Any, ...]:
    return (
        r.sponsor_id,
        r.cohort_id,
        r.sponsor_name,
        r.sponsor_kind,
        r.period_start,
        r.period_end,
        r.budget,
        list(r.programs),
        r.participant_count,
        r.event_id,
    )


class Sponsors(PoolUser):
    """The sponsor port: funded periods in, as the adjudicator reads them out."""

    async def sponsor_fundings(self, sponsor_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Funded periods per sponsor, as the adjudicator reads them: {"fundings": [[start, end,
        programs, cohort], ...]} sorted, one entry per (cohort, period start)."""
        if not sponsor_ids:
            return {}
        rows = await self._guard(
            "sponsor_fundings",
            self._pool.fetch(
                "SELECT sponsor_id, period_start, period_end, programs, cohort_id"
                " FROM sponsor_fundings WHERE sponsor_id = ANY($1::text[])",
                list(sponsor_ids),
            ),
        )
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            out.setdefault(r["sponsor_id"], {"fundings": []})["fundings"].append(
                [
                    r["period_start"].isoformat(),
                    r["period_end"].isoformat(),
                    list(r["programs"]),
                    r["cohort_id"],
                ]
            )
        for found in out.values():
            found["fundings"].sort()
        return out

    async def commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        """A sponsor-events batch: funded periods, batch markers and positions, in one go."""
        await self._guard("commit_sponsors", self._commit_sponsors(checkpoint, fundings, markers))

    async def _commit_sponsors(
        self,
        checkpoint: Checkpoint,
        fundings: Sequence[SponsorFundingRow],
        markers: Sequence[BatchMarkerRow],
    ) -> None:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
            if fundings:
                await conn.executemany(_INSERT_FUNDING, [_funding_record(r) for r in fundings])
            if markers:
                await conn.executemany(
                    "INSERT INTO enrollment_batches (batch_id, sponsor_id, expected_count)"
                    " VALUES ($1,$2,$3) ON CONFLICT (batch_id) DO NOTHING",
                    [(m.batch_id, m.sponsor_id, m.expected_count) for m in markers],
                )
