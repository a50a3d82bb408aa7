"""Hand-built upstream events for the end-to-end tests (shapes exactly as in schemas/)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

PARTICIPANTS = "bpjs.participant-events.v1"
SPONSORS = "bpjs.sponsor-events.v1"
PAYEE = {"name": "Penerima", "bank_code": "BNI", "account_number": "0123456789"}


def nik(birth: date, serial: int, female: bool = False, province: str = "31") -> str:
    day = birth.day + (40 if female else 0)
    return f"{province}7101{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


def envelope(when: date) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": at(when), "source": "e2e"}


def enrolled(
    kpj: str,
    birth: date,
    serial: int,
    category: str,
    programs: list[str],
    wage: int,
    on: date,
    *,
    sponsor: str | None = None,
    female: bool = False,
) -> dict[str, Any]:
    return {
        **envelope(on),
        "batch_id": None,
        "kpj": kpj,
        "nik": nik(birth, serial, female),
        "name": f"Peserta {kpj[-3:]}",
        "birth_date": birth,
        "category": category,
        "programs": [{"program": p, "effective_date": on} for p in programs],
        "employer_npp": "31001501" if category == "PU" else None,
        "sponsor_id": sponsor,
        "work_unit": None,
        "wage": wage,
        "jkk_risk_class": 3 if category == "PU" else None,
        "enrolled_on": on,
    }


def contributions(
    kpj: str, person_nik: str, wage: int, first: date, months: int, programs: dict[str, int]
) -> list[dict[str, Any]]:
    out = []
    y, m = first.year, first.month
    for _ in range(months):
        paid = date(y + (m == 12), m % 12 + 1, 10)
        out.append(
            {
                **envelope(paid),
                "kpj": kpj,
                "nik": person_nik,
                "period": f"{y:04d}-{m:02d}",
                "wage_base": wage,
                "payer": "EMPLOYER",
                "paid_date": paid,
                "amounts": [{"program": p, "amount": a} for p, a in programs.items()],
            }
        )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def ended(kpj: str, person_nik: str, on: date, reason: str) -> dict[str, Any]:
    return {**envelope(on), "kpj": kpj, "nik": person_nik, "end_date": on, "reason": reason}


def claim(
    claim_id: str,
    kpj: str,
    person_nik: str,
    program: str,
    event: date,
    submitted: date,
    detail: tuple[str, dict[str, Any]],
) -> dict[str, Any]:
    return {
        **envelope(submitted),
        "claim_id": claim_id,
        "kpj": kpj,
        "nik": person_nik,
        "program": program,
        "event_date": event,
        "payee": PAYEE,
        "detail": detail,
    }


HEIRS = [{"name": PAYEE["name"], "relation": "SPOUSE"}]  # the payee is the widow(er)


def jkk(
    outcome: str,
    wage: int,
    reported: date,
    *,
    medical: int = 0,
    land: int = 0,
    days: int = 0,
    heirs: list[dict[str, str]] | None = None,
) -> tuple[str, dict[str, Any]]:
    """A JKK detail; a DEATH names the payee as the widow(er) unless `heirs` says otherwise."""
    return (
        "bpjs.claim.JkkClaimDetail",
        {
            "accident_type": "WORKPLACE",
            "reported_stage1_on": reported,
            "reported_stage2_on": None,
            "wage": wage,
            "medical_costs": medical,
            "transport": [{"mode": "LAND", "amount": land}] if land else [],
            "incapacity_days": days,
            "outcome": outcome,
            "disabilities": [],
            "left_handed": False,
            "children": [],
            "heirs": (HEIRS if outcome == "DEATH" else []) if heirs is None else heirs,
        },
    )


def jht(ground: str, exit_date: date | None = None) -> tuple[str, dict[str, Any]]:
    return ("bpjs.claim.JhtClaimDetail", {"ground": ground, "exit_date": exit_date})


def jkm() -> tuple[str, dict[str, Any]]:
    return (
        "bpjs.claim.JkmClaimDetail",
        {
            "heirs": HEIRS,
            "children": [],
            "during_placement": False,
        },
    )


def jp(kind: str) -> tuple[str, dict[str, Any]]:
    return ("bpjs.claim.JpClaimDetail", {"kind": kind})


def funded(sponsor: str, start: date, end: date, programs: list[str]) -> dict[str, Any]:
    return {
        **envelope(start),
        "sponsor_id": sponsor,
        "sponsor_name": "Pemerintah Provinsi",
        "sponsor_kind": "PROVINCE",
        "cohort_id": f"{sponsor}-{start.year}",
        "period_start": start,
        "period_end": end,
        "budget": 1_000_000_000,
        "programs": programs,
        "participant_count": 1,
    }
