"""Use case: a bulk enrollment batch: valid rows screened against the participants already
enrolled, then the batch's events (ParticipantEnrolled per person, EnrollmentBatchCompleted).

Pure: what PostgreSQL knows comes in as values (Known), the clock's time as an argument.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from services.app.import_fields import mask_nik
from services.app.import_rows import Enrollment, Problem, Rejected

EVENT_NS = uuid.UUID("a4d5c1e8-0f5b-4c8e-b3a9-7d2e61f0c915")
_NS = EVENT_NS.bytes
SOURCE = "bulk-import"


# -- against the participants already enrolled ---------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A participant PostgreSQL already holds (by KPJ or by NIK pseudonym)."""

    kpj: str
    participant_ref: str
    batch_id: str | None


@dataclass(frozen=True)
class Screened:
    """Valid rows split by what is already enrolled."""

    publish: tuple[Enrollment, ...]
    already_in_batch: tuple[Enrollment, ...]
    rejected: tuple[Rejected, ...]


def screen(
    rows: Sequence[Enrollment],
    refs: Sequence[str],
    by_kpj: Mapping[str, Known],
    by_ref: Mapping[str, Known],
    batch_id: str,
) -> Screened:
    """Rows whose person is already enrolled by this very batch are done (a re-run); a KPJ or
    a NIK enrolled otherwise is a duplicate. `refs[i]` is the NIK pseudonym of `rows[i]`."""
    publish, done, rejected = [], [], []
    for row, ref in zip(rows, refs, strict=True):
        known = by_kpj.get(row.kpj)
        if known is not None and known.participant_ref == ref and known.batch_id == batch_id:
            done.append(row)
        elif known is not None:
            whom = "this person" if known.participant_ref == ref else "another participant"
            reason = f"KPJ already enrolled to {whom} (not by this batch)"
            rejected.append(Rejected(row.row, (Problem(row.row, "kpj", row.kpj, reason),)))
        elif ref in by_ref:
            reason = "this NIK is already enrolled under another KPJ"
            rejected.append(
                Rejected(row.row, (Problem(row.row, "nik", mask_nik(row.nik), reason),))
            )
        else:
            publish.append(row)
    return Screened(tuple(publish), tuple(done), tuple(rejected))


# -- events ----------------------------------------------------------------------------------------


def event_id(batch_id: str, kpj: str) -> str:
    """uuid5(EVENT_NS, "<batch id>/<KPJ>"), deterministic: a re-run of the same batch
    republishes the same ids. Computed as uuid.uuid5 does (RFC 4122 §4.3), without building a
    UUID object: it runs once per row."""
    digest = hashlib.sha1(_NS + f"{batch_id}/{kpj}".encode(), usedforsecurity=False).digest()
    b = bytearray(digest[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def enrolled_event(
    e: Enrollment, batch_id: str, sponsor_id: str, occurred_at: datetime
) -> dict[str, Any]:
    """The bpjs.enrollment.ParticipantEnrolled record of a valid row (programs effective from
    the enrollment date)."""
    return {
        "event_id": event_id(batch_id, e.kpj),
        "occurred_at": occurred_at,
        "source": SOURCE,
        "batch_id": batch_id,
        "kpj": e.kpj,
        "nik": e.nik,
        "name": e.name,
        "birth_date": e.birth_date,
        "category": e.category,
        "programs": _programs(e.programs, e.enrolled_on),
        "employer_npp": e.employer_npp,
        "sponsor_id": sponsor_id,
        "work_unit": e.work_unit,
        "wage": e.wage,
        "jkk_risk_class": e.jkk_risk_class,
        "enrolled_on": e.enrolled_on,
    }


@lru_cache(maxsize=1024)
def _programs(programs: tuple[str, ...], effective: date) -> list[dict[str, Any]]:
    # Shared between the events of one batch (never mutated: they are only encoded).
    return [{"program": p, "effective_date": effective} for p in programs]


def batch_completed_event(
    batch_id: str, sponsor_id: str, expected_count: int, occurred_at: datetime
) -> dict[str, Any]:
    """The bpjs.enrollment.EnrollmentBatchCompleted marker: the batch's distinct KPJs."""
    return {
        "event_id": str(uuid.uuid5(EVENT_NS, f"{batch_id}/completed/{expected_count}")),
        "occurred_at": occurred_at,
        "source": SOURCE,
        "batch_id": batch_id,
        "sponsor_id": sponsor_id,
        "expected_count": expected_count,
    }


def default_batch_id(sponsor_id: str, content_sha256: str) -> str:
    """Without --batch-id: the sponsor and the file's content, so the same file is the same
    batch however often it is imported."""
    return f"{sponsor_id}-{content_sha256[:16]}"
