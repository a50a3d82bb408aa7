"""deploy/local/stack fails clearly (taken port, no java or mvn, stale pid); `up` is idempotent."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "deploy" / "local" / "stack"

SERVICE_VARS = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "WORKER_DATABASE_URL",
    "READER_DATABASE_URL",
    "IMPORT_DATABASE_URL",
)
NOT_USED_DB = "postgresql://nobody:nothing@127.0.0.1:1/none"


def run_stack(
    *args: str, env: Mapping[str, str] = {}, unset: tuple[str, ...] = SERVICE_VARS
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in unset}
    full_env.update(env)
    return subprocess.run(
        [str(STACK), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def parse_env(text: str) -> dict[str, str]:
    """`KEY=value` lines as the stack prints them, the way a shell's eval reads them."""
    return dict(shlex.split(line)[0].split("=", 1) for line in text.splitlines() if "=" in line)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def isolated(tmp_path: Path) -> dict[str, str]:
    """A state folder and ports of its own, so the shared stack is never touched."""
    return {
        "LOCAL_STATE_DIR": str(tmp_path / "state"),
        "LOCAL_KAFKA_PORT": str(free_port()),
        "LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
        "LOCAL_PG_PORT": str(free_port()),
        "LOCAL_PG_DIR": str(tmp_path / "pg"),
    }


def path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH holding every program of the current PATH except `missing` (a real missing tool)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            link = bin_dir / entry.name
            if entry.name in missing or link.exists() or link.is_symlink():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(bin_dir)


@pytest.fixture
def listening_socket() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_kafka_port_in_use_names_the_port_and_the_variable(
    tmp_path: Path, listening_socket: int
) -> None:
    env = isolated(tmp_path) | {
        "LOCAL_KAFKA_PORT": str(listening_socket),
        "DATABASE_URL": NOT_USED_DB,
    }
    result = run_stack("up", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))

    assert result.returncode != 0
    assert f"port {listening_socket} is in use" in result.stderr
    assert "set LOCAL_KAFKA_PORT to a free port" in result.stderr
    assert not (tmp_path / "state" / "kafka.pid").exists()


def test_postgres_port_in_use_names_the_port_and_the_variable(
    tmp_path: Path, listening_socket: int
) -> None:
    env = isolated(tmp_path) | {
        "LOCAL_PG_PORT": str(listening_socket),
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    }
    result = run_stack("up", env=env, unset=("DATABASE_URL",))

    assert result.returncode != 0
    assert f"port {listening_socket} is in use" in result.stderr
    assert "set LOCAL_PG_PORT to a free port" in result.stderr
    assert not (tmp_path / "pg" / "data").exists()


def test_missing_java_says_how_to_install_it(tmp_path: Path) -> None:
    env = isolated(tmp_path) | {
        "PATH": path_without(tmp_path, "java"),
        "DATABASE_URL": NOT_USED_DB,
    }
    result = run_stack("up", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))

    assert result.returncode != 0
    assert "java not found on PATH" in result.stderr
    assert "apt-get install openjdk-17-jre-headless" in result.stderr


def test_missing_maven_says_how_to_install_it(tmp_path: Path) -> None:
    # A fresh state folder has no Kafka jars yet, so Maven is needed to fetch them.
    env = isolated(tmp_path) | {
        "PATH": path_without(tmp_path, "mvn"),
        "DATABASE_URL": NOT_USED_DB,
        "LOCAL_KAFKA_LIBS_DIR": str(tmp_path / "no-libs-yet"),
    }
    result = run_stack("up", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))

    assert result.returncode != 0
    assert "mvn not found on PATH" in result.stderr
    assert "apt-get install maven" in result.stderr


def test_up_on_a_running_stack_is_harmless(stack: Any) -> None:
    if not stack.local:
        pytest.skip("the session uses the user's own services, not the local stack")
    started = time.monotonic()
    result = run_stack("up")
    elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert "kafka: already running" in result.stderr
    assert "postgres: already running" in result.stderr
    assert parse_env(result.stdout) == {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "DATABASE_URL": stack.database_url,
        **stack.roles,
    }
    # generous: no JVM starts, it checks pid files and re-applies the roles (one psql each)
    assert elapsed < 10


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_kafka_pid_file_is_reported_and_cleaned_then_up_starts(
    tmp_path: Path, stack: Any
) -> None:
    env = isolated(tmp_path) | {"DATABASE_URL": NOT_USED_DB}
    version = os.environ.get("KAFKA_VERSION") or read_default("KAFKA_VERSION")
    shared_libs = REPO / ".local" / f"kafka-libs-{version}"
    if stack.local and (shared_libs / ".complete").exists():
        env["LOCAL_KAFKA_LIBS_DIR"] = str(shared_libs)  # saves a second Maven copy of the jars
    state = tmp_path / "state"
    state.mkdir()
    pid = dead_pid()
    (state / "kafka.pid").write_text(f"{pid}\n")

    try:
        result = run_stack("up", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))
        assert result.returncode == 0, result.stderr
        assert f"stale pid file {state / 'kafka.pid'} (pid {pid} " in result.stderr
        assert "removed it" in result.stderr
        new_pid = int((state / "kafka.pid").read_text())
        assert new_pid != pid
        assert Path(f"/proc/{new_pid}").exists()
    finally:
        down = run_stack("down", env=env, unset=("KAFKA_BOOTSTRAP_SERVERS",))
    assert down.returncode == 0, down.stderr
    assert "kafka: stopped" in down.stderr
    assert not (state / "kafka.pid").exists()


def test_stale_postgres_pid_file_is_reported_and_cleaned(tmp_path: Path) -> None:
    env = isolated(tmp_path)
    data = tmp_path / "pg" / "data"
    data.mkdir(parents=True)
    pid = dead_pid()
    (data / "postmaster.pid").write_text(f"{pid}\n{data}\n")

    result = run_stack("status", env=env)

    assert result.returncode == 3  # nothing of this isolated stack runs
    assert f"stale pid file {data / 'postmaster.pid'} (pid {pid} " in result.stderr
    assert "postgres: stopped" in result.stdout
    assert not (data / "postmaster.pid").exists()


def test_env_and_up_use_the_users_own_services(tmp_path: Path) -> None:
    own = {
        "KAFKA_BOOTSTRAP_SERVERS": "broker-1.example:9092,broker-2.example:9092",
        "DATABASE_URL": "postgresql://svc:s3cret@db.example:5432/claims",
    }
    env = isolated(tmp_path) | own

    printed = run_stack("env", env=env)
    assert printed.returncode == 0
    assert parse_env(printed.stdout) == own

    up = run_stack("up", env=env)
    assert up.returncode == 0, up.stderr
    assert parse_env(up.stdout) == own
    assert "kafka: using KAFKA_BOOTSTRAP_SERVERS=broker-1.example:9092" in up.stderr
    assert "postgres: using DATABASE_URL=postgresql://svc:***@db.example" in up.stderr
    assert "s3cret" not in up.stderr
    assert not (tmp_path / "state").exists()


def test_env_of_the_local_stack_gives_each_role_its_own_url(tmp_path: Path) -> None:
    env = isolated(tmp_path)
    printed = parse_env(run_stack("env", env=env).stdout)
    port, db = env["LOCAL_PG_PORT"], read_default("PG_DATABASE")
    assert printed["DATABASE_URL"] == (
        f"postgresql://{read_default('PG_USER')}:{read_default('PG_PASSWORD')}@127.0.0.1:{port}/{db}"
    )
    for var, user, password in (
        ("WORKER_DATABASE_URL", "claims_worker", "PG_WORKER_PASSWORD"),
        ("READER_DATABASE_URL", "claims_reader", "PG_READER_PASSWORD"),
        ("IMPORT_DATABASE_URL", "claims_importer", "PG_IMPORTER_PASSWORD"),
    ):
        assert printed[var] == f"postgresql://{user}:{read_default(password)}@127.0.0.1:{port}/{db}"


def test_env_with_the_users_own_database_prints_only_the_role_urls_they_set(
    tmp_path: Path,
) -> None:
    own = {
        "DATABASE_URL": "postgresql://svc:s3cret@db.example:5432/claims",
        "READER_DATABASE_URL": "postgresql://ro:s3cret@db.example:5432/claims",
    }
    printed = parse_env(run_stack("env", env=isolated(tmp_path) | own).stdout)
    # WORKER_ and IMPORT_DATABASE_URL unset: those commands fall back to DATABASE_URL.
    assert {k: v for k, v in printed.items() if "DATABASE_URL" in k} == own


def read_default(key: str) -> str:
    for line in (REPO / "deploy" / "local" / "defaults.env").read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    raise KeyError(key)


def test_status_asks_the_services_it_reports_external_or_local(tmp_path: Path, stack: Any) -> None:
    """`status` after `eval "$(stack env)"` must not say a stopped database is fine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    own = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "DATABASE_URL": f"postgresql://claims:s3cret@127.0.0.1:{closed}/claims",
    }
    result = run_stack("status", env=isolated(tmp_path) | own)

    assert result.returncode == 1, result.stdout + result.stderr
    kafka, postgres = result.stdout.splitlines()
    assert kafka == f"kafka: external ({stack.kafka_bootstrap}), answering"
    assert postgres.startswith(
        f"postgres: external (postgresql://claims:***@127.0.0.1:{closed}/claims), NOT answering: "
    )
    assert "s3cret" not in result.stdout
    answering = run_stack(
        "status", env=isolated(tmp_path) | own | {"DATABASE_URL": stack.database_url}
    )
    assert answering.returncode == 0, answering.stdout
    assert answering.stdout.splitlines()[1].endswith(", answering")


def test_secure_env_before_the_first_secure_start_warns_and_prints_no_credentials(
    tmp_path: Path,
) -> None:
    result = run_stack("env", env=isolated(tmp_path) | {"SECURE": "1"})
    assert result.returncode == 0
    assert "no SCRAM users yet" in result.stderr
    assert "KAFKA_SASL" not in result.stdout
    assert "KAFKA_BOOTSTRAP_SERVERS=" in result.stdout


def test_a_secure_value_that_is_not_a_switch_is_refused_by_name(tmp_path: Path) -> None:
    result = run_stack("env", env=isolated(tmp_path) | {"LOCAL_KAFKA_SECURE": "maybe"})
    assert result.returncode == 2
    assert "LOCAL_KAFKA_SECURE=maybe: expected 1 or 0" in result.stderr


def test_asking_for_the_other_mode_of_a_running_broker_is_refused_by_name(stack: Any) -> None:
    if not stack.local:
        pytest.skip("needs the local stack")
    secure = os.environ.get("KAFKA_SECURITY_PROTOCOL") == "SASL_SSL"
    other = "0" if secure else "1"
    result = run_stack("up", "kafka", env={"SECURE": other, "LOCAL_KAFKA_SECURE": other})
    assert result.returncode != 0
    running, asked = ("secure", "plaintext") if secure else ("plaintext", "secure")
    assert f"a {running} broker already runs" in result.stderr
    assert f"asks for a {asked} one" in result.stderr
    assert "stack down kafka" in result.stderr
