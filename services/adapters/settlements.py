"""Settlements in PostgreSQL: each approved claim settled once, in one transaction with its
payment instruction, the pension or scholarships it starts, and its positions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.adapters.pensions import insert_pensions
from services.adapters.pg_base import PoolUser, _columns
from services.adapters.positions import _advance, _record_positions
from services.adapters.scholarships import insert_scholarships
from services.app.records import Checkpoint, SettlementRow


def _settlement_record(r: SettlementRow) -> tuple[Any, ...]:
    return (
        r.claim_id,
        r.program,
        r.amount,
        r.payable_by,
        r.rule_set_version,
        r.decision_json,
        r.complete_on,
        r.due_date,
    )


class Settlements(PoolUser):
    """The settlement port: a claim settles once, however often it is delivered."""

    async def settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None = None
    ) -> list[str]:
        """Settle a batch in one transaction: settlement, outbox instruction and positions.

        A claim already settled is skipped (unique claim_id), so however often a claim is
        delivered it settles once and gets one payment instruction. Returns the claim ids
        settled now.
        """
        if not rows and checkpoint is None:
            return []
        return await self._guard("settle", self._settle(consumer, rows, checkpoint))

    async def _settle(
        self, consumer: str, rows: Sequence[SettlementRow], checkpoint: Checkpoint | None
    ) -> list[str]:
        # A decision delivered twice can land twice in one batch: one row per claim, or the
        # second copy's instruction would collide with the first's inside this transaction.
        positions = [r.position for r in rows]
        rows = list({r.claim_id: r for r in reversed(rows)}.values())[::-1]
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            if not rows:
                return []
            settled = await conn.fetch(
                "INSERT INTO settlements (claim_id, program, amount, payable_by, rule_set_version,"
                " decision, complete_on, due_date) SELECT * FROM unnest($1::text[], $2::text[],"
                " $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::date[], $8::date[])"
                " ON CONFLICT (claim_id) DO NOTHING RETURNING claim_id",
                *_columns(rows, _settlement_record, 8),
            )
            new_ids = {r["claim_id"] for r in settled}
            fresh = [r for r in rows if r.claim_id in new_ids]
            # An employer-first claim settles without an instruction: the employer pays it,
            # and its reimbursement is issued later (services/app/employer_accounts.py).
            paying = [r for r in fresh if r.instruction_payload is not None]
            if paying:
                await conn.executemany(
                    "INSERT INTO payment_outbox (instruction_id, claim_id, idempotency_key,"
                    " payload, program, amount, due_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [
                        (
                            r.instruction_id,
                            r.claim_id,
                            r.idempotency_key,
                            r.instruction_payload,
                            r.program,
                            r.first_amount,
                            r.due_date,
                        )
                        for r in paying
                    ],
                )
            await insert_pensions(conn, [r.pension for r in fresh if r.pension is not None])
            await insert_scholarships(
                conn,
                [g for r in fresh for g in r.scholarships],
                [y for r in fresh for y in r.scholarship_years],
            )
            if checkpoint is None:
                await _record_positions(conn, consumer, positions)
            return [r.claim_id for r in fresh]
