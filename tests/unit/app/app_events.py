"""Sample events for the application-layer tests: the schema fixtures, decoded, with overrides."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastavro

from services.app.records import Position
from streams.kafka.codec import AvroCodec

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
PARTICIPANT_TOPIC = "bpjs.participant-events.v1"
KEY = "k" * 32  # a NIK_HASH_KEY long enough for load_settings

# The fixtures' participant: a woman born 1990-01-05 (day 05 + 40 in the NIK), KPJ 24012345678.
NIK = "3171014501900001"
OTHER_NIK = "3171014501900002"
KPJ = "24012345678"

ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
CHANGED = "bpjs.enrollment.ProgramsChanged"
ENDED = "bpjs.enrollment.CoverageEnded"
POSTED = "bpjs.contribution.ContributionPosted"
CLAIM = "bpjs.claim.ClaimSubmitted"
DECIDED = "bpjs.claim.ClaimDecided"
FUNDED = "bpjs.enrollment.SponsoredCohortFunded"
BATCH = "bpjs.enrollment.EnrollmentBatchCompleted"
INSTRUCTION = "bpjs.payment.PaymentInstruction"
RESULT = "bpjs.payment.PaymentResult"
DEAD_LETTER = "bpjs.ops.DeadLetter"


Sponsors = Callable[[str], Mapping[str, Any] | None]


@cache
def codec() -> AvroCodec:
    return AvroCodec.from_directory(SCHEMAS)


def fixture(name: str, /, **overrides: Any) -> dict[str, Any]:
    """The v1 fixture of `name`, decoded as the codec decodes it, with fields replaced."""
    text = (SCHEMAS / "fixtures" / name / "v1.json").read_text(encoding="utf-8")
    one_line = json.dumps(json.loads(text))  # fastavro's JSON reader takes one record per line
    schema = codec().schema(name).schema
    record = dict(next(iter(fastavro.json_reader(io.StringIO(one_line), schema))))
    return {**record, **overrides}


def at(offset: int, partition: int = 0) -> Position:
    return Position(PARTICIPANT_TOPIC, partition, offset)


def instant(text: str) -> datetime:
    """An aware UTC instant from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


NOW = instant("2025-06-12T05:00")  # when the tests' handler decides


def posting(
    period: str, event_id: str, amounts: dict[str, int], **overrides: Any
) -> dict[str, Any]:
    """A ContributionPosted for `period` paying `amounts` per program."""
    year, month = (int(p) for p in period.split("-"))
    fields: dict[str, Any] = {
        "event_id": event_id,
        "period": period,
        "paid_date": date(year, month, 10),
        "amounts": [{"program": p, "amount": a} for p, a in amounts.items()],
    }
    return fixture(POSTED, **{**fields, **overrides})


JHT_DETAIL = {"ground": "RESIGNATION", "exit_date": date(2025, 5, 2), "heirs": []}
JKM_DETAIL = {
    "heirs": [{"name": "BUDI SANTOSO", "relation": "SPOUSE"}],
    "children": [{"birth_date": date(2016, 8, 17), "school_level": "SD"}],
    "during_placement": False,
}
JP_DETAIL = {"kind": "OLD_AGE", "heirs": []}


def claim(claim_id: str = "KLM-JKK-2025-000123", **overrides: Any) -> dict[str, Any]:
    """The fixture's JKK claim (2025-06-02 commuting accident, submitted 2025-06-12)."""
    return fixture(CLAIM, claim_id=claim_id, **overrides)
