"""The participant's row in PostgreSQL, built from its state (which PostgreSQL owns)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.app import contribution_ledger as ledger
from services.app import participant_state as ps
from services.app.records import ParticipantRow, Position

# Built once: json.dumps with any option builds a new encoder for every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
_LEDGER_TEXT = (ledger.LEDGER, ledger.TAGS)


def resync_row(kpj: str, state: ps.State | None, pos: Position) -> ParticipantRow | None:
    """The participant's row as the state already holds it, for an event delivered again.

    Written at the state's own position, so the guarded upsert changes nothing when the row is
    already there (it always is since PostgreSQL owns the state; kept for states rebuilt by a
    replay from offset 0)."""
    if state is None or state.get("pos") is None:
        return None
    partition, offset = state["pos"]
    return participant_row(kpj, state, Position(pos.topic, partition, offset))


def participant_row(kpj: str, state: Mapping[str, Any], pos: Position) -> ParticipantRow:
    """The participant's row in PostgreSQL, which owns the state: `coverage_json` is the whole
    pseudonymised state the adjudicator works from (no NIK, only its keyed hash), the other
    columns what queries and reports filter on."""
    rest = {k: v for k, v in state.items() if k not in _LEDGER_TEXT}
    # The ledger's two strings are most of the state and need no escaping: written as they are.
    ledger_text = "".join(
        f',"{key}":{ledger.json_string(state[key])}' for key in _LEDGER_TEXT if key in state
    )
    ended = state.get("ended")
    return ParticipantRow(
        kpj=kpj,
        participant_ref=state["ref"],
        category=state["category"],
        birth_date=date.fromisoformat(state["birth_date"]),
        employer_npp=state.get("npp"),
        sponsor_id=state.get("sponsor"),
        work_unit=state.get("work_unit"),
        batch_id=state.get("batch"),
        enrolled_on=date.fromisoformat(state["enrolled_on"]),
        declared_wage=state["wage"],
        jkk_risk_class=state.get("risk_class"),
        ended_on=None if ended is None else date.fromisoformat(ended[0]),
        end_reason=None if ended is None else ended[1],
        coverage_json=f"{_COMPACT.encode(rest)[:-1]}{ledger_text}}}",
        position=pos,
    )
