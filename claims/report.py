"""The summary printed after a run, read back from PostgreSQL (not from what was sent)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from claims.published import print_published
from claims.replay_reasons import batch_lines, why
from services.adapters.postgres import PostgresStore
from simulator.planning import (
    ENROLLMENT_BAD_KINDS,
    EXTRA_CLAIM_BAD_KINDS,
    SUBJECT_BAD_KINDS,
)

PROGRAMS = ("JHT", "JKK", "JKM", "JP")


def rupiah(amount: int | Decimal) -> str:
    return f"Rp{int(amount):,}"


async def summary(store: PostgresStore) -> dict[str, Any]:
    """Read only: `claims run` passes its reader store (READER_DATABASE_URL)."""
    return dict(await store.run_summary())


async def print_summary(store: PostgresStore, scenario: Any, sent: Counter[str]) -> None:
    s = await summary(store)
    print("\n== Sent to Kafka ==")
    for schema, n in sorted(sent.items()):
        print(f"  {schema:<28} {n:>10,}")
    print("\n== Participants in PostgreSQL (pseudonymised) ==")
    for row in s["participants"]:
        print(f"  {row['category']:<6} {row['n']:>10,}")
    complete = sum(1 for b in s["batches"] if b["applied"] >= b["expected_count"])
    print(f"  enrollment batches complete: {complete}/{len(s['batches'])}")
    for line in batch_lines(s):
        print(f"    {line}")
    print("\n== Claims by program (read back from PostgreSQL) ==")
    print(
        f"  {'program':<8}{'decided':>9}{'approved':>10}{'rejected':>10}{'settled':>9}"
        f"{'settled amount':>22}{'paid':>8}{'late':>6}{'interest':>14}{'failed':>8}"
    )
    by = {(r["program"], r["outcome"]): r for r in s["claims"]}
    settled = {r["program"]: r for r in s["settled"]}
    for p in PROGRAMS:
        a = by.get((p, "APPROVED"), {"n": 0})["n"]
        r = by.get((p, "REJECTED"), {"n": 0})["n"]
        st = settled.get(p, {"n": 0, "amount": 0, "paid": 0, "late": 0, "interest": 0, "failed": 0})
        print(
            f"  {p:<8}{a + r:>9,}{a:>10,}{r:>10,}{st['n']:>9,}{rupiah(st['amount']):>22}"
            f"{st['paid']:>8,}{st['late']:>6,}{rupiah(st['interest']):>14}{st['failed']:>8,}"
        )
    print("\n== Rejections by reason ==")
    for row in s["reasons"]:
        print(f"  {row['program']:<5} {row['reason']:<28} {row['n']:>7,}")
    print_employers(s)
    print_followups(s)
    print("\n== Dead letters ==")
    for row in s["dead_letters"] or [{"error_class": "(none)", "n": 0}]:
        print(f"  {row['error_class']:<28} {row['n']:>7,}")
    print("\n== The replay against the published figures ==")
    print(f"  {'figure':<36}{'planned':>10}{'PostgreSQL':>12}")
    for label, planned, found in replay_check(scenario.expected, s):
        mark = "" if planned == found else "   DIFFERS"
        print(f"  {label:<36}{planned:>10,}{found:>12,}{mark}")
        if planned != found:
            print(f"      why: {why(label, planned, found, s)}")
    print(
        "  planned = the published figures of the scenario (approved claims per program, people"
        " per cohort) plus its deliberately bad events, each with the outcome the rules must give"
    )
    print_published(scenario.spec.published, s)


def print_employers(s: dict[str, Any]) -> None:
    """Contributions judged on arrival, and what employers owe on claims (#14)."""
    (c,) = s["contributions"] or [{}]
    print("\n== Contributions checked on arrival (against the month's contribution due) ==")
    print(
        f"  postings {c.get('postings', 0):,} ({c.get('lines', 0):,} program lines,"
        f" {c.get('employers', 0):,} employers)"
    )
    print(
        f"  exact {c.get('exact', 0):,}   under-paid {c.get('under', 0):,}"
        f" ({rupiah(c.get('under_amount', 0))} short)   over-paid {c.get('over', 0):,}"
        f" ({rupiah(c.get('over_amount', 0))} over)   not checked {c.get('not_checked', 0):,}"
    )
    print(
        f"  paid late {c.get('late', 0):,}   late penalties {rupiah(c.get('penalty', 0))}"
        " (2% a month, PU)"
    )
    print("\n== Employer obligations ==")
    for row in s["obligations"] or [{"kind": "(none)", "status": "", "n": 0, "amount": 0}]:
        print(f"  {row['kind']:<16}{row['status']:<22}{row['n']:>7,}{rupiah(row['amount']):>20}")


def print_followups(s: dict[str, Any]) -> None:
    """Instructions after a claim's first: the statutory late interest and re-issues (#15)."""
    print("\n== Payment instructions after the first (late interest, re-issued) ==")
    followups = {r["purpose"]: r for r in s.get("followups", [])}
    for purpose, label in (("interest", "late interest"), ("reissue", "re-issued")):
        r = followups.get(purpose, {"n": 0, "amount": 0, "paid": 0})
        print(f"  {label:<16}{r['n']:>7,}{rupiah(r['amount']):>20}   paid {r['paid']:,}")
    for r in s.get("corrections", []):
        why = f" ({r['rejection']})" if r["rejection"] else ""
        print(f"  payee corrections {r['outcome'].lower()}{why}: {r['n']:,}")


def replay_check(expected: dict[str, Any], s: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(figure, planned, found in PostgreSQL) for what a replay of `expected` must leave behind.

    The scenario's bad events change the published counts in known ways: a bad enrollment is a
    dead letter; a bad claim is decided and rejected, except that of the person with both a JKK
    and a JKm death claim, whose JKK claim is approved and JKm claim rejected; a duplicate claim
    is rejected; an exact redelivery is not decided again."""
    bad: dict[str, int] = expected.get("bad", {})
    rejected: Counter[str] = Counter()
    approved_extra: Counter[str] = Counter()
    for kind, plan in SUBJECT_BAD_KINDS.items():
        if kind == "jkk_and_jkm_death_same_person":
            approved_extra["JKK"] += bad.get(kind, 0)
            rejected["JKM"] += bad.get(kind, 0)
        else:
            rejected[plan.program] += bad.get(kind, 0)
    for kind, program in EXTRA_CLAIM_BAD_KINDS.items():
        if kind != "exact_redelivery":
            rejected[program] += bad.get(kind, 0)
    by = {(r["program"], r["outcome"]): r["n"] for r in s["claims"]}
    settled = {r["program"]: r for r in s["settled"]}
    dead = {r["error_class"]: r["n"] for r in s["dead_letters"]}
    rows = [
        (
            "participants enrolled",
            sum(expected.get("participants", {}).values()),
            sum(r["n"] for r in s["participants"]),
        ),
        (
            "invalid enrollments (dead letters)",
            sum(bad.get(k, 0) for k in ENROLLMENT_BAD_KINDS),
            dead.get("InvalidEvent", 0),
        ),
    ]
    for p in PROGRAMS:
        approved = expected.get("claims", {}).get(p, 0) + approved_extra[p]
        st = settled.get(p, {"n": 0, "paid": 0, "failed": 0, "awaiting_employer": 0})
        done = st["paid"] + st["failed"] + st.get("awaiting_employer", 0)
        rows += [
            (f"{p} claims approved", approved, by.get((p, "APPROVED"), 0)),
            (f"{p} claims rejected", rejected[p], by.get((p, "REJECTED"), 0)),
            (f"{p} approved claims settled", approved, st["n"]),
            # An employer-first claim is the employer's to pay until its arrears are settled.
            (f"{p} paid, failed or employer's to pay", approved, done),
        ]
    return rows
