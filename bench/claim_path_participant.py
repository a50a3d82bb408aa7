"""The claim path bench's participant: PU, all four programs, ten years of contributions, then
resigned; and the claims it files. Records as the codec decodes them, built through the handler."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from services.app.adjudication import ParticipantEvents
from services.app.records import Position
from services.rules import Category, Program, default_rules
from services.rules.contributions import expected, total_by_program
from services.rules.dates import add_months
from streams.kafka.codec import AvroCodec

TOPIC = "bpjs.participant-events.v1"
NOW = datetime(2025, 8, 12, 5, 0, tzinfo=UTC)
KPJ, NIK = "16012345678", "3171011705660001"  # a man born 1966-05-17 (day 17 in the NIK)
# From July 2015, when PP 44-46/2015 (the rule tables' first rows) took effect.
FIRST_MONTH, MONTHS, WAGE, RISK_CLASS = date(2015, 7, 1), 120, 5_000_000, 2
PROGRAMS = ("JHT", "JKK", "JKM", "JP")
ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
POSTED = "bpjs.contribution.ContributionPosted"
ENDED = "bpjs.enrollment.CoverageEnded"
CLAIM = "bpjs.claim.ClaimSubmitted"
DECIDED = "bpjs.claim.ClaimDecided"


def at(offset: int) -> Position:
    return Position(TOPIC, 0, offset)


def instant(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Events:
    """Records as the codec decodes them (the agent's input), built from plain dicts."""

    def __init__(self, codec: AvroCodec) -> None:
        self.codec = codec
        self.serial = 0

    def decoded(self, name: str, record: Mapping[str, Any]) -> dict[str, Any]:
        return self.codec.decode(self.codec.encode(name, record)).record

    def envelope(self, occurred_at: datetime, source: str) -> dict[str, Any]:
        self.serial += 1
        eid = f"00000000-0000-4000-8000-{self.serial:012d}"
        return {"event_id": eid, "occurred_at": occurred_at, "source": source, "kpj": KPJ}

    def enrolled(self, kpj: str = KPJ) -> dict[str, Any]:
        return self.decoded(
            ENROLLED,
            self.envelope(instant(FIRST_MONTH), "membership")
            | {
                "kpj": kpj,
                "nik": NIK,
                "name": "AGUS SETIAWAN",
                "birth_date": date(1966, 5, 17),
                "category": "PU",
                "programs": [{"program": p, "effective_date": FIRST_MONTH} for p in PROGRAMS],
                "employer_npp": "NPP-12345678",
                "sponsor_id": None,
                "work_unit": None,
                "batch_id": None,
                "wage": WAGE,
                "jkk_risk_class": RISK_CLASS,
                "enrolled_on": FIRST_MONTH,
            },
        )

    def posted(self, month: date, amounts: Mapping[Program, int]) -> dict[str, Any]:
        paid = add_months(month, 1).replace(day=10)
        return self.decoded(
            POSTED,
            self.envelope(instant(paid), "contribution-ledger")
            | {
                "nik": NIK,
                "period": month.strftime("%Y-%m"),
                "wage_base": WAGE,
                "payer": "EMPLOYER",
                "paid_date": paid,
                "amounts": [{"program": p.value, "amount": a} for p, a in amounts.items()],
            },
        )

    def ended(self, day: date) -> dict[str, Any]:
        return self.decoded(
            ENDED,
            self.envelope(instant(day), "membership")
            | {"nik": NIK, "end_date": day, "reason": "RESIGNED"},
        )

    def claim(
        self, program: str, day: date, submitted: date, branch: str, detail: dict[str, Any]
    ) -> dict[str, Any]:
        return self.decoded(
            CLAIM,
            self.envelope(instant(submitted), "claims-intake")
            | {
                "nik": NIK,
                "claim_id": f"KLM-{program}-2025-{self.serial:06d}",
                "program": program,
                "event_date": day,
                "payee": {
                    "name": "AGUS SETIAWAN",
                    "bank_code": "002",
                    "account_number": "034101000123307",
                },
                "detail": (f"bpjs.claim.{branch}", detail),
            },
        )


def amounts_for(month: date) -> dict[Program, int]:
    """What the rules themselves expect that month, so no check fails on the amounts."""
    programs = frozenset(Program(p) for p in PROGRAMS)
    shares = expected(Category.PU, programs, WAGE, month, default_rules(), RISK_CLASS)
    return total_by_program(shares)


def build(handler: ParticipantEvents, events: Events) -> dict[str, Any]:
    """The participant after enrolment, MONTHS postings and a resignation; and the inputs."""
    no_sponsors: Callable[[str], None] = lambda _sid: None  # noqa: E731
    offset = 0
    state = handler.apply(ENROLLED, events.enrolled(), None, no_sponsors, at(offset), NOW).state
    months = [add_months(FIRST_MONTH, n) for n in range(MONTHS)]
    for month in months[:-1]:
        offset += 1
        posting = events.posted(month, amounts_for(month))
        state = handler.apply(POSTED, posting, state, no_sponsors, at(offset), NOW).state
    before_last = state
    last_posting = events.posted(months[-1], amounts_for(months[-1]))
    offset += 1
    state = handler.apply(POSTED, last_posting, state, no_sponsors, at(offset), NOW).state
    offset += 1
    resigned = date(2025, 6, 30)
    state = handler.apply(ENDED, events.ended(resigned), state, no_sponsors, at(offset), NOW).state
    jkk_detail = {
        "accident_type": "WORKPLACE",
        "reported_stage1_on": date(2024, 11, 5),
        "reported_stage2_on": date(2024, 11, 12),
        "wage": WAGE,
        "medical_costs": 12_750_000,
        "transport": [{"mode": "LAND", "amount": 350_000}],
        "incapacity_days": 21,
        "outcome": "PARTIAL_DISABILITY",
        "disabilities": [{"item": "HEARING_ONE_EAR", "function_lost_percent": 30}],
        "left_handed": False,
        "children": [],
    }
    claims = {
        "JHT": events.claim(
            "JHT",
            resigned,
            date(2025, 8, 4),
            "JhtClaimDetail",
            {"ground": "RESIGNATION", "exit_date": resigned},
        ),
        "JKK": events.claim(
            "JKK", date(2024, 11, 4), date(2024, 11, 20), "JkkClaimDetail", jkk_detail
        ),
        "JP": events.claim(
            "JP", date(2025, 7, 1), date(2025, 7, 10), "JpClaimDetail", {"kind": "OLD_AGE"}
        ),
        # Disability while covered: a monthly pension on the average indexed wage (the old-age
        # claim above, below 180 months, is a lump sum).
        "JP disability": events.claim(
            "JP", date(2025, 3, 3), date(2025, 4, 7), "JpClaimDetail", {"kind": "DISABILITY"}
        ),
    }
    return {
        "state": state,
        "offset": offset + 1,
        "before_last": before_last,
        "last_posting": last_posting,
        "claims": claims,
        "sponsors": no_sponsors,
    }
