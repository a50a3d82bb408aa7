"""Input errors of `claims` are one line naming the file, variable or value, exit 2, and come
before anything is connected (Kafka and PostgreSQL point at ports where nothing listens)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from claims.errors import explain, postgres_where, split_debug
from services.rules import MissingRule, default_rules, shadowed_overrides
from services.sealing import DEMO_PUBLIC_KEY

CLAIMS = Path(sys.executable).with_name("claims")
REPO = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def claims(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    nothing = {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port()}",
        "DATABASE_URL": f"postgresql://claims:claims@127.0.0.1:{closed_port()}/claims",
        "NIK_HASH_KEY": "unit-test-key-0123456789",
        "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY,
    }
    full = {k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL", "RULES_OVERRIDES_FILE")}
    return subprocess.run(
        [str(CLAIMS), *args],
        capture_output=True,
        text=True,
        env=full | nothing | env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_a_worker_with_a_missing_overrides_file_names_the_variable_before_connecting() -> None:
    result = claims(["worker"], RULES_OVERRIDES_FILE="/nonexistent.json")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "claims worker: RULES_OVERRIDES_FILE=/nonexistent.json: cannot read:"
        " No such file or directory"
    ]


def test_a_mistyped_rule_key_is_refused_with_the_nearest_names(tmp_path: Path) -> None:
    overrides = tmp_path / "rules.json"
    overrides.write_text(json.dumps({"jht.developement_rate": "0.07"}), encoding="utf-8")
    result = claims(["worker"], RULES_OVERRIDES_FILE=str(overrides))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "unknown rule 'jht.developement_rate'" in line
    assert "did you mean 'jht.development_rate'" in line


def test_a_percent_sign_in_a_rate_is_a_usage_error_of_one_line(tmp_path: Path) -> None:
    overrides = tmp_path / "rules.json"
    overrides.write_text(json.dumps({"jht.development_rate": "5%"}), encoding="utf-8")
    result = claims(
        [
            "readjudicate",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--rules-overrides",
            str(overrides),
        ]
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "'jht.development_rate'" in line and "'5%' is not a decimal number" in line


def test_an_override_cut_short_by_later_built_in_rows_is_reported() -> None:
    rules = default_rules()
    overrides = {"jht.development_rate": [{"effective": "2015-07-01", "value": "0.08"}]}
    assert shadowed_overrides(rules, overrides) == [
        "jht.development_rate: your row from 2015-07-01 is in force only until 2015-12-31:"
        " built-in rows from 2016-01-01, 2017-01-01 follow (add rows with those dates or give"
        " a plain value to replace the whole table)"
    ]
    # The override really is in force only until then: the warning tells the truth.
    changed = rules.with_overrides(overrides)
    assert changed.rate("jht.development_rate", date(2015, 12, 31)) == changed.rate(
        "jht.development_rate", date(2015, 7, 1)
    )
    assert changed.rate("jht.development_rate", date(2016, 1, 1)) == rules.rate(
        "jht.development_rate", date(2016, 1, 1)
    )


def test_overrides_that_are_not_cut_short_raise_no_warning() -> None:
    rules = default_rules()
    assert shadowed_overrides(rules, {"jht.development_rate": "0.08"}) == []  # whole table
    later = [{"effective": "2030-01-01", "value": "0.08"}]
    assert shadowed_overrides(rules, {"jht.development_rate": later}) == []
    own_rows = [
        {"effective": "2015-07-01", "value": "0.08"},
        {"effective": "2016-01-01", "value": "0.08"},
        {"effective": "2017-01-01", "value": "0.08"},
    ]
    assert shadowed_overrides(rules, {"jht.development_rate": own_rows}) == []


def test_readjudicate_prints_the_shadowing_warning(tmp_path: Path) -> None:
    overrides = tmp_path / "rules.json"
    overrides.write_text(
        json.dumps({"jht.development_rate": [{"effective": "2015-07-01", "value": "0.08"}]}),
        encoding="utf-8",
    )
    result = claims(
        [
            "readjudicate",
            "--from",
            "2015-07-01",
            "--to",
            "2015-12-31",
            "--rules-overrides",
            str(overrides),
        ]
    )
    warning, failure = result.stderr.splitlines()
    assert warning.startswith("claims readjudicate: warning: jht.development_rate: your row from")
    assert failure.startswith("claims readjudicate: PostgreSQL at 127.0.0.1:")
    assert result.returncode == 1


def test_unknown_rules_raise_missing_rule_with_suggestions() -> None:
    with pytest.raises(MissingRule, match=r"did you mean 'jkm\.lump_sum'"):
        default_rules().with_overrides({"jkm.lumpsum": 1})


def test_debug_is_taken_from_anywhere_on_the_command_line() -> None:
    assert split_debug(["--debug", "status", "X"]) == (["status", "X"], True)
    assert split_debug(["status", "X", "--debug"]) == (["status", "X"], True)
    assert split_debug(["status", "X"]) == (["status", "X"], False)


def test_the_database_is_named_without_its_password() -> None:
    where = postgres_where({"DATABASE_URL": "postgresql://svc:s3cret@db.example:6543/claims"})
    assert where == "db.example:6543/claims"
    line = explain("status", OSError(2, "No such file or directory", "/x.json")).message
    assert line == "claims status: /x.json: No such file or directory"


@pytest.mark.parametrize(
    "command",
    [
        "worker",
        "run",
        "topics",
        "migrate",
        "status",
        "employer",
        "import",
        "make-import-file",
        "readjudicate",
    ],
)
def test_every_command_s_help_has_a_description_its_environment_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from claims.cli import parser

    with pytest.raises(SystemExit):
        parser().parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "environment: " in text and "exit codes: 0 ok; 1 Kafka or PostgreSQL failed" in text
    description = text.split("options:")[0]
    assert len(description) > 80, description  # more than the usage line


def test_the_top_level_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from claims.cli import parser

    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 ok; 1 Kafka or PostgreSQL failed" in text
    assert "3 not found" in text and "4 some rows rejected" in text


def test_client_libraries_are_quiet_for_the_checks_and_heard_again_in_the_worker() -> None:
    import logging

    from claims.errors import CLIENT_LOGGERS, quiet_clients, unquiet_clients

    quiet_clients()
    assert all(logging.getLogger(n).level == logging.CRITICAL for n in CLIENT_LOGGERS)
    unquiet_clients()
    assert all(logging.getLogger(n).level == logging.NOTSET for n in CLIENT_LOGGERS)


def test_a_missing_privilege_is_one_line_naming_the_role_s_variable_exit_2() -> None:
    from services.adapters.pg_base import Login, missing_privilege

    env = {
        "DATABASE_URL": "postgresql://claims:owner-secret@db.example:5432/claims",
        "READER_DATABASE_URL": "postgresql://claims_importer:s3cret@ro.example:6432/claims",
    }
    login = Login.of("reader", "READER_DATABASE_URL", env["READER_DATABASE_URL"])
    error = missing_privilege("claim_status", "permission denied for table claims", login)
    failure = explain("status", error, env)
    assert failure.code == 2  # configuration: the wrong role for the command
    assert failure.message == (
        "claims status: PostgreSQL at ro.example:6432/claims refused: claim_status:"
        " READER_DATABASE_URL connects as 'claims_importer', which lacks a privilege: permission"
        " denied for table claims (the read-only role needs SELECT on every table; `claims"
        " migrate` with DATABASE_URL, the owner, re-applies the grants)"
    )
    assert "s3cret" not in failure.message and "owner-secret" not in failure.message


def test_a_role_s_failed_connection_names_its_own_variable() -> None:
    from services.errors import TransientError

    error = TransientError("connect: ConnectionRefusedError: refused")
    error.variable = "WORKER_DATABASE_URL"
    env = {"WORKER_DATABASE_URL": "postgresql://claims_worker:pw@wk.example:5433/claims"}
    failure = explain("worker", error, env)
    assert failure.code == 1
    assert failure.message.startswith("claims worker: PostgreSQL at wk.example:5433/claims failed")
    assert failure.message.endswith("or set WORKER_DATABASE_URL")
    assert "pw@" not in failure.message


def test_an_unset_role_variable_is_explained_with_database_url() -> None:
    where = postgres_where(
        {"DATABASE_URL": "postgresql://claims:x@owner.example:5432/claims"}, "READER_DATABASE_URL"
    )
    assert where == "owner.example:5432/claims"


def test_a_schema_not_migrated_is_one_line_naming_claims_migrate() -> None:
    from services.errors import SchemaBehind

    error = SchemaBehind("the schema WORKER_DATABASE_URL points at is at migration none, ...")
    error.variable = "WORKER_DATABASE_URL"
    failure = explain("worker", error, {})
    assert failure.code == 1
    assert failure.message.startswith("claims worker: PostgreSQL at 127.0.0.1:55432/claims: the")


def test_a_worker_beyond_loopback_without_a_status_token_refuses_before_connecting() -> None:
    result = claims(["worker"], WEB_HOST="0.0.0.0", STATUS_TOKEN="")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "claims worker: configuration error: STATUS_TOKEN must be set when WEB_HOST='0.0.0.0'"
        " is beyond loopback"
    )


def test_a_short_status_token_is_a_configuration_error_without_its_value() -> None:
    result = claims(["worker"], WEB_HOST="0.0.0.0", STATUS_TOKEN="tiny-secret")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("claims worker: configuration error: STATUS_TOKEN=<11 characters>:")
    assert "tiny-secret" not in result.stderr + result.stdout


def test_a_driver_message_quoting_the_password_reaches_stderr_redacted() -> None:
    """asyncpg quotes a bad parameter's value: here the password (main printed it in clear)."""
    secret = "pg-password-quoted-by-the-driver"
    url = f"postgresql://svc:{secret}@127.0.0.1:{closed_port()}/claims"
    env = {"DATABASE_URL": f"{url}?target_session_attrs={secret}", "STATUS_TOKEN": "t" * 20}
    plain = claims(["status", "X"], **env)
    assert plain.returncode == 1
    [line] = plain.stderr.splitlines()
    assert "got '***'" in line
    debug = claims(["--debug", "status", "X"], **env)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "got '***'" in debug.stderr
    for result in (plain, debug):
        assert secret not in result.stdout + result.stderr
        assert "unit-test-key-0123456789" not in result.stdout + result.stderr
        assert "t" * 20 not in result.stdout + result.stderr
