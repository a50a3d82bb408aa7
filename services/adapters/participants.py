"""Participants in PostgreSQL: their coverage snapshots and the claims decided for them, each
participant-events batch written in one transaction with its employer side, its events to
publish and its positions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.adapters.employer_accounts import _write_employer
from services.adapters.outboxes import _insert_outbox
from services.adapters.pg_base import PoolUser, _columns
from services.adapters.positions import _advance
from services.app.records import (
    NO_EMPLOYER_EFFECTS,
    Checkpoint,
    DecisionRow,
    EmployerEffects,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
)

_INSERT_DECISIONS = (
    "INSERT INTO claims (claim_id, kpj, participant_ref, program, event_date,"
    " submitted_at, outcome, reasons, total, payable_by, rule_set_version, decision,"
    " decided_at, assessment_inputs)"
    " SELECT c1, c2, c3, c4, c5, c6, c7, c8::text[], c9, c10, c11, c12, c13, c14"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],"
    " $6::timestamptz[], $7::text[], $8::text[], $9::bigint[], $10::text[],"
    " $11::text[], $12::jsonb[], $13::timestamptz[], $14::jsonb[])"
    " AS t(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)"
    " ON CONFLICT (claim_id) DO NOTHING"
)


async def _upsert_participants(conn: asyncpg.Connection, rows: Sequence[ParticipantRow]) -> None:
    """COPY into a temporary table, then one guarded upsert (an older position never
    overwrites a newer one)."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS participants_in"
        " (LIKE participants INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table(
        "participants_in",
        columns=_PARTICIPANT_COLUMNS,
        records=[_participant_record(r) for r in rows],
    )
    await conn.execute(_UPSERT_PARTICIPANTS)


def _decision_record(r: DecisionRow) -> tuple[Any, ...]:
    return (
        r.claim_id,
        r.kpj,
        r.participant_ref,
        r.program,
        r.event_date,
        r.submitted_at,
        r.outcome,
        "{" + ",".join(r.reasons) + "}",
        r.total,
        r.payable_by,
        r.rule_set_version,
        r.decision_json,
        r.decided_at,
        r.assessment_inputs,
    )


def _latest_per_kpj(rows: Sequence[ParticipantRow]) -> list[ParticipantRow]:
    latest: dict[str, ParticipantRow] = {}
    for r in rows:
        seen = latest.get(r.kpj)
        if seen is None or r.position.offset >= seen.position.offset:
            latest[r.kpj] = r
    return list(latest.values())


_PARTICIPANT_COLUMNS = [
    "kpj",
    "participant_ref",
    "category",
    "birth_date",
    "employer_npp",
    "sponsor_id",
    "work_unit",
    "batch_id",
    "enrolled_on",
    "declared_wage",
    "jkk_risk_class",
    "ended_on",
    "end_reason",
    "coverage",
    "source_partition",
    "source_offset",
]


def _participant_record(r: ParticipantRow) -> tuple[Any, ...]:
    return (
        r.kpj,
        r.participant_ref,
        r.category,
        r.birth_date,
        r.employer_npp,
        r.sponsor_id,
        r.work_unit,
        r.batch_id,
        r.enrolled_on,
        r.declared_wage,
        r.jkk_risk_class,
        r.ended_on,
        r.end_reason,
        r.coverage_json,
        r.position.partition,
        r.position.offset,
    )


# Built from a fixed column list in this module, never from input: no injection vector.
_UPSERT_PARTICIPANTS = (
    "INSERT INTO participants ("  # noqa: S608
    + ", ".join(_PARTICIPANT_COLUMNS)
    + ") SELECT "
    + ", ".join(_PARTICIPANT_COLUMNS)
    + " FROM participants_in"
    " ON CONFLICT (kpj) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _PARTICIPANT_COLUMNS[1:])
    + ", updated_at = now() WHERE participants.source_offset < EXCLUDED.source_offset"
    " OR participants.source_partition <> EXCLUDED.source_partition"
)


class Participants(PoolUser):
    """The participant port: the state the adjudicator reads and the batches it writes."""

    async def load_participants(self, kpjs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The committed state of these participants (those never enrolled are left out)."""
        if not kpjs:
            return {}
        rows = await self._guard(
            "load_participants",
            self._pool.fetch(
                "SELECT kpj, coverage::text AS state FROM participants WHERE kpj = ANY($1::text[])",
                list(kpjs),
            ),
        )
        return {r["kpj"]: json.loads(r["state"]) for r in rows}

    async def save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        """Upsert coverage snapshots; an older position never overwrites a newer one."""
        if rows:
            await self._guard("save_participants", self._save_participants(_latest_per_kpj(rows)))

    async def _save_participants(self, rows: Sequence[ParticipantRow]) -> None:
        async with self._tx() as conn:
            await _upsert_participants(conn, rows)

    async def record_decisions(self, rows: Sequence[DecisionRow]) -> int:
        """Insert decisions once; a replayed decision is ignored. Returns the number new."""
        if not rows:
            return 0
        return await self._guard("record_decisions", self._record_decisions(rows))

    async def _record_decisions(self, rows: Sequence[DecisionRow]) -> int:
        async with self._tx() as conn:
            # reasons travel as one text per row ('{a,b}') and are cast back to text[] here:
            # unnest cannot take an array of arrays of different lengths.
            new = await conn.fetch(
                _INSERT_DECISIONS + " RETURNING claim_id", *_columns(rows, _decision_record, 14)
            )
            return len(new)

    async def commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects = NO_EMPLOYER_EFFECTS,
    ) -> list[PendingEvent]:
        """One participant-events batch in one transaction: the state upserts, the decided
        claims, the employer side (contribution checks, obligations, reimbursements), the
        records to publish and the consumed positions (fenced). Returns the outbox rows
        written, for the worker to publish straight away."""
        return await self._guard(
            "commit_participants",
            self._commit_participants(checkpoint, rows, decisions, outbox, employer),
        )

    async def _commit_participants(
        self,
        checkpoint: Checkpoint,
        rows: Sequence[ParticipantRow],
        decisions: Sequence[DecisionRow],
        outbox: Sequence[OutboxEvent],
        employer: EmployerEffects,
    ) -> list[PendingEvent]:
        async with self._tx() as conn:
            await _advance(conn, checkpoint)
            if rows:
                await _upsert_participants(conn, _latest_per_kpj(rows))
            if decisions:
                await conn.execute(_INSERT_DECISIONS, *_columns(decisions, _decision_record, 14))
            if employer:
                await _write_employer(conn, employer)
            return await _insert_outbox(conn, outbox)
