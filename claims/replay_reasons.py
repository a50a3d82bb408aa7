"""Why a replay differs from its plan: what PostgreSQL holds that explains each difference."""

from __future__ import annotations

from typing import Any

ENROLLED = "bpjs.enrollment.ParticipantEnrolled"


def _causes(rows: list[dict[str, Any]]) -> str:
    """'InvalidEvent nik 4, InvalidEvent birth_date 2': dead letters by error class and field."""
    return ", ".join(
        f"{r['error_class']}{' ' + r['field'] if r.get('field') else ''} {r['n']:,}" for r in rows
    )


def dead_enrollments(s: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in s.get("dead_letter_causes", []) if r["event"] == ENROLLED]


def _dead_other(s: dict[str, Any]) -> str:
    rows = [r for r in s.get("dead_letter_causes", []) if r["event"] != ENROLLED]
    return f"; dead letters: {_causes(rows)}" if rows else "; no other dead letter"


def why(label: str, planned: int, found: int, s: dict[str, Any]) -> str:
    """The reason PostgreSQL gives for a figure of the replay check that is not as planned."""
    if label in ("participants enrolled", "invalid enrollments (dead letters)"):
        dead = dead_enrollments(s)
        if not dead:
            return "no enrollment in the dead letters: the rest were not consumed (yet)"
        return f"enrollments in the dead letters: {_causes(dead)}"
    program, _, figure = label.partition(" ")
    if figure in ("claims approved", "claims rejected"):
        reasons = [r for r in s.get("reasons", []) if r["program"] == program]
        told = ", ".join(f"{r['reason']} {r['n']:,}" for r in reasons) or "none"
        return f"{program} rejected for: {told}{_dead_other(s)}"
    st: dict[str, Any] = next((r for r in s.get("settled", []) if r["program"] == program), {})
    if figure == "approved claims settled":
        approved = next(
            (
                r["n"]
                for r in s.get("claims", [])
                if r["program"] == program and r["outcome"] == "APPROVED"
            ),
            0,
        )
        unsettled = approved - st.get("n", 0)
        if not unsettled:
            return f"all {approved:,} approved claims are settled: the approvals differ (above)"
        return f"{unsettled:,} approved claims without a settlement{_dead_other(s)}"
    pending = st.get("n", 0) - st.get("paid", 0) - st.get("failed", 0)
    pending -= st.get("awaiting_employer", 0)
    if not pending:
        return f"all {st.get('n', 0):,} settlements are paid, failed or the employer's: see above"
    return f"{pending:,} settlements without a payment result (paid or failed) yet"


def batch_lines(s: dict[str, Any]) -> list[str]:
    """One line per incomplete enrollment batch, then why: the invalid enrollments dead-lettered.

    A dead letter keeps its event only sealed, so it names no batch: the rows missing from all
    batches are matched with the enrollments in the dead letters as a whole."""
    short = [b for b in s["batches"] if b["applied"] < b["expected_count"]]
    lines = [
        f"batch {b['batch_id']}: {b['expected_count'] - b['applied']:,} of"
        f" {b['expected_count']:,} rows missing"
        for b in short
    ]
    if not short:
        return lines
    missing = sum(b["expected_count"] - b["applied"] for b in short)
    dead = dead_enrollments(s)
    n_dead = sum(r["n"] for r in dead)
    if n_dead:
        lines.append(
            f"why: {min(n_dead, missing):,} of the {missing:,} rows missing are invalid"
            f" enrollments sent to the dead letters ({_causes(dead)})"
        )
    if missing > n_dead:
        lines.append(f"why: {missing - n_dead:,} rows missing are in no dead letter (not consumed)")
    return lines
