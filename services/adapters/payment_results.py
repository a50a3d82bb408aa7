"""Payment results and account corrections: each result event applied once, to the instruction
it names; a paid settlement never un-paid; the statutory late interest computed by the caller's
rule, stored with the payment and issued as its own instruction in the same transaction; a FAILED
instruction re-issued once to a corrected payee, every other correction rejected and recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from services.adapters.pg_base import PoolUser
from services.adapters.positions import _advance
from services.app.followups import REJECTIONS, FollowUps, NewInstruction
from services.app.payment_rows import (
    AccountCorrectionRow,
    CorrectionOutcome,
    PaymentOutcome,
    PaymentResultRow,
)
from services.app.ports import InterestFn
from services.app.records import Checkpoint

_INSERT_INSTRUCTION = (
    "INSERT INTO payment_outbox (instruction_id, claim_id, idempotency_key, payload, program,"
    " amount, due_date, replaces_instruction_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    " ON CONFLICT DO NOTHING RETURNING instruction_id"
)
# A claim's FAILED instructions that no re-issue replaces yet, oldest first.
_FAILED = (
    "SELECT o.instruction_id, o.purpose, o.payload FROM payment_outbox o WHERE o.claim_id = $1"
    " AND o.status = 'FAILED' AND NOT EXISTS (SELECT 1 FROM payment_outbox r"
    " WHERE r.replaces_instruction_id = o.instruction_id) ORDER BY o.created_at, o.instruction_id"
    " FOR UPDATE"
)


async def _issue(conn: asyncpg.Connection, i: NewInstruction) -> str | None:
    """Write a follow-up instruction once: its idempotency key (and purpose) is unique."""
    issued: str | None = await conn.fetchval(
        _INSERT_INSTRUCTION, i.instruction_id, i.claim_id, i.idempotency_key, i.payload,
        i.program, i.amount, i.due_date, i.replaces_instruction_id,
    )  # fmt: skip
    return issued


class PaymentResults(PoolUser):
    async def apply_payment_results(
        self,
        rows: Sequence[PaymentResultRow],
        interest: InterestFn,
        checkpoint: Checkpoint | None = None,
        followups: FollowUps | None = None,
    ) -> list[PaymentOutcome]:
        """Mark instructions and settlements paid or failed, once per result event, with the
        statutory late interest (issued as its own instruction when `followups` is given)."""
        if not rows and checkpoint is None:
            return []
        return await self._guard(
            "apply_payment_results", self._apply_payments(rows, interest, checkpoint, followups)
        )

    async def _apply_payments(
        self,
        rows: Sequence[PaymentResultRow],
        interest: InterestFn,
        checkpoint: Checkpoint | None,
        followups: FollowUps | None,
    ) -> list[PaymentOutcome]:
        outcomes: list[PaymentOutcome] = []
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            # Claims in id order (stable: one claim's results keep their order), as the
            # corrections take them: two batches lock their settlements in one order.
            for r in sorted(rows, key=lambda r: r.claim_id):
                outcome = await self._apply_one(conn, r, interest, followups)
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    async def _apply_one(
        self,
        conn: asyncpg.Connection,
        r: PaymentResultRow,
        interest: InterestFn,
        followups: FollowUps | None,
    ) -> PaymentOutcome | None:
        fresh = await conn.fetchval(
            "INSERT INTO payment_results (event_id, instruction_id, claim_id, status,"
            " paid_on, failure_reason) VALUES ($1,$2,$3,$4,$5,$6)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING 1",
            r.event_id, r.instruction_id, r.claim_id, r.status, r.paid_on, r.failure_reason,
        )  # fmt: skip
        if fresh is None:
            return None
        # The settlement first, then its instructions: the corrections take their locks in the
        # same order, so the two agents never deadlock on one claim.
        s = await conn.fetchrow(
            "SELECT program, amount, due_date, status, payable_by FROM settlements"
            " WHERE claim_id = $1 FOR UPDATE",
            r.claim_id,
        )
        if s is None:
            return None  # unknown claim (an instruction never exists without its settlement)
        # The instruction it names (an employer's reimbursement is not in payment_outbox: it is
        # published from event_outbox, and its result is the settlement's as before).
        ins = await conn.fetchrow(
            "SELECT o.purpose, o.status, o.payload, o.amount,"
            " EXISTS (SELECT 1 FROM payment_outbox x"
            " WHERE x.replaces_instruction_id = o.instruction_id) AS replaced"
            " FROM payment_outbox o WHERE o.instruction_id = $1 AND o.claim_id = $2 FOR UPDATE",
            r.instruction_id,
            r.claim_id,
        )
        if ins is not None:
            if ins["status"] == "PAID":
                return None  # a paid instruction is never un-paid
            await conn.execute(
                "UPDATE payment_outbox SET status = $2, paid_on = $3, failure_reason = $4,"
                " updated_at = now() WHERE instruction_id = $1",
                r.instruction_id, r.status, r.paid_on, r.failure_reason,
            )  # fmt: skip
            if ins["purpose"] in ("interest", "pension", "scholarship"):
                # The interest's own payment, a pension month's or a school year's: the
                # settlement (the claim's first instruction) has its own result.
                return None
            if ins["replaced"] and r.status != "PAID":
                return None  # a re-issue replaced it: the re-issue's result decides
        if s["status"] == "PAID":
            return None  # already paid: a later result never un-pays
        days, accrued = (0, 0)
        # The statutory late interest is owed to the participant; an employer-first
        # claim's one payment is the employer's reimbursement, which carries none.
        if r.status == "PAID" and r.paid_on is not None and s["payable_by"] == "BPJS":
            # On what this instruction paid: the claim's own (or its re-issue), which is the
            # settlement less the scholarships paid by school year.
            benefit = s["amount"] if ins is None else ins["amount"]
            days, accrued = interest(s["program"], benefit, s["due_date"], r.paid_on)
        await conn.execute(
            "UPDATE settlements SET status = $2, paid_on = $3, days_late = $4,"
            " late_interest = $5, failure_reason = $6, updated_at = now()"
            " WHERE claim_id = $1",
            r.claim_id, r.status, r.paid_on, days, accrued, r.failure_reason,
        )  # fmt: skip
        issued = None
        if accrued > 0 and r.paid_on is not None and followups is not None and ins is not None:
            made = followups.interest(bytes(ins["payload"]), accrued, r.paid_on)
            issued = await _issue(conn, made)
        return PaymentOutcome(r.claim_id, s["program"], r.status, days, accrued, issued)

    async def apply_account_corrections(
        self,
        rows: Sequence[AccountCorrectionRow],
        followups: FollowUps,
        checkpoint: Checkpoint | None = None,
    ) -> list[CorrectionOutcome]:
        """Re-issue each corrected claim's FAILED instruction once, to the new payee; reject
        (and record) every other correction. Each correction event applies once."""
        if not rows and checkpoint is None:
            return []
        return await self._guard(
            "apply_account_corrections", self._apply_corrections(rows, followups, checkpoint)
        )

    async def _apply_corrections(
        self,
        rows: Sequence[AccountCorrectionRow],
        followups: FollowUps,
        checkpoint: Checkpoint | None,
    ) -> list[CorrectionOutcome]:
        outcomes: list[CorrectionOutcome] = []
        async with self._tx() as conn:
            if checkpoint is not None:
                await _advance(conn, checkpoint)
            for r in sorted(rows, key=lambda r: r.claim_id):  # as the results: see above
                seen = await conn.fetchval(
                    "SELECT 1 FROM account_corrections WHERE event_id = $1", r.event_id
                )
                if seen is not None:
                    continue  # this correction applied already: a redelivery pays nothing
                outcome = await self._correct(conn, r, followups)
                await conn.execute(
                    "INSERT INTO account_corrections (event_id, claim_id, occurred_at, source,"
                    " reason, outcome, rejection, detail, reissued_instruction_id)"
                    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                    r.event_id, r.claim_id, r.occurred_at, r.source, r.reason,
                    "REJECTED" if outcome.rejection else "REISSUED", outcome.rejection,
                    REJECTIONS.get(outcome.rejection or ""), outcome.reissued,
                )  # fmt: skip
                outcomes.append(outcome)
        return outcomes

    async def _correct(
        self, conn: asyncpg.Connection, r: AccountCorrectionRow, followups: FollowUps
    ) -> CorrectionOutcome:
        s = await conn.fetchrow(
            "SELECT program, status, payable_by FROM settlements WHERE claim_id = $1 FOR UPDATE",
            r.claim_id,
        )
        if s is None:
            return CorrectionOutcome(r.claim_id, None, None, "unknown_claim")
        if s["payable_by"] != "BPJS":
            return CorrectionOutcome(r.claim_id, s["program"], None, "employer_first")
        failed = await conn.fetch(_FAILED, r.claim_id)
        if not failed:
            rejection = {"PAID": "already_paid", "PENDING": "payment_pending"}.get(
                s["status"], "nothing_failed"
            )
            return CorrectionOutcome(r.claim_id, s["program"], None, rejection)
        n = await conn.fetchval(
            "SELECT count(*) FROM payment_outbox WHERE claim_id = $1 AND purpose = 'reissue'",
            r.claim_id,
        )
        reissued = None
        for i, f in enumerate(failed, start=1):
            made = followups.reissue(bytes(f["payload"]), r, n + i, f["instruction_id"])
            reissued = await _issue(conn, made) or reissued
        # A pension in payment is paid to the corrected account from its next month on, a
        # scholarship from its next school year on.
        await conn.execute(
            "UPDATE pensions SET payee = $2::jsonb, updated_at = now()"
            " WHERE claim_id = $1 AND last_month IS NULL",
            r.claim_id, json.dumps(dict(r.payee)),
        )  # fmt: skip
        await conn.execute(
            "UPDATE scholarships SET payee = $2::jsonb WHERE claim_id = $1 AND stopped_on IS NULL",
            r.claim_id, json.dumps(dict(r.payee)),
        )  # fmt: skip
        if any(f["purpose"] in ("claim", "reissue") for f in failed):
            # The benefit is owed again, to the corrected payee: pending until its result.
            await conn.execute(
                "UPDATE settlements SET status = 'PENDING', failure_reason = NULL,"
                " updated_at = now() WHERE claim_id = $1",
                r.claim_id,
            )
        return CorrectionOutcome(r.claim_id, s["program"], reissued, None)
