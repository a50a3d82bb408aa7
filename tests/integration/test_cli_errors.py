"""Every `claims` command, run as the real command: with Kafka down and with PostgreSQL down it
prints exactly one line on stderr naming what failed and where, and exits with the documented
code (1: Kafka or PostgreSQL failed). "Down" is a port where nothing listens; the other service
is the real local stack, so a command that does not need the missing one shows it still works.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from services.sealing import DEMO_PUBLIC_KEY
from tests.conftest import REPO

pytestmark = pytest.mark.integration

CLAIMS = Path(sys.executable).with_name("claims")  # the console script pip installed
KEY = "cli-errors-test-key-0123456789"


def closed_port() -> int:
    """A port on loopback where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def import_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "workers.csv"
    made = subprocess.run(
        [
            str(CLAIMS),
            "make-import-file",
            str(out),
            "--rows",
            "40",
            "--work-units",
            "2",
            "--bad-fraction",
            "0.25",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return out


@pytest.fixture(scope="module")
def schema_url(database_url: str) -> Iterator[str]:
    """The real PostgreSQL, in a schema of its own (migrated, empty)."""
    schema = f"cli_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f"CREATE SCHEMA {schema}"))
    url = f"{database_url}?search_path={schema}"
    migrated = claims(["migrate"], {"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": "x:1"})
    assert migrated.returncode == 0, migrated.stderr
    yield url
    asyncio.run(run(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def topic_env(kafka_bootstrap: str) -> Iterator[dict[str, str]]:
    """The real Kafka under a prefix and app id of its own; their topics are deleted after."""
    from kafka import KafkaAdminClient

    run_id = uuid.uuid4().hex[:8]
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_PREFIX": f"cli{run_id}.",
        "CLAIMS_APP_ID": f"cli-{run_id}",
    }
    yield env
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        doomed = [t for t in admin.list_topics() if run_id in t]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()


def claims(
    args: list[str], env: dict[str, str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL", "RULES_OVERRIDES_FILE")}
    full |= {"NIK_HASH_KEY": KEY, "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY, **env}
    return subprocess.run(
        [str(CLAIMS), *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=120
    )


def commands(import_file: Path) -> dict[str, list[str]]:
    return {
        "worker": ["worker"],
        "run": ["run", "--scale", "0.001"],
        "topics": ["topics"],
        "migrate": ["migrate"],
        "status": ["status", "NO-SUCH-CLAIM"],
        "employer": ["employer", "00000000"],
        "owed": ["owed", "--on", "2025-07-01"],
        "import": ["import", str(import_file), "--sponsor-id", "cli-test", "--no-progress"],
        "make-import-file": [
            "make-import-file",
            str(import_file.with_name("again.csv")),
            "--rows",
            "10",
            "--work-units",
            "1",
        ],
        "readjudicate": ["readjudicate", "--from", "2020-01-01", "--to", "2020-12-31"],
    }


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# Kafka down, PostgreSQL up: what each command does (exit code; the line when it fails).
KAFKA_DOWN = {
    "worker": 1,
    "run": 1,
    "topics": 1,
    "import": 1,
    "migrate": 0,
    "status": 3,  # not found: it never needed Kafka
    "employer": 3,  # no such NPP: neither
    "owed": 0,  # nothing owed: it reads PostgreSQL only
    "make-import-file": 0,
    "readjudicate": 0,
}

# PostgreSQL down, Kafka up.
POSTGRES_DOWN = {
    "worker": 1,
    "run": 1,
    "topics": 0,
    "import": 1,
    "migrate": 1,
    "status": 1,
    "employer": 1,
    "owed": 1,
    "make-import-file": 0,
    "readjudicate": 1,
}


@pytest.mark.parametrize("command", sorted(KAFKA_DOWN))
def test_with_kafka_down_each_command_says_so_in_one_line_or_does_not_need_it(
    command: str, import_file: Path, schema_url: str, tmp_path: Path
) -> None:
    port = closed_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
        "DATABASE_URL": schema_url,
        "CLAIMS_DATA_DIR": str(tmp_path / "faust"),
        "WEB_PORT": str(closed_port()),
    }
    result = claims(commands(import_file)[command], env, cwd=tmp_path)

    assert result.returncode == KAFKA_DOWN[command], result.stderr
    if KAFKA_DOWN[command] == 1:
        line = one_line(result)
        assert line.startswith(f"claims {command}: Kafka at 127.0.0.1:{port} failed: "), line
        assert "KAFKA_BOOTSTRAP_SERVERS" in line  # what to do
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", sorted(POSTGRES_DOWN))
def test_with_postgres_down_each_command_says_so_in_one_line_or_does_not_need_it(
    command: str, import_file: Path, topic_env: dict[str, str], tmp_path: Path
) -> None:
    port = closed_port()
    env = topic_env | {
        "DATABASE_URL": f"postgresql://claims:secret@127.0.0.1:{port}/claims",
        "CLAIMS_DATA_DIR": str(tmp_path / "faust"),
        "WEB_PORT": str(closed_port()),
    }
    result = claims(commands(import_file)[command], env, cwd=tmp_path)

    assert result.returncode == POSTGRES_DOWN[command], result.stderr
    if POSTGRES_DOWN[command] == 1:
        line = one_line(result)
        assert line.startswith(f"claims {command}: PostgreSQL at 127.0.0.1:{port}/claims failed"), (
            line
        )
        assert "DATABASE_URL" in line
        assert "secret" not in line  # never the password


def test_debug_shows_the_traceback_instead(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"postgresql://claims:claims@127.0.0.1:{closed_port()}/claims"}
    plain = claims(["status", "X"], env, cwd=tmp_path)
    for debug in (["--debug", "status", "X"], ["status", "X", "--debug"]):
        shown = claims(debug, env, cwd=tmp_path)
        assert shown.returncode == 1
        assert "Traceback (most recent call last)" in shown.stderr
    by_level = claims(["status", "X"], env | {"LOG_LEVEL": "DEBUG"}, cwd=tmp_path)
    assert "Traceback (most recent call last)" in by_level.stderr
    assert len(plain.stderr.splitlines()) == 1


def test_an_import_with_kafka_down_still_writes_the_whole_rejection_report(
    import_file: Path, schema_url: str, tmp_path: Path
) -> None:
    """The sponsor gets every rejection back even when nothing could be published."""
    report = tmp_path / "report.csv"
    env = {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port()}", "DATABASE_URL": schema_url}
    args = ["import", str(import_file), "--sponsor-id", "cli-test", "--no-progress"]
    result = claims([*args, "--report", str(report)], env, cwd=tmp_path)

    assert result.returncode == 1
    line = one_line(result)
    assert "nothing published" in line and f"the report {report} is complete" in line
    assert "re-run with --batch-id cli-test-" in line
    expected = json.loads(import_file.with_name(import_file.name + ".expected.json").read_text())
    assert expected["bad"]  # the file has bad rows to report
    rows = {int(r.split(",", 1)[0]) for r in report.read_text().splitlines()[1:]}
    assert rows == {bad["row"] for bad in expected["bad"]}
