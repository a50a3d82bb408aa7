"""`claims employer NPP` against the real PostgreSQL: participants, contribution checks and
obligations made by the real use case (ParticipantEvents) and committed by the real store as the
worker's role, then read back by the command as the reader's role, figure by figure."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "app"))
from app_events import CLAIM, ENROLLED, KEY, NOW, POSTED, at, fixture

from claims.cli import main
from claims.errors import EXIT_NOT_FOUND
from services.adapters.postgres import PostgresStore
from services.app.adjudication import Applied, ParticipantEvents
from services.app.records import (
    Checkpoint,
    EmployerEffects,
    Mark,
)
from services.app.settlement import decision_row
from services.rules import default_rules
from tests.conftest import Stack, with_schema

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NPP, OTHER_NPP = "12345678", "87654321"
# kpj, nik: three workers of the employer (A since January, B since March, C since September
# 2024, who never paid until its accident), and one of another employer.
A = ("24000000001", "3171014501900001")
B = ("24000000002", "3171014501900002")
C = ("24000000003", "3171014501900003")
E = ("24000000009", "3171014501900009")
ON = "2025-06-20"  # months due before it: up to May 2025 (due on 15 June)
PU_5M = {"JHT": 285_000, "JKK": 12_000, "JKM": 15_000, "JP": 150_000}  # wage 5,000,000, class 1
PU_4M = {"JHT": 228_000, "JKK": 9_600, "JKM": 12_000}  # wage 4,000,000, no JP
NO_JP = {p: PU_5M[p] for p in ("JHT", "JKK", "JKM")}


def enrolled(who: tuple[str, str], start: date, wage: int, programs: list[str], npp: str) -> Any:
    kpj, nik = who
    return fixture(
        ENROLLED, event_id=f"enrol-{kpj}", kpj=kpj, nik=nik, category="PU", employer_npp=npp,
        jkk_risk_class=1, wage=wage, enrolled_on=start, sponsor_id=None, batch_id=None,
        work_unit=None, programs=[{"program": p, "effective_date": start} for p in programs],
    )  # fmt: skip


def posted(
    who: tuple[str, str], period: str, paid: date, amounts: dict[str, int], wage: int = 5_000_000
) -> Any:
    kpj, nik = who
    return fixture(
        POSTED, event_id=f"post-{kpj}-{period}", kpj=kpj, nik=nik, period=period,
        paid_date=paid, wage_base=wage, payer="EMPLOYER",
        amounts=[{"program": p, "amount": a} for p, a in amounts.items()],
    )  # fmt: skip


def accident(who: tuple[str, str]) -> Any:
    """C's commuting accident on 2025-06-02, 8 months in arrears: the employer pays first; its
    true wage (6,000,000) is above the reported one: the employer owes the shortfall too."""
    kpj, nik = who
    claim = fixture(CLAIM, kpj=kpj, nik=nik, claim_id="KLM-JKK-2025-000001")
    detail = {**claim["detail"], "outcome": "RECOVERED", "disabilities": [], "wage": 6_000_000}
    return {**claim, "detail": detail}


def events() -> list[tuple[str, Any]]:
    c_months = [f"2024-{m:02}" for m in range(9, 13)] + [f"2025-{m:02}" for m in range(1, 5)]
    return [
        (ENROLLED, enrolled(A, date(2025, 1, 1), 5_000_000, list(PU_5M), NPP)),
        (ENROLLED, enrolled(B, date(2025, 3, 1), 4_000_000, list(PU_4M), NPP)),
        (ENROLLED, enrolled(C, date(2024, 9, 1), 5_000_000, ["JHT", "JKK", "JKM"], NPP)),
        (ENROLLED, enrolled(E, date(2025, 1, 1), 5_000_000, list(PU_5M), OTHER_NPP)),
        (POSTED, posted(A, "2025-01", date(2025, 2, 10), PU_5M)),
        (POSTED, posted(A, "2025-02", date(2025, 3, 10), {**PU_5M, "JHT": 200_000})),  # short
        (POSTED, posted(A, "2025-03", date(2025, 5, 20), PU_5M)),  # 2 months late
        (POSTED, posted(B, "2025-03", date(2025, 4, 10), PU_4M, 4_000_000)),
        (POSTED, posted(B, "2025-04", date(2025, 5, 10), {**PU_4M, "JKM": 20_000}, 4_000_000)),
        (POSTED, posted(E, "2025-01", date(2025, 2, 10), {**PU_5M, "JHT": 1})),
        (CLAIM, accident(C)),
        # C pays its 8 months on 10 June (1 to 8 months late): the employer-first claim is
        # reimbursed; May stays due.
        *((POSTED, posted(C, m, date(2025, 6, 10), NO_JP)) for m in c_months),
    ]


def applied() -> list[Applied]:
    handler = ParticipantEvents(default_rules(), KEY)
    states: dict[str, Any] = {}
    out = []
    for offset, (name, record) in enumerate(events()):
        done = handler.apply(
            name, record, states.get(record["kpj"]), lambda _: None, at(offset), NOW
        )
        if done.state is not None:
            states[record["kpj"]] = done.state
        out.append(done)
    return out


@pytest.fixture(scope="module")
def schema(stack: Stack) -> Iterator[str]:
    """A schema of its own, migrated, holding what the worker would have committed."""
    name = f"employer_{uuid.uuid4().hex[:8]}"

    async def prepare() -> None:
        admin = await asyncpg.connect(stack.database_url)
        try:
            await admin.execute(f"CREATE SCHEMA {name}")
        finally:
            await admin.close()
        owner = await PostgresStore.connect(with_schema(stack.database_url, name), size=1)
        try:
            await owner.migrate()
        finally:
            await owner.close()
        worker = await PostgresStore.connect(with_schema(stack.worker_url, name), size=1)
        try:
            for offset, done in enumerate(applied()):  # one batch per event, as committed
                mark = Mark("bpjs.participant-events.v1", 0, offset, offset)
                effects = EmployerEffects(
                    checks=done.checks,
                    obligations=tuple(o.row for o in done.obligations),
                    reimbursements=tuple(r.row for r in done.reimbursements),
                )
                await worker.commit_participants(
                    Checkpoint("participants", (mark,)),
                    [done.row] if done.row else [],
                    [decision_row(d) for d in done.decisions],
                    [],
                    effects,
                )
        finally:
            await worker.close()

    asyncio.run(prepare())
    try:
        yield name
    finally:

        async def drop() -> None:
            admin = await asyncpg.connect(stack.database_url)
            try:
                await admin.execute(f"DROP SCHEMA {name} CASCADE")
            finally:
                await admin.close()

        asyncio.run(drop())


@pytest.fixture
def env(schema: str, stack: Stack) -> dict[str, str]:
    """The command's environment: the schema, read as the reader role; no NIK_HASH_KEY."""
    return stack.role_env(schema)


@pytest.fixture
def cli(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["claims"])
    for var in ("NIK_HASH_KEY", "RULES_OVERRIDES_FILE", *env):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)


def account(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["employer", NPP, "--json", *argv]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def month(document: dict[str, Any], program: str, period: str) -> dict[str, Any]:
    (found,) = [m for m in document["programs"][program]["months"] if m["period"] == period]
    return found


def test_the_arrears_per_program_are_the_months_due_and_not_paid_in_full(
    cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    d = account(capsys, "--on", ON)
    assert (d["employer_npp"], d["on"], d["participants"]) == (NPP, ON, 3)
    arrears = {p: d["programs"][p]["arrears"] for p in d["programs"]}
    # JHT: A's short February (85,000 missing), A's April and May, B's and C's May.
    assert arrears["JHT"] == {"months": 5, "unpaid": 4, "underpaid": 1, "participants": 3,
                              "outstanding": 85_000 + 2 * 285_000 + 228_000 + 285_000,
                              "unpriced": 0}  # fmt: skip
    assert arrears["JKK"]["outstanding"] == 2 * 12_000 + 9_600 + 12_000
    assert arrears["JKM"]["outstanding"] == 2 * 15_000 + 12_000 + 15_000  # B's over-paid April
    assert (arrears["JP"]["months"], arrears["JP"]["outstanding"]) == (2, 300_000)  # A only
    assert d["arrears"]["months"] == 15 and d["arrears"]["participants"] == 3
    assert d["arrears"]["outstanding"] == 1_168_000 + 45_600 + 57_000 + 300_000
    short = [m for m in d["arrears_months"] if m["kpj"] == A[0] and m["period"] == "2025-02"]
    assert short == [{"kpj": A[0], "program": "JHT", "period": "2025-02", "wage_base": 5_000_000,
                      "due": 285_000, "paid": 200_000, "outstanding": 85_000}]  # fmt: skip


def test_each_month_shows_what_was_due_posted_short_late_and_the_penalty(
    cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    d = account(capsys, "--on", ON)
    february = month(d, "JHT", "2025-02")
    assert february == {
        "period": "2025-02", "months_due": 2, "posted": 2, "paid_in_full": 1, "underpaid": 1,
        "shortfall": 85_000, "overpaid": 0, "not_checked": 0, "late": 1,
        "penalty": 285_000 * 2 * 3 // 100,  # C's, paid 3 months late; A's was on time
        "in_arrears": 1, "outstanding": 85_000, "postings": 2,
        "posted_amount": 200_000 + 285_000, "expected_amount": 2 * 285_000, "excess": 0,
    }  # fmt: skip
    assert month(d, "JKM", "2025-04")["overpaid"] == 1
    assert month(d, "JKM", "2025-04")["excess"] == 8_000
    may = month(d, "JHT", "2025-05")
    assert (may["months_due"], may["posted"], may["in_arrears"]) == (3, 0, 3)
    # The totals are the use case's own checks of this employer, added up.
    ours = [
        (posting, line)
        for done in applied()
        for posting in done.checks
        if posting.employer_npp == NPP
        for line in posting.lines
    ]
    for program in ("JHT", "JKK", "JKM", "JP"):
        total = d["programs"][program]["total"]
        mine = [(p, c) for p, c in ours if c.program == program]
        assert total["penalty"] == sum(c.penalty for _, c in mine) > 0
        assert total["postings"] == len(mine)
        assert total["late"] == len({(p.kpj, p.period) for p, c in mine if c.months_late})
    assert d["programs"]["JHT"]["total"]["months_due"] == 5 + 3 + 9
    assert d["programs"]["JHT"]["total"]["late"] == 1 + 8  # A's March, C's eight months


def test_the_obligations_are_listed_open_or_reimbursed(
    cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    o = account(capsys, "--on", ON)["obligations"]
    assert o["by_status"] == {
        "OPEN": {"count": 1, "amount": 700_000, "reimbursed": 0},
        "REIMBURSEMENT_ISSUED": {"count": 1, "amount": 16_600_000, "reimbursed": 16_600_000},
    }
    kinds = {(i["kind"], i["status"], i["claim_id"], i["kpj"]) for i in o["items"]}
    assert kinds == {
        ("BENEFIT_FIRST", "REIMBURSEMENT_ISSUED", "KLM-JKK-2025-000001", C[0]),
        ("WAGE_SHORTFALL", "OPEN", "KLM-JKK-2025-000001", C[0]),
    }


def test_on_an_earlier_date_only_what_was_paid_by_then_counts(
    cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    d = account(capsys, "--on", "2025-04-01")  # January and February due; B not yet
    assert [m["period"] for m in d["programs"]["JHT"]["months"]] == [
        "2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02",
    ]  # fmt: skip
    jht = d["programs"]["JHT"]
    assert jht["arrears"]["outstanding"] == 85_000 + 6 * 285_000  # C's six months, unpaid then
    assert (jht["arrears"]["months"], jht["arrears"]["participants"]) == (7, 2)
    assert jht["total"]["posted"] == 2 and jht["total"]["penalty"] == 0  # A's two months


def test_the_table_is_printed_for_people(cli: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["employer", NPP, "--on", ON]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Employer NPP {NPP} on {ON}: 3 participant(s)")
    february = lines[lines.index("JHT") + 7]
    assert february.split() == ["2025-02", "2", "2", "1", "1", "85,000", "0", "0", "1",
                                "17,100", "1", "85,000"]  # fmt: skip
    jht = next(line for line in lines if line.startswith("  JHT "))
    assert jht.split() == ["JHT", "5", "4", "1", "3", "Rp1,168,000"]
    assert any("REIMBURSEMENT_ISSUED" in line and "Rp16,600,000" in line for line in lines)
    assert not any(nik in "\n".join(lines) for _kpj, nik in (A, B, C))


def test_an_unknown_npp_is_one_line_and_exit_3(
    cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["employer", "00000000"]) == EXIT_NOT_FOUND
    assert capsys.readouterr().out.splitlines() == [
        "claims employer: no participant or contribution recorded for NPP 00000000"
    ]
    assert main(["employer", "00000000", "--json"]) == EXIT_NOT_FOUND
    assert json.loads(capsys.readouterr().out) == {"employer_npp": "00000000", "error": "not found"}


def test_the_installed_command_reads_as_the_reader_role(env: dict[str, str]) -> None:
    """The real entry point, in its own process, with the reader's DSN only for the reads."""
    keep = {
        k: v for k, v in os.environ.items() if k not in ("NIK_HASH_KEY", "RULES_OVERRIDES_FILE")
    }
    result = subprocess.run(
        [sys.executable, "-m", "claims", "employer", NPP, "--on", ON],
        capture_output=True, text=True, env={**keep, **env}, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Outstanding arrears on 2025-06-20" in result.stdout
