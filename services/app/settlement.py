"""Use case: turn decisions into settlement rows, payment instructions and payment outcomes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from services.app.payment_rows import AccountCorrectionRow, PaymentResultRow
from services.app.records import DeadLetterRow, DecisionRow, Position, SettlementRow
from services.rules import Program, RuleSet
from services.rules.dates import JAKARTA
from services.rules.deadlines import due_date, late_interest
from services.sealing import Sealer

INSTRUCTION_NS = uuid.UUID("0e3f4b8a-33c2-4b59-8f0e-6a1f5d2c7b90")
Encode = Callable[[str, Mapping[str, Any]], bytes]


def _json(value: object) -> str:
    return json.dumps(value, default=lambda v: v.isoformat(), separators=(",", ":"))


def decision_row(r: Mapping[str, Any]) -> DecisionRow:
    return DecisionRow(
        claim_id=r["claim_id"],
        kpj=r["kpj"],
        participant_ref=r["participant_ref"],
        program=r["program"],
        event_date=r["event_date"],
        submitted_at=r["submitted_at"],
        outcome=r["outcome"],
        reasons=tuple(r["reasons"]),
        total=max(r["total"], 0),
        payable_by=r["payable_by"],
        rule_set_version=r["rule_set_version"],
        decision_json=_json({"checks": r["checks"], "components": r["components"]}),
        decided_at=r["occurred_at"],
        assessment_inputs=r.get("assessment_inputs"),
    )


def complete_on(decision: Mapping[str, Any]) -> date:
    """The statutory clock starts when the application was complete: its submission day, Jakarta."""
    submitted: datetime = decision["submitted_at"]
    return submitted.astimezone(JAKARTA).date()


def payment_instruction(
    key: str,
    claim_id: str,
    program: str,
    payee: Mapping[str, Any],
    amount: int,
    due: date,
    now: datetime,
    employer_npp: str | None = None,
    replaces_instruction_id: str | None = None,
) -> dict[str, Any]:
    """A PaymentInstruction record. Its ids derive from the idempotency key, so the same
    instruction made again (a redelivered decision, a replayed posting) is the same record; a
    claim's own instruction ("claim:<id>") keeps the id it always had, uuid5 of the claim id."""
    instruction_id = str(uuid.uuid5(INSTRUCTION_NS, key.removeprefix("claim:")))
    return {
        "event_id": instruction_id,
        "occurred_at": now.astimezone(UTC),
        "source": "bpjs-claims",
        "instruction_id": instruction_id,
        "claim_id": claim_id,
        "idempotency_key": key,
        "program": program,
        "payee": dict(payee),
        "amount": amount,
        "currency": "IDR",
        "due_date": due,
        "issued_at": now.astimezone(UTC),
        "employer_npp": employer_npp,
        "replaces_instruction_id": replaces_instruction_id,
    }


def settlement_row(
    decision: Mapping[str, Any],
    position: Position,
    encode: Encode,
    rules: RuleSet,
    now: datetime,
    instruction_amount: int | None = None,
) -> SettlementRow:
    """An approved decision as a settlement plus its payment instruction (one per claim). An
    employer-first approval gets none: the employer pays the worker, and BPJS reimburses the
    employer later with the claim's one instruction (services/app/employer_accounts.py)."""
    claim_id = decision["claim_id"]
    program = Program(decision["program"])
    started = complete_on(decision)
    due = due_date(program, started, rules=rules)
    # Deterministic ids: a redelivered decision yields the same instruction, which the unique
    # claim_id in settlements then drops.
    pays = decision["total"] if instruction_amount is None else instruction_amount
    instruction = payment_instruction(
        f"claim:{claim_id}", claim_id, program.value, decision["payee"], pays, due, now
    )
    instruction_id = instruction["instruction_id"]
    return SettlementRow(
        claim_id=claim_id,
        program=program.value,
        amount=decision["total"],
        payable_by=decision["payable_by"],
        rule_set_version=decision["rule_set_version"],
        decision_json=_json({"checks": decision["checks"], "components": decision["components"]}),
        complete_on=started,
        due_date=due,
        instruction_id=instruction_id,
        idempotency_key=instruction["idempotency_key"],
        instruction_payload=None
        if decision["payable_by"] == "EMPLOYER_FIRST"
        else encode("bpjs.payment.PaymentInstruction", instruction),
        position=position,
        instruction_amount=instruction_amount,
    )


def payment_result_row(r: Mapping[str, Any]) -> PaymentResultRow:
    return PaymentResultRow(
        event_id=r["event_id"],
        instruction_id=r["instruction_id"],
        claim_id=r["claim_id"],
        status=r["status"],
        paid_on=r.get("paid_on"),
        failure_reason=r.get("failure_reason"),
    )


def account_correction_row(r: Mapping[str, Any]) -> AccountCorrectionRow:
    return AccountCorrectionRow(
        event_id=r["event_id"],
        occurred_at=r["occurred_at"],
        source=r["source"],
        claim_id=r["claim_id"],
        payee=dict(r["payee"]),
        reason=r["reason"],
    )


def dead_letter_row(
    r: Mapping[str, Any], sealer: Sealer, schema_of: Callable[[bytes], str | None]
) -> DeadLetterRow:
    """A DeadLetter record as a row that holds no clear key or value.

    A record still carrying the clear original (schema v1: written before dead letters were
    sealed, or by another producer) is sealed here with the worker's public key, so replaying
    an old dead-letter topic never puts a clear NIK into PostgreSQL.
    """
    where = Position(r["topic"], r["partition"], r["offset"])
    sealed = r.get("sealed")
    if sealed is None:
        value: bytes = r["value"]
        fresh = sealer.seal(r.get("key"), value, where)
        envelope, key_id, digest = fresh.envelope, fresh.key_id, fresh.value_digest
        size, schema = fresh.value_size, schema_of(value)
    else:
        if r.get("value_digest") is None or r.get("key_id") is None:
            raise ValueError(f"dead letter for {where}: sealed without key_id or value_digest")
        envelope, key_id, digest = sealed, r["key_id"], r["value_digest"]
        size, schema = r.get("value_size") or 0, r.get("value_schema")
    return DeadLetterRow(
        topic=r["topic"],
        partition=r["partition"],
        offset=r["offset"],
        error_class=r["error_class"],
        error_message=r["error_message"],
        first_seen_at=r["first_seen_at"],
        consumer=r["consumer"],
        sealed=envelope,
        key_id=key_id,
        value_digest=digest,
        value_size=size,
        value_schema=schema,
    )


def interest_fn(rules: RuleSet) -> Callable[[str, int, date, date], tuple[int, int]]:
    """Days late and statutory late interest of a payment (PP 44/2015 Pasal 37, 40)."""

    def interest(program: str, amount: int, due: date, paid_on: date) -> tuple[int, int]:
        late = late_interest(Program(program), amount, due, paid_on, rules)
        return late.days_late, late.amount

    return interest
