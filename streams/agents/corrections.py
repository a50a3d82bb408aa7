"""payment-corrections: a branch's PaymentAccountCorrected re-issues a claim's FAILED payment
instruction once, to the corrected payee; a correction for a claim that is paid, pending or
unknown is rejected with its reason (recorded in account_corrections, counted, logged)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.app import settlement
from services.app.followups import REJECTIONS, FollowUps
from services.app.payment_rows import CorrectionOutcome
from services.app.ports import CorrectionStore
from services.app.records import Checkpoint
from streams.delivery.batches import Ev, Plan
from streams.pipeline import Pipeline

log = logging.getLogger(__name__)


class AccountCorrections:
    consumer = "payment-corrections"

    def __init__(self, pipe: Pipeline, followups: FollowUps) -> None:
        self.pipe, self.followups = pipe, followups

    async def prepare(self, store: CorrectionStore, events: Sequence[Ev]) -> Plan:
        decoded, dead = self.pipe.decode_rows(
            events, lambda r, _: settlement.account_correction_row(r), validate=True
        )
        rows = [row for _, row in decoded]

        async def commit(store: CorrectionStore, cp: Checkpoint) -> list[CorrectionOutcome]:
            return await store.apply_account_corrections(rows, self.followups, cp)

        async def committed(outcomes: list[CorrectionOutcome]) -> None:
            m = self.pipe.metrics
            for o in outcomes:
                if o.rejection is None:
                    m.account_corrections.labels("reissued", "").inc()
                    if o.reissued is not None and o.program is not None:
                        m.instructions_issued.labels(o.program, "reissue").inc()
                    continue
                m.account_corrections.labels("rejected", o.rejection).inc()
                log.warning(
                    "payee correction for claim %s rejected: %s: %s",
                    o.claim_id, o.rejection, REJECTIONS[o.rejection],
                )  # fmt: skip

        return Plan(commit, dead, committed)
