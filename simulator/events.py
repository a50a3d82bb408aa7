"""Builders of event dicts in the exact shape of schemas/ (envelope first, then the body)."""

from __future__ import annotations

from datetime import date, datetime
from random import Random
from typing import Any

from simulator.identity import event_id
from simulator.model import Funding, Person, Record, Unit


def envelope(rng: Random, occurred_at: datetime, source: str) -> Record:
    return {"event_id": event_id(rng), "occurred_at": occurred_at, "source": source}


def cohort_funded(rng: Random, f: Funding, occurred_at: datetime) -> Record:
    return envelope(rng, occurred_at, "sponsor-import") | {
        "sponsor_id": f.sponsor_id,
        "sponsor_name": f.sponsor_name,
        "sponsor_kind": f.sponsor_kind,
        "cohort_id": f.cohort_id,
        "period_start": f.period_start,
        "period_end": f.period_end,
        "budget": f.budget,
        "programs": list(f.programs),
        "participant_count": f.participant_count,
    }


def batch_completed(
    rng: Random, unit: Unit, sponsor_id: str | None, count: int, occurred_at: datetime
) -> Record:
    return envelope(rng, occurred_at, unit.source) | {
        "batch_id": unit.batch_id,
        "sponsor_id": sponsor_id,
        "expected_count": count,
    }


def enrolled(
    rng: Random, p: Person, work_unit: str | None, wage: int, occurred_at: datetime
) -> Record:
    c = p.cohort
    return {  # one literal, no envelope merge: this runs for every participant
        "event_id": event_id(rng),
        "occurred_at": occurred_at,
        "source": p.unit.source,
        "batch_id": p.unit.batch_id,
        "kpj": p.kpj,
        "nik": p.nik,
        "name": p.name,
        "birth_date": p.birth_date,
        "category": c.category,
        "programs": [{"program": prog, "effective_date": p.enrolled_on} for prog in c.programs],
        "employer_npp": c.employer_npp,
        "sponsor_id": c.sponsor_id,
        "work_unit": work_unit,
        "wage": wage,
        "jkk_risk_class": c.risk_class,
        "enrolled_on": p.enrolled_on,
    }


def programs_added(
    rng: Random,
    kpj: str,
    nik: str,
    added: tuple[tuple[str, date], ...],
    occurred_at: datetime,
    source: str,
) -> Record:
    return envelope(rng, occurred_at, source) | {
        "kpj": kpj,
        "nik": nik,
        "added": [{"program": prog, "effective_date": d} for prog, d in added],
        "removed": [],
        "wage": None,
    }


def coverage_ended(
    rng: Random, p: Person, end_date: date, reason: str, occurred_at: datetime
) -> Record:
    return envelope(rng, occurred_at, p.unit.source) | {
        "kpj": p.kpj,
        "nik": p.nik,
        "end_date": end_date,
        "reason": reason,
    }


def contribution(
    rng: Random,
    p: Person,
    period: str,
    wage_base: int,
    payer: str,
    paid_date: date,
    amounts: list[dict[str, object]],
    occurred_at: datetime,
) -> Record:
    # Built in one literal rather than envelope | body: this runs for every posted month.
    return {
        "event_id": event_id(rng),
        "occurred_at": occurred_at,
        "source": "contribution-ledger",
        "kpj": p.kpj,
        "nik": p.nik,
        "period": period,
        "wage_base": wage_base,
        "payer": payer,
        "paid_date": paid_date,
        "amounts": amounts,
    }


def claim(
    rng: Random,
    claim_id: str,
    kpj: str,
    nik: str,
    program: str,
    event_date: date,
    payee: Record,
    detail: tuple[str, dict[str, Any]],
    occurred_at: datetime,
    source: str,
) -> Record:
    return envelope(rng, occurred_at, source) | {
        "claim_id": claim_id,
        "kpj": kpj,
        "nik": nik,
        "program": program,
        "event_date": event_date,
        "payee": payee,
        "detail": detail,
    }
