"""Use case: what follows a claim's first payment instruction. The statutory late interest goes out
as its own instruction, and a FAILED instruction is re-issued, once, to a payee a branch corrected.

Pure: the adapters call these inside the transaction that records the late payment or the
correction, so the new instruction and what caused it commit together (or not at all).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.app.payment_rows import AccountCorrectionRow
from services.app.settlement import payment_instruction

Encode = Callable[[str, Mapping[str, Any]], bytes]
Decode = Callable[[bytes], Mapping[str, Any]]
INSTRUCTION = "bpjs.payment.PaymentInstruction"

# Why a correction was refused: stable codes (add, never rename), each with its explanation.
REJECTIONS: Mapping[str, str] = {
    "unknown_claim": "no settlement for this claim: nothing was ever paid or owed to re-issue",
    "payment_pending": "its payment has not failed (still PENDING): nothing to re-issue yet",
    "already_paid": "its payment is PAID: a correction never pays a claim twice",
    "employer_first": (
        "an employer-first claim is paid by the employer and reimbursed to the account the"
        " employer registered by NPP: a payee correction does not apply"
    ),
    "nothing_failed": "no FAILED instruction of this claim is left to re-issue",
}


def interest_key(claim_id: str) -> str:
    return f"interest:{claim_id}"


def reissue_key(claim_id: str, n: int) -> str:
    return f"reissue:{claim_id}:{n}"


@dataclass(frozen=True)
class NewInstruction:
    """An instruction to write to the payment outbox, with the columns the outbox keeps."""

    instruction_id: str
    claim_id: str
    idempotency_key: str
    program: str
    amount: int
    due_date: date
    replaces_instruction_id: str | None
    payload: bytes


class FollowUps:
    """Builds the follow-up instructions from the instruction they follow (its payload as
    published), so a follow-up pays the same program, in the same currency, to the same payee
    unless a correction names a new one."""

    def __init__(
        self, encode: Encode, decode: Decode, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._encode, self._decode = encode, decode
        self._clock = clock if clock is not None else (lambda: datetime.now(UTC))

    def interest(self, paid: bytes, amount: int, paid_on: date) -> NewInstruction:
        """The statutory late interest of a benefit paid late (1% of the benefit per day of
        delay, PP 44/2015 Pasal 37 for JKK, Pasal 40 for JKm), to the payee of the paid
        instruction, due on the day the benefit was paid: it was owed from then."""
        ins = self._decode(paid)
        key = interest_key(ins["claim_id"])
        return self._build(ins, key, ins["payee"], amount, paid_on, None)

    def reissue(
        self, failed: bytes, row: AccountCorrectionRow, n: int, replaces: str
    ) -> NewInstruction:
        """The FAILED instruction again, to the corrected payee, with a new idempotency key: the
        same amount and the same due date (the delay, if any, still counts from it)."""
        ins = self._decode(failed)
        key = reissue_key(row.claim_id, n)
        return self._build(ins, key, row.payee, ins["amount"], ins["due_date"], replaces)

    def _build(
        self,
        ins: Mapping[str, Any],
        key: str,
        payee: Mapping[str, Any],
        amount: int,
        due: date,
        replaces: str | None,
    ) -> NewInstruction:
        record = payment_instruction(
            key, ins["claim_id"], ins["program"], payee, amount, due, self._clock(),
            ins.get("employer_npp"), replaces,
        )  # fmt: skip
        return NewInstruction(
            instruction_id=record["instruction_id"],
            claim_id=record["claim_id"],
            idempotency_key=key,
            program=record["program"],
            amount=amount,
            due_date=due,
            replaces_instruction_id=replaces,
            payload=self._encode(INSTRUCTION, record),
        )
