"""`claims import`: a sponsor's enrollment file into ParticipantEnrolled events, one batch id.

Reads the file (claims/imports/files.py), validates every row (services/app/import_rows.py),
asks PostgreSQL who is already enrolled (by KPJ and by NIK pseudonym, never the clear NIK),
publishes the valid rows keyed by KPJ on bpjs.participant-events.v1, then one
EnrollmentBatchCompleted on bpjs.sponsor-events.v1, and writes the rejection report.

Exactly once per row: event ids are uuid5(batch id, KPJ) and the producer is idempotent. A re-run
of the same batch skips the people PostgreSQL already holds for this batch and republishes the
rest with the same event ids (the worker applies a repeated enrollment as a no-op re-enrolment).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from claims.imports.files import Report, Source, open_source
from claims.imports.publish import Prepared, Preparer, Progress, Publisher, start_producer
from services.adapters.postgres import PostgresStore, connect_store
from services.app import import_batch
from services.app import import_rows as core
from services.config import Settings
from services.config_secrets import nik_keyring
from services.rules.dates import JAKARTA
from streams.app import SCHEMAS_DIR
from streams.kafka import topics as T
from streams.kafka.admin import KafkaUnavailable
from streams.kafka.codec import AvroCodec

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 4
CHUNK = 5_000  # rows validated, screened against PostgreSQL and sent together


class NothingPublished(KafkaUnavailable):
    """Kafka failed before or during publishing: every row was still checked and the whole
    report written; the message says how many rows the broker had acknowledged."""


@dataclass(frozen=True)
class ImportOptions:
    path: Path
    sponsor_id: str
    batch_id: str | None = None
    format: str | None = None
    report: Path | None = None
    dry_run: bool = False
    progress: IO[str] | None = None  # where the progress bar goes (None: nowhere)


@dataclass
class ImportResult:
    """What an import did; `exit_code` is 0 when every row was valid, 4 when some were not."""

    file: str
    batch_id: str
    sponsor_id: str
    report: str
    dry_run: bool
    rows: int = 0
    published: int = 0
    already_in_batch: int = 0
    rejected_rows: int = 0
    problems: int = 0
    seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)
    kafka_error: Exception | None = None  # publishing stopped here; checking went on

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.rejected_rows else EXIT_OK

    def summary(self) -> dict[str, Any]:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return {
            "file": self.file,
            "batch_id": self.batch_id,
            "sponsor_id": self.sponsor_id,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "published" if not self.dry_run else "would_publish": self.published,
            "already_enrolled_by_this_batch": self.already_in_batch,
            "rejected_rows": self.rejected_rows,
            "problems": self.problems,
            "report": self.report,
            "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(rate),
        }


async def run_import(settings: Settings, options: ImportOptions) -> ImportResult:
    """The whole import; UnreadableFile for a file that cannot be read (exit 2)."""
    source = open_source(options.path, options.format)
    batch_id = options.batch_id or import_batch.default_batch_id(options.sponsor_id, source.sha256)
    report_path = options.report or options.path.with_name(options.path.name + ".rejections.csv")
    report = Report(report_path)
    result = ImportResult(
        str(options.path),
        batch_id,
        options.sponsor_id,
        str(report_path),
        options.dry_run,
        ignored_columns=list(source.ignored_columns),
    )
    try:
        # IMPORT_DATABASE_URL: reads participants (KPJ, pseudonym), writes nothing.
        store = await connect_store(settings, role="importer")
    except BaseException:
        report.close()
        raise
    producer: AIOKafkaProducer | None = None
    try:
        participants = settings.topic_prefix + T.PARTICIPANT_EVENTS.name
        sponsors = settings.topic_prefix + T.SPONSOR_EVENTS.name
        publisher, partitions = None, 1
        kafka_error: Exception | None = None
        if not options.dry_run:
            try:
                producer, partitions = await start_producer(settings, (participants, sponsors))
            except (KafkaError, KafkaUnavailable) as e:  # still check every row and report
                kafka_error = e
            else:
                publisher = Publisher(producer, participants)
        await _import(settings, options, source, store, publisher, partitions, report, result)
        kafka_error = kafka_error or result.kafka_error
        if kafka_error is not None:
            confirmed = publisher.confirmed if publisher is not None else 0
            done = f"{confirmed:,} row(s) published" if confirmed else "nothing published"
            raise NothingPublished(
                f"{done} before Kafka failed; {result.rows:,} rows checked,"
                f" {result.rejected_rows:,} rejected: the report {report_path} is complete;"
                f" re-run with --batch-id {batch_id} once Kafka answers (rows already applied"
                f" are skipped, the rest published with the same event ids)"
                f" ({type(kafka_error).__name__}: {kafka_error})"
            ) from kafka_error
        if producer is not None and result.published + result.already_in_batch:
            await _complete_batch(producer, sponsors, result)
    finally:
        report.close()
        if producer is not None:
            await producer.stop()
        await store.close()
    return result


async def _import(
    settings: Settings,
    options: ImportOptions,
    source: Source,
    store: PostgresStore,
    publisher: Publisher | None,
    partitions: int,
    report: Report,
    result: ImportResult,
) -> None:
    """Chunk by chunk, in file order: validate, screen against PostgreSQL, publish, report."""
    started = time.monotonic()
    now = datetime.now(UTC)
    occurred_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    prepare = Preparer(
        AvroCodec.from_directory(SCHEMAS_DIR),
        nik_keyring(settings),
        result.batch_id,
        result.sponsor_id,
        occurred_at,
        partitions,
    )
    progress = Progress(options.progress, source.lines - (source.format == "csv"))
    previous: _Chunk | None = None
    lookups: list[asyncio.Future[Any]] = []
    try:
        today = now.astimezone(JAKARTA).date()
        for chunk in _chunks(core.check_rows(source.rows(), today), CHUNK):
            valid = [o for o in chunk if isinstance(o, core.Enrollment)]
            prepared = prepare(valid)
            refs = [ref for p in prepared for ref in (p.ref, *p.older)]
            # PostgreSQL looks this chunk up while the previous one is published and the next
            # one validated (the task sends its query at the first await below).
            lookup = asyncio.ensure_future(_known(store, [e.kpj for e in valid], refs))
            lookups = [*lookups[-1:], lookup]
            await asyncio.sleep(0)
            if previous is not None:
                await _finish(previous, publisher, report, result)
                progress.update(result.rows, len(report.rows))
            previous = _Chunk(chunk, valid, prepared, lookup)
        if previous is not None:
            await _finish(previous, publisher, report, result)
    finally:
        for pending in lookups:  # after a failure: no query left running on a closed pool
            if not pending.done():
                pending.cancel()
            elif not pending.cancelled():
                pending.exception()  # retrieved: the failure that matters is already raised
    if publisher is not None and result.kafka_error is None:
        try:
            await publisher.flush()
        except KafkaError as e:  # the last chunk was not acknowledged
            publisher.abandon()
            result.kafka_error = e
    result.rejected_rows, result.problems = len(report.rows), report.problems
    result.seconds = time.monotonic() - started
    progress.update(result.rows, result.rejected_rows, final=True)


@dataclass
class _Chunk:
    rows: list[core.RowOutcome]
    valid: list[core.Enrollment]
    prepared: list[Prepared]
    lookup: asyncio.Future[tuple[dict[str, import_batch.Known], dict[str, import_batch.Known]]]


async def _finish(
    c: _Chunk, publisher: Publisher | None, report: Report, result: ImportResult
) -> None:
    """Screen a chunk against what PostgreSQL holds, publish what is new, report the rest."""
    by_kpj, by_ref = _as_current(c.prepared, *await c.lookup)
    refs = [p.ref for p in c.prepared]
    screened = import_batch.screen(c.valid, refs, by_kpj, by_ref, result.batch_id)
    problems = [p for o in c.rows if isinstance(o, core.Rejected) for p in o.problems]
    report.write(problems + [p for r in screened.rejected for p in r.problems])
    if publisher is not None and screened.publish and result.kafka_error is None:
        at = {e.row: p for e, p in zip(c.valid, c.prepared, strict=True)}
        try:
            await publisher.send(
                (e.kpj.encode(), at[e.row].partition, at[e.row].value) for e in screened.publish
            )
        except KafkaError as e:  # Kafka failed: publish no more, but check and report every row
            publisher.abandon()
            result.kafka_error = e
    result.rows += len(c.rows)
    result.published += len(screened.publish)
    result.already_in_batch += len(screened.already_in_batch)


def _as_current(
    prepared: Sequence[Prepared],
    by_kpj: dict[str, import_batch.Known],
    by_ref: dict[str, import_batch.Known],
) -> tuple[dict[str, import_batch.Known], dict[str, import_batch.Known]]:
    """What PostgreSQL holds under a previous NIK key, seen under the current one: a row's
    pseudonyms under the previous keys name the same person as its current one."""
    current = {old: p.ref for p in prepared for old in p.older}
    if not current:
        return by_kpj, by_ref

    def seen(k: import_batch.Known) -> import_batch.Known:
        ref = current.get(k.participant_ref)
        return k if ref is None else dataclasses.replace(k, participant_ref=ref)

    return (
        {kpj: seen(k) for kpj, k in by_kpj.items()},
        {seen(k).participant_ref: seen(k) for k in by_ref.values()},
    )


async def _known(
    store: PostgresStore, kpjs: list[str], refs: list[str]
) -> tuple[dict[str, import_batch.Known], dict[str, import_batch.Known]]:
    """Participants already enrolled under these KPJs or NIK pseudonyms (one query a chunk)."""
    if not kpjs:
        return {}, {}
    known = [import_batch.Known(*row) for row in await store.enrolled(kpjs, refs)]
    return {k.kpj: k for k in known}, {k.participant_ref: k for k in known}


async def _complete_batch(producer: AIOKafkaProducer, topic: str, result: ImportResult) -> None:
    """EnrollmentBatchCompleted after the last enrollment, keyed by the sponsor id."""
    codec = AvroCodec.from_directory(SCHEMAS_DIR)
    expected = result.published + result.already_in_batch
    record = import_batch.batch_completed_event(
        result.batch_id, result.sponsor_id, expected, datetime.now(UTC)
    )
    value = codec.encode(T.BATCH_COMPLETED, record)
    await (await producer.send(topic, value=value, key=result.sponsor_id.encode()))


def _chunks(items: Iterable[core.RowOutcome], size: int) -> Iterator[list[core.RowOutcome]]:
    chunk: list[core.RowOutcome] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
