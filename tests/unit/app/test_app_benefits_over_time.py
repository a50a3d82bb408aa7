"""The use cases of benefits paid over time (services/app/payroll.py, scholarships.py): what a
decision starts, what a month pays, and a change's effect, without any store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from services.app import payroll, scholarships
from services.rules import default_rules

RULES = default_rules()
NOW = datetime(2024, 7, 1, tzinfo=UTC)
PAYEE = {"name": "Siti", "bank_code": "BRI", "account_number": "123"}


def encode(schema: str, record: Any) -> bytes:
    return json.dumps({"schema": schema, **record}, default=str).encode()


def decision(program: str, components: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "claim_id": "C1", "participant_ref": "v2:ref", "program": program, "outcome": "APPROVED",
        "payable_by": "BPJS", "event_date": date(2024, 3, 4),
        "submitted_at": datetime(2024, 3, 6, 3, tzinfo=UTC), "payee": PAYEE,
        "rule_set_version": "r", "components": components, **extra,
    }  # fmt: skip


def test_a_jp_monthly_pension_starts_a_pension_paid_from_the_next_month() -> None:
    found = payroll.pension_from_decision(
        decision("JP", [{"code": "JP_DISABILITY_MONTHLY", "amount": 400_000,
                         "inputs": {"unclamped": "380000"}}])
    )  # fmt: skip
    assert found is not None
    p = found.pension
    assert (p.kind, p.base, p.base_year, p.payroll_from) == (
        "DISABILITY",
        380_000,
        2024,
        date(2024, 4, 1),
    )
    lump = decision("JP", [{"code": "JP_LUMP_SUM", "amount": 5, "inputs": {}}])
    assert payroll.pension_from_decision(lump) is None
    # 380,000 is below 2024's minimum: the month pays Rp393,500.
    (made,) = payroll.month_instructions([found], date(2024, 5, 1), RULES, encode, NOW)
    assert (made.amount, made.idempotency_key) == (393_500, "pension:C1:2024-05")
    assert payroll.month_instructions([found], date(2024, 3, 1), RULES, encode, NOW) == []


def test_a_month_is_parsed_strictly() -> None:
    assert payroll.parse_month("2026-01") == date(2026, 1, 1)
    for bad in ("2026-1", "202601", "2026-13", "soon"):
        try:
            payroll.parse_month(bad)
        except ValueError as e:
            assert bad in str(e) and "YYYY-MM" in str(e)
        else:
            raise AssertionError(bad)


def test_scholarship_components_leave_the_claim_and_go_by_school_year() -> None:
    child = {"code": "JKM_SCHOLARSHIP_CHILD_1", "amount": 69_000_000,
             "inputs": {"level": "SMA", "birth_date": "2003-09-15",
                        "first_school_year": "2023-07-01"}}  # fmt: skip
    lump = {"code": "JKM_LUMP_SUM", "amount": 20_000_000, "inputs": {}}
    grants = scholarships.scholarships_from_decision(decision("JKM", [lump, child]))
    assert [(g.child, g.entitlement) for g in grants] == [(1, 69_000_000)]
    assert scholarships.deferred(grants) == 69_000_000
    begun = scholarships.year_instructions(
        grants, date(2024, 3, 1), RULES, encode, NOW, date(2024, 3, 11)
    )
    assert [(y.idempotency_key, y.amount) for y in begun] == [("scholarship:C1:1:2023", 3_000_000)]
    july = scholarships.month_years(grants, date(2024, 7, 1), RULES, encode, NOW, date(2024, 7, 1))
    assert [y.idempotency_key for y in july] == ["scholarship:C1:1:2024"]
    assert scholarships.month_years(grants, date(2024, 8, 1), RULES, encode, NOW, NOW.date()) == []
    # An employer-first claim's scholarships are the employer's; a decision from before school
    # years were scheduled (no first_school_year) pays them whole with the claim.
    first = decision("JKM", [child], payable_by="EMPLOYER_FIRST")
    assert scholarships.scholarships_from_decision(first) == ()
    old = {**child, "inputs": {"level": "SMA"}}
    assert scholarships.scholarships_from_decision(decision("JKM", [old])) == ()
