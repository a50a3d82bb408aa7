"""`claims readjudicate` against the real PostgreSQL: decisions recorded by the store are judged
again under an override, the change is reported, and nothing in PostgreSQL changes."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import fastavro
import pytest

from claims.cli import main
from services.adapters.postgres import PostgresStore
from services.app import settlement
from services.app.adjudication import ParticipantEvents
from services.app.records import Position
from services.app.sponsor_events import sponsor_change
from services.errors import StoreError
from services.rules import default_rules
from streams.kafka.codec import AvroCodec

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec.from_directory(REPO / "schemas")
KEY = "readjudicate-test-key-0123456789"
NOW = datetime(2025, 6, 12, 5, 0, tzinfo=UTC)
TABLES = ("claims", "settlements", "payment_outbox", "processed_offsets", "participants")


def fixture(name: str, **overrides: Any) -> dict[str, Any]:
    """The v1 sample of a schema (Avro JSON encoding), decoded as the codec decodes it."""
    text = (REPO / "schemas" / "fixtures" / name / "v1.json").read_text(encoding="utf-8")
    reader = fastavro.json_reader(
        io.StringIO(json.dumps(json.loads(text))), CODEC.schema(name).schema
    )
    return {**next(iter(reader)), **overrides}


def decisions() -> list[dict[str, Any]]:
    """The fixtures' BPU participant: a commuting accident (approved, Rp350,000 of land
    transport) and an old-age pension (rejected: a BPU may not hold JP)."""
    handler = ParticipantEvents(default_rules(), KEY)
    funded = sponsor_change(
        "bpjs.enrollment.SponsoredCohortFunded",
        fixture("bpjs.enrollment.SponsoredCohortFunded"),
        lambda _: None,
    )
    sponsors = {"PEMPROV-DKI": funded.sponsor_state}.get
    at = lambda offset: Position("bpjs.participant-events.v1", 0, offset)  # noqa: E731
    enrolled = fixture("bpjs.enrollment.ParticipantEnrolled")
    name = "bpjs.enrollment.ParticipantEnrolled"
    state = handler.apply(name, enrolled, None, sponsors, at(0), NOW).state
    for offset, month in enumerate(("2025-01", "2025-02", "2025-03", "2025-04", "2025-05"), 1):
        posting = fixture(
            "bpjs.contribution.ContributionPosted",
            event_id=f"posting-{month}",
            period=month,
            paid_date=date(2025, int(month[-2:]), 10),
            amounts=[{"program": "JKK", "amount": 10_000}, {"program": "JKM", "amount": 6_800}],
        )
        state = handler.apply(
            "bpjs.contribution.ContributionPosted", posting, state, sponsors, at(offset), NOW
        ).state
    claim = fixture("bpjs.claim.ClaimSubmitted")
    jkk = {**claim, "detail": {**claim["detail"], "outcome": "RECOVERED", "disabilities": [],
                               "wage": 1_000_000}}  # fmt: skip
    jp = {**claim, "claim_id": "KLM-JP-2025-000001", "program": "JP", "detail": {"kind": "OLD_AGE"}}
    out = []
    for offset, record in enumerate((jkk, jp), 6):
        applied = handler.apply(
            "bpjs.claim.ClaimSubmitted", record, state, sponsors, at(offset), NOW
        )
        state = applied.state
        out.extend(applied.decisions)
    assert [d["outcome"] for d in out] == ["APPROVED", "REJECTED"]
    return out


@pytest.fixture(scope="module")
def dsn(stack: Any) -> Iterator[str]:
    """A schema of its own with the decisions recorded and the approved claim settled."""
    schema = f"readj_{uuid.uuid4().hex[:8]}"
    found = f"{stack.database_url}?search_path={schema}"

    async def prepare() -> None:
        conn = await asyncpg.connect(stack.database_url)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
        finally:
            await conn.close()
        store = await PostgresStore.connect(found, size=1)
        try:
            await store.migrate()
            made = decisions()
            old = settlement.decision_row({**made[1], "claim_id": "KLM-OLD-2024-000001"})
            rows = [settlement.decision_row(d) for d in made]
            legacy = type(old)(**{**old.__dict__, "assessment_inputs": None})
            assert await store.record_decisions([*rows, legacy]) == 3
            pos = Position("t.bpjs.claims.approved.jkk.v1", 0, 0)
            row = settlement.settlement_row(made[0], pos, CODEC.encode, default_rules(), NOW)
            assert await store.settle("settlement-jkk", [row]) == [made[0]["claim_id"]]
        finally:
            await store.close()

    asyncio.run(prepare())
    try:
        yield found
    finally:

        async def drop() -> None:
            conn = await asyncpg.connect(stack.database_url)
            try:
                await conn.execute(f"DROP SCHEMA {schema} CASCADE")
            finally:
                await conn.close()

        asyncio.run(drop())


def snapshot(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the service's tables, in a stable order."""

    async def read() -> dict[str, list[tuple[Any, ...]]]:
        conn = await asyncpg.connect(dsn)
        try:
            return {
                t: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2")]
                for t in TABLES
            }
        finally:
            await conn.close()

    return asyncio.run(read())


@pytest.fixture
def cli(dsn: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.setattr(sys, "argv", ["claims"])
    monkeypatch.setenv("DATABASE_URL", dsn)
    # The dry run reads as the read-only role (the owner's DSN alone when there is none).
    schema = dsn.rsplit("search_path=", 1)[1]
    reader = request.getfixturevalue("stack").role_env(schema).get("READER_DATABASE_URL")
    if reader:
        monkeypatch.setenv("READER_DATABASE_URL", reader)
    monkeypatch.setenv("NIK_HASH_KEY", KEY)


def overrides(tmp_path: Path, values: dict[str, Any]) -> str:
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return str(path)


def test_an_override_s_change_is_reported_and_postgresql_is_unchanged(
    dsn: str, cli: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dsn)
    assert before["settlements"] and before["payment_outbox"]
    out = tmp_path / "diff.jsonl"
    lower_cap = overrides(tmp_path, {"jkk.transport_cap.LAND": 100_000})
    argv = ["readjudicate", "--from", "2025-01-01", "--to", "2025-12-31"]
    assert main([*argv, "--rules-overrides", lower_cap, "--output", str(out)]) == 0

    (diff,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (diff["claim_id"], diff["changed"], diff["delta"]) == (
        "KLM-JKK-2025-000123",
        ["amount"],
        -250_000,
    )
    assert diff["components"] == [
        {"code": "JKK_TRANSPORT_LAND", "old": 350_000, "new": 100_000, "delta": -250_000}
    ]
    assert diff["old"]["outcome"] == diff["new"]["outcome"] == "APPROVED"
    assert diff["overrides"] == ["jkk.transport_cap.LAND"]  # which override changed it
    printed = capsys.readouterr().out
    assert "1 changed claim(s) written to" in printed
    assert "override jkk.transport_cap.LAND: changed 1 claim(s): KLM-JKK-2025-000123" in printed
    jkk_line = next(line for line in printed.splitlines() if line.startswith("JKK "))
    assert jkk_line.split()[1:3] == ["1", "0"] and jkk_line.endswith("-250,000")
    assert snapshot(dsn) == before


def test_without_overrides_nothing_changes_and_old_decisions_are_counted_apart(
    dsn: str, cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readjudicate", "--from", "2024-01-01", "--to", "2025-12-31"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("re-adjudicated under rule set")
    every = next(line for line in lines if line.startswith("ALL "))
    claims, unchanged, *_rest = every.split()[1:]
    assert (claims, unchanged) == ("3", "2")
    assert every.split()[8] == "1"  # no inputs: decided before they were recorded


def test_the_range_and_the_program_select_the_claims(
    dsn: str, cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readjudicate", "--from", "2025-06-03", "--to", "2025-12-31"]) == 0
    assert (
        next(x for x in capsys.readouterr().out.splitlines() if x.startswith("ALL ")).split()[1]
        == "0"
    )
    argv = ["readjudicate", "--from", "2025-01-01", "--to", "2025-12-31", "--program", "JP"]
    assert main(argv) == 0
    table = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in table[2:]] == ["JP", "ALL"]


def test_the_dry_run_s_queries_cannot_write(dsn: str) -> None:
    async def attempt() -> None:
        store = await PostgresStore.connect(dsn, size=1)
        try:
            await store.read_only("DELETE FROM claims RETURNING claim_id")
        finally:
            await store.close()

    with pytest.raises(StoreError, match="ReadOnlySQLTransaction"):
        asyncio.run(attempt())


def test_each_change_names_the_overrides_that_made_it_and_idle_ones_are_named_too(
    dsn: str, cli: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = overrides(
        tmp_path,
        {
            "jkk.transport_cap.LAND": 100_000,
            # Dated before the built-in rows of 2016 and 2017: in force only until 2015-12-31,
            # so it changes none of the 2025 claims, and loading it says so.
            "jht.development_rate": [{"effective": "2015-07-01", "value": "0.08"}],
        },
    )
    argv = ["readjudicate", "--from", "2025-01-01", "--to", "2025-12-31", "--rules-overrides"]
    assert main([*argv, both]) == 0
    captured = capsys.readouterr()
    changed = [line for line in captured.out.splitlines() if line.startswith("KLM-JKK-2025-000123")]
    assert len(changed) == 1 and changed[0].endswith("by jkk.transport_cap.LAND")
    assert (
        "override jkk.transport_cap.LAND: changed 1 claim(s): KLM-JKK-2025-000123" in captured.out
    )
    assert "override jht.development_rate: changed no examined claim" in captured.out
    assert (
        "claims readjudicate: warning: jht.development_rate: your row from 2015-07-01 is in force"
        " only until 2015-12-31" in captured.err
    )
