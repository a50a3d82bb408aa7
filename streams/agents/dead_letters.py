"""dead-letter-recorder: every dead letter stored (sealed) in PostgreSQL for the operators'
tool (`claims dead-letters`). A record on the dead-letter topic that is no dead letter we can
read is stored as a dead letter of that topic itself, never published again (that could loop).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.app import intake, settlement
from services.app.ports import DeadLetterSink
from services.app.records import Checkpoint, DeadLetterRow
from streams.delivery.batches import Ev, Plan
from streams.kafka import topics as T
from streams.pipeline import Pipeline


class DeadLetterRecorder:
    consumer = "dead-letter-recorder"
    refused_to_dead_letters = False  # a row PostgreSQL refuses stops the worker instead

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe

    async def prepare(self, store: DeadLetterSink, events: Sequence[Ev]) -> Plan:
        pipe = self.pipe
        rows: list[DeadLetterRow] = []
        for event in events:
            try:
                decoded = pipe.codec.decode(event.value)
                intake.check_schema(decoded.name, T.DEAD_LETTERS.name, (T.DEAD_LETTER,))
                rows.append(
                    settlement.dead_letter_row(decoded.record, pipe.sealer, pipe.codec.writer_name)
                )
            except Exception as e:
                rows.append(pipe.unreadable_dead_letter(event, e))

        async def commit(store: DeadLetterSink, cp: Checkpoint) -> None:
            await store.record_dead_letters(rows, cp)

        return Plan(commit)
