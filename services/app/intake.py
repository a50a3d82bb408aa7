"""Intake validation of upstream events: every fault named by field, value and reason.

Avro already guarantees types and presence; this checks what a schema cannot: identifier formats,
the NIK against the birth date, date order and sane amounts. A clear NIK never appears in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from services.errors import InvalidEvent, KeyMismatch
from services.privacy import mask_nik, shown_kpj
from services.rules.dates import JAKARTA
from services.rules.identity import validate_nik

# Identifiers are ASCII digits, matched with fullmatch: `\d` also takes full-width ('３') and
# Arabic-Indic ('٣') digits, and `$` matches before a final newline.
KPJ = re.compile(r"[0-9]{11}")
KPJ_FORMAT = "must be exactly 11 ASCII digits (0-9)"
PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
ACCOUNT = re.compile(r"[0-9]{1,34}")  # digits only (schema); 34 is the longest account number
# Anything before Indonesia's social-security era, or a century ahead, is a typo, not an event.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 1, 1)

Problem = tuple[str, str, str]


def validate(name: str, record: Mapping[str, Any]) -> None:
    """Raise InvalidEvent listing every problem found in one upstream event."""
    problems = tuple(_problems(name, record))
    if problems:
        raise InvalidEvent(name, problems)


PARTICIPANT_KEY_RULE = "participant events must be keyed by their KPJ: ordering depends on it"
SPONSOR_KEY_RULE = "sponsor events must be keyed by their sponsor_id: ordering depends on it"


def check_participant_key(name: str, key: bytes | None, record: Mapping[str, Any]) -> None:
    """Raise KeyMismatch unless the message key is the record's KPJ (UTF-8): every participant
    event is ordered by the partition of its key, so an event keyed otherwise could be applied
    before the enrollment or contributions published ahead of it. Call after validate()."""
    kpj = record["kpj"]
    _check_key(name, key, kpj, f"{PARTICIPANT_KEY_RULE} (this record's kpj is {shown_kpj(kpj)})")


def check_sponsor_key(name: str, key: bytes | None, record: Mapping[str, Any]) -> None:
    """Raise KeyMismatch unless a sponsor event that names a sponsor is keyed by that
    sponsor_id. An employer's EnrollmentBatchCompleted has no sponsor_id: its key is free (our
    producers use the employer's NPP or the batch id), since nothing is ordered by it."""
    sponsor = record.get("sponsor_id")
    if sponsor is not None:
        _check_key(name, key, sponsor, f"{SPONSOR_KEY_RULE} (not this record's sponsor_id)")


def check_schema(name: str, topic: str, carried: tuple[str, ...]) -> None:
    """Raise InvalidEvent for a well-formed record of a schema its topic does not carry (e.g.
    a ParticipantEnrolled published to the payment-results topic by mistake)."""
    if name not in carried:
        reason = f"{topic} carries {', '.join(carried)}"
        raise InvalidEvent(name, (("schema", name, reason),))


CLAIM_KEY_RULE = "claim messages must be keyed by their claim_id: ordering depends on it"


def check_claim_key(name: str, key: bytes | None, record: Mapping[str, Any]) -> None:
    """Raise KeyMismatch unless a decision, an approved claim or a payment result is keyed by
    its claim_id (UTF-8): every message about one claim shares a partition, in order (a FAILED
    result and the PAID retry after it must not overtake each other)."""
    _check_key(name, key, record["claim_id"], f"{CLAIM_KEY_RULE} (not this record's claim_id)")


def _check_key(name: str, key: bytes | None, expected: str, rule: str) -> None:
    if key is None:
        raise KeyMismatch(name, (("key", "<null>", rule),))
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        shape = f"<{len(key)} bytes, not UTF-8>"
        raise KeyMismatch(name, (("key", shape, rule),)) from None
    if text != expected:
        # Never the key itself unless it is a well-formed KPJ: a wrong key could be a NIK.
        raise KeyMismatch(name, (("key", shown_kpj(text), rule),))


def _problems(name: str, r: Mapping[str, Any]) -> Iterator[Problem]:
    kind = name.rsplit(".", 1)[-1]
    if "kpj" in r and not KPJ.fullmatch(r["kpj"]):
        # Only the shape of a wrong KPJ is shown: it could be a NIK typed in the wrong field.
        yield "kpj", shown_kpj(r["kpj"]), KPJ_FORMAT
    if "nik" in r:
        for problem in validate_nik(r["nik"], r.get("birth_date")):
            # Only the NIK's shape is ever shown: the value would be a clear NIK.
            yield (
                f"nik.{problem.field}" if problem.field != "nik" else "nik",
                mask_nik(r["nik"]),
                problem.reason,
            )
    for field in ("event_id", "source"):
        if field in r and not str(r[field]).strip():
            yield field, repr(r[field]), "must not be empty"
    yield from _dates(r)
    yield from _amounts(r)
    checker = _BY_KIND.get(kind)
    if checker is not None:
        yield from checker(r)


def _dates(r: Mapping[str, Any]) -> Iterator[Problem]:
    for field, value in r.items():
        is_date = isinstance(value, date) and not isinstance(value, datetime)
        if is_date and not EARLIEST <= value < LATEST:
            yield field, value.isoformat(), f"outside {EARLIEST.year}-{LATEST.year - 1}"


def _amounts(r: Mapping[str, Any]) -> Iterator[Problem]:
    for field in ("wage", "wage_base", "budget", "expected_count", "participant_count", "amount"):
        value = r.get(field)
        if isinstance(value, int) and value < 0:
            yield field, str(value), "must not be negative"


def _enrolled(r: Mapping[str, Any]) -> Iterator[Problem]:
    if not r["programs"]:
        yield "programs", "[]", "at least one program is required"
    if r["enrolled_on"] < r["birth_date"]:
        yield "enrolled_on", r["enrolled_on"].isoformat(), "is before the birth date"
    risk = r.get("jkk_risk_class")
    if risk is not None and not 1 <= risk <= 5:
        yield "jkk_risk_class", str(risk), "must be 1 to 5 (PP 44/2015 Pasal 16)"
    if r["category"] == "PU" and not r.get("employer_npp"):
        yield (
            "employer_npp",
            repr(r.get("employer_npp")),
            "a wage earner (PU) needs an employer NPP",
        )
    if not r.get("name", "").strip():
        yield "name", repr(r.get("name")), "must not be empty"


def _contribution(r: Mapping[str, Any]) -> Iterator[Problem]:
    if not PERIOD.fullmatch(r["period"]):
        yield "period", repr(r["period"]), "must be YYYY-MM (ASCII digits, month 01-12)"
    for i, a in enumerate(r["amounts"]):
        if a["amount"] < 0:
            yield f"amounts[{i}].amount", str(a["amount"]), "must not be negative"


def _claim(r: Mapping[str, Any]) -> Iterator[Problem]:
    if not str(r["claim_id"]).strip():
        yield "claim_id", repr(r["claim_id"]), "must not be empty"
    submitted: datetime = r["occurred_at"]
    if r["event_date"] > submitted.astimezone(JAKARTA).date():  # business dates are Jakarta's
        yield "event_date", r["event_date"].isoformat(), "is after the claim was submitted"
    detail = r["detail"]
    got = _detail_program(detail)
    if got != r["program"]:
        yield "detail", f"{got} detail", f"program {r['program']} needs its own claim detail"
    yield from _payee(r["payee"])
    if isinstance(detail, Mapping):
        yield from _claim_detail(detail)


def _detail_program(detail: Mapping[str, Any]) -> str:
    """The union branch, from the field only that branch has (decoding yields a plain dict).
    Every detail but JHT's may name heirs, so `heirs` decides only when nothing else has."""
    for field, program in (
        ("ground", "JHT"),
        ("accident_type", "JKK"),
        ("kind", "JP"),
        ("heirs", "JKM"),
    ):
        if field in detail:
            return program
    return "unknown"


def _claim_detail(d: Mapping[str, Any]) -> Iterator[Problem]:
    for field in ("wage", "medical_costs", "incapacity_days"):
        value = d.get(field)
        if isinstance(value, int) and value < 0:
            yield f"detail.{field}", str(value), "must not be negative"
    for i, t in enumerate(d.get("transport", ())):
        if t["amount"] < 0:
            yield f"detail.transport[{i}].amount", str(t["amount"]), "must not be negative"
    for i, item in enumerate(d.get("disabilities", ())):
        lost = item.get("function_lost_percent")
        if lost is not None and not 0 < lost <= 100:
            yield f"detail.disabilities[{i}].function_lost_percent", str(lost), "must be 1 to 100"


def _sponsor_funded(r: Mapping[str, Any]) -> Iterator[Problem]:
    if r["period_end"] < r["period_start"]:
        yield "period_end", r["period_end"].isoformat(), "is before period_start"
    if not r["programs"]:
        yield "programs", "[]", "a funded cohort needs at least one program"


def _payment_result(r: Mapping[str, Any]) -> Iterator[Problem]:
    if r["status"] == "PAID" and r.get("paid_on") is None:
        yield "paid_on", "None", "a PAID result needs the payment date"
    if r["status"] == "FAILED" and not r.get("failure_reason"):
        yield "failure_reason", repr(r.get("failure_reason")), "a FAILED result needs a reason"


def _payee(payee: Mapping[str, Any]) -> Iterator[Problem]:
    """A bank account to credit: a claim's payee, or a corrected one."""
    for field in ("name", "bank_code"):
        if not str(payee[field]).strip():
            yield f"payee.{field}", repr(payee[field]), "must not be empty"
    if not ACCOUNT.fullmatch(payee["account_number"]):
        # Personal data: only its shape is shown.
        shape = mask_nik(payee["account_number"])
        yield "payee.account_number", shape, "must be 1 to 34 ASCII digits (0-9), nothing else"


def _account_corrected(r: Mapping[str, Any]) -> Iterator[Problem]:
    for field in ("claim_id", "reason"):
        if not str(r[field]).strip():
            yield field, repr(r[field]), "must not be empty"
    yield from _payee(r["payee"])


def _pension_changed(r: Mapping[str, Any]) -> Iterator[Problem]:
    if not str(r["claim_id"]).strip():
        yield "claim_id", repr(r["claim_id"]), "must not be empty"
    for i, s in enumerate(r["survivors"]):
        if not str(s["name"]).strip():
            yield f"survivors[{i}].name", repr(s["name"]), "must not be empty"
        born = s.get("birth_date")
        if born is not None and born > r["effective_date"]:
            yield f"survivors[{i}].birth_date", born.isoformat(), "is after effective_date"
    if r["change"] == "CHILD_LEFT" and not str(r.get("child_name") or "").strip():
        yield "child_name", repr(r.get("child_name")), "CHILD_LEFT must name the child who left"
    if r["change"] == "PENSIONER_DIED" and r["survivors"] and r.get("payee") is None:
        yield "payee", "None", "survivors are named: the survivor pension needs an account"
    if r.get("payee") is not None:
        yield from _payee(r["payee"])


def _scholarship_stopped(r: Mapping[str, Any]) -> Iterator[Problem]:
    if not str(r["claim_id"]).strip():
        yield "claim_id", repr(r["claim_id"]), "must not be empty"
    if r["child"] < 1:
        yield "child", str(r["child"]), "children are numbered from 1, as in the decision"


_BY_KIND = {
    "ParticipantEnrolled": _enrolled,
    "ContributionPosted": _contribution,
    "ClaimSubmitted": _claim,
    "SponsoredCohortFunded": _sponsor_funded,
    "PaymentResult": _payment_result,
    "PaymentAccountCorrected": _account_corrected,
    "PensionChanged": _pension_changed,
    "ScholarshipStopped": _scholarship_stopped,
}
