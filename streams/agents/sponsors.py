"""sponsor-events: funded periods of sponsors (provinces, ministries) and enrollment batch
markers, committed with the batch's positions. The adjudicator reads fundings from PostgreSQL
(sponsor_fundings), so every worker sees every sponsor."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from services.app import intake, sponsor_events
from services.app.ports import SponsorStore
from services.app.records import BatchMarkerRow, Checkpoint, SponsorFundingRow
from streams.delivery.batches import Ev, Plan
from streams.pipeline import Pipeline


class SponsorEvents:
    consumer = "sponsor-events"

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe

    async def prepare(self, store: SponsorStore, events: Sequence[Ev]) -> Plan:
        dead: list[tuple[Ev, BaseException]] = []
        fundings: list[SponsorFundingRow] = []
        markers: list[BatchMarkerRow] = []
        kinds: Counter[str] = Counter()
        for event in events:
            try:
                decoded = self.pipe.codec.decode(event.value)
                intake.validate(decoded.name, decoded.record)
                intake.check_sponsor_key(decoded.name, event.message.key, decoded.record)
                change = sponsor_events.sponsor_change(decoded.name, decoded.record, lambda _: None)
            except Exception as e:
                dead.append((event, e))
                continue
            if change.funding is not None:
                fundings.append(change.funding)
            if change.batch is not None:
                markers.append(change.batch)
            kinds[change.kind] += 1

        async def commit(store: SponsorStore, cp: Checkpoint) -> None:
            await store.commit_sponsors(cp, fundings, markers)

        async def committed(_: None) -> None:
            for kind, n in kinds.items():
                self.pipe.metrics.events_applied.labels(kind).inc(n)

        return Plan(commit, dead, committed)
