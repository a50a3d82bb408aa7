"""The SQL of the worker's writes and the row <-> record conversions (used by postgres.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from services.app.records import (
    Checkpoint,
    ContributionCheckRow,
    DecisionRow,
    EmployerEffects,
    OutboxEvent,
    ParticipantRow,
    PendingEvent,
    Position,
    SettlementRow,
    SponsorFundingRow,
    StoredDeadLetter,
)
from services.errors import Fenced

T = TypeVar("T")

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


async def _advance(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    """Record a batch's consumed positions inside its transaction, fenced.

    The rows of the batch's partitions are locked first; if any already records an offset of
    this batch, another consumer applied it (the partition moved while this worker worked):
    Fenced, and the whole transaction rolls back. A partition seen for the first time is
    inserted; if another consumer inserted it meanwhile, the insert turns into an update
    (xmax <> 0) and that is fenced too.
    """
    marks = checkpoint.marks
    if not marks:
        return
    topics = [m.topic for m in marks]
    partitions = [m.partition for m in marks]
    held = await conn.fetch(
        'SELECT topic, partition, "offset" FROM processed_offsets WHERE consumer = $1'
        " AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))"
        " ORDER BY topic, partition FOR UPDATE",
        checkpoint.consumer,
        topics,
        partitions,
    )
    recorded = {(r["topic"], r["partition"]): r["offset"] for r in held}
    for m in marks:
        done = recorded.get((m.topic, m.partition))
        if done is not None and done >= m.first:
            raise Fenced(
                f"{checkpoint.consumer}: {m.topic}[{m.partition}] already recorded at {done},"
                f" this batch starts at {m.first}: another worker applied it"
            )
    written = await conn.fetch(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset")'
        " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)"
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()'
        " RETURNING topic, partition, (xmax = 0) AS inserted",
        checkpoint.consumer,
        topics,
        partitions,
        [m.last for m in marks],
    )
    for r in written:
        if (r["topic"], r["partition"]) not in recorded and not r["inserted"]:
            raise Fenced(
                f"{checkpoint.consumer}: {r['topic']}[{r['partition']}] was first recorded by"
                " another worker while this batch was applied"
            )


async def _insert_outbox(
    conn: asyncpg.Connection, outbox: Sequence[OutboxEvent]
) -> list[PendingEvent]:
    if not outbox:
        return []
    ids = await conn.fetch(
        "INSERT INTO event_outbox (topics, key, payload)"
        " SELECT string_to_array(t, ','), k, p FROM unnest($1::text[], $2::text[], $3::bytea[])"
        " WITH ORDINALITY AS u(t, k, p, n) ORDER BY n RETURNING id",
        [",".join(e.topics) for e in outbox],
        [e.key for e in outbox],
        [e.payload for e in outbox],
    )
    # INSERT ... SELECT ... ORDER BY assigns the serial ids in that order, and RETURNING gives
    # them back in insertion order.
    return [
        PendingEvent(r["id"], e.topics, e.key, e.payload) for r, e in zip(ids, outbox, strict=True)
    ]


async def _record_positions(
    conn: asyncpg.Connection, consumer: str, positions: list[Position]
) -> None:
    latest: dict[tuple[str, int], int] = {}
    for p in positions:
        key = (p.topic, p.partition)
        latest[key] = max(latest.get(key, -1), p.offset)
    await conn.executemany(
        'INSERT INTO processed_offsets (consumer, topic, partition, "offset") VALUES ($1,$2,$3,$4)'
        ' ON CONFLICT (consumer, topic, partition) DO UPDATE SET "offset" ='
        ' GREATEST(processed_offsets."offset", EXCLUDED."offset"), updated_at = now()',
        [(consumer, t, p, o) for (t, p), o in latest.items()],
    )


def _columns(
    rows: Sequence[T], to_record: Callable[[T], tuple[Any, ...]], n: int
) -> list[list[Any]]:
    """Transpose rows into n column arrays for an `unnest` insert (one round trip per batch)."""
    cols: list[list[Any]] = [[] for _ in range(n)]
    for row in rows:
        for i, value in enumerate(to_record(row)):
            cols[i].append(value)
    return cols


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


_DEAD_LETTER_SELECT = (
    'SELECT id, topic, partition, "offset", error_class, error_message, first_seen_at, consumer,'
    " sealed, key_id, value_size, value_schema, replayed_at FROM dead_letters"
)


def _stored_dead_letter(r: Any) -> StoredDeadLetter:
    return StoredDeadLetter(
        id=r["id"],
        topic=r["topic"],
        partition=r["partition"],
        offset=r["offset"],
        error_class=r["error_class"],
        error_message=r["error_message"],
        first_seen_at=r["first_seen_at"],
        consumer=r["consumer"],
        sealed=None if r["sealed"] is None else bytes(r["sealed"]),
        key_id=r["key_id"],
        value_size=r["value_size"],
        value_schema=r["value_schema"],
        replayed_at=r["replayed_at"],
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


_POSTING_COLUMNS = (
    "event_id",
    "kpj",
    "participant_ref",
    "employer_npp",
    "category",
    "period",
    "wage_base",
    "paid_on",
    "due_on",
    "months_late",
    "programs",
    "posted",
    "month_posted",
    "expected",
    "results",
    "differences",
    "penalties",
    "details",
    "rule_set_version",
)
# Built from the fixed column list above, never from input: no injection vector.
_INSERT_POSTINGS = (
    "INSERT INTO contribution_postings ("  # noqa: S608
    + ", ".join(_POSTING_COLUMNS)
    + ") SELECT "
    + ", ".join(_POSTING_COLUMNS)
    + " FROM contribution_postings_in ON CONFLICT (event_id) DO NOTHING"
)
_INSERT_OBLIGATION = (
    "INSERT INTO employer_obligations (obligation_id, kind, claim_id, employer_npp, kpj,"
    " participant_ref, program, amount, components, reason, regulation)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10,$11) ON CONFLICT (obligation_id) DO NOTHING"
)
_REIMBURSE = (
    "UPDATE employer_obligations SET status = 'REIMBURSEMENT_ISSUED',"
    " reimbursement_instruction_id = $2, reimbursement_amount = $3, reimbursement_due_on = $4,"
    " reimbursed_after = $5, updated_at = now() WHERE obligation_id = $1 AND status = 'OPEN'"
)


async def _write_employer(conn: asyncpg.Connection, effects: EmployerEffects) -> None:
    """Contribution checks, obligations, then reimbursements (an obligation is always written
    in an earlier or the same batch as its reimbursement: both come from one participant's
    events, in order)."""
    if effects.checks:  # COPY into a staging table (array columns), then one insert
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS contribution_postings_in"
            " (LIKE contribution_postings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await conn.copy_records_to_table(
            "contribution_postings_in",
            columns=_POSTING_COLUMNS,
            records=_posting_records(effects.checks),
        )
        await conn.execute(_INSERT_POSTINGS)
    if effects.obligations:
        await conn.executemany(
            _INSERT_OBLIGATION,
            [
                (o.obligation_id, o.kind, o.claim_id, o.employer_npp, o.kpj, o.participant_ref,
                 o.program, o.amount, o.components_json, o.reason, o.regulation)
                for o in effects.obligations
            ],
        )  # fmt: skip
    if effects.reimbursements:
        await conn.executemany(
            _REIMBURSE,
            [
                (r.obligation_id, r.instruction_id, r.amount, r.due_on, r.cleared_by)
                for r in effects.reimbursements
            ],
        )


def _posting_records(rows: Sequence[ContributionCheckRow]) -> list[tuple[Any, ...]]:
    """COPY records. Postings of the same terms share one tuple of lines (EmployerAccounts
    caches its judgements), so their eight array columns are made once per batch."""
    arrays: dict[int, tuple[list[Any], ...]] = {}
    out = []
    for r in rows:
        lines = r.lines
        columns = arrays.get(id(lines))  # the tuples live as long as `rows`
        if columns is None:
            columns = arrays[id(lines)] = (
                [c.program.value for c in lines], [c.posted for c in lines],
                [c.month_posted for c in lines], [c.expected for c in lines],
                [c.result for c in lines], [c.difference for c in lines],
                [c.penalty for c in lines], [c.detail for c in lines],
            )  # fmt: skip
        out.append(
            (r.event_id, r.kpj, r.participant_ref, r.employer_npp, r.category, r.period,
             r.wage_base, r.paid_on, r.due_on, r.months_late, *columns, r.rule_set_version)
        )  # fmt: skip
    return out
