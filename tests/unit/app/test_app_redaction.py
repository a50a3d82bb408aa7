"""Secrets never leak: DSNs without passwords, every configured secret redacted from log
records, one-line failures and stderr (services/redaction.py, the last line of defence)."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from claims.errors import RedactingStream, explain, postgres_where
from services.config import load_settings
from services.errors import ServiceError
from services.redaction import MASK, Redactor, dsn_location, mask_dsn, redactor, secret_values
from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, keygen
from streams.ops.logs import JsonFormatter, RedactSecrets, configure_logging

PASSWORD = "pg-Passw0rd-for-the-leak-test"
DSN = f"postgresql://svc:{PASSWORD}@db.example:6543/claims?search_path=t1"
HASH_KEY = "nik-hash-key-for-the-leak-test"
STATUS = "status-token-for-the-leak-test"
METRICS = "metrics-token-for-the-leak-test"
SASL = "sasl-password-for-the-leak-test"
ENV = {
    "DATABASE_URL": DSN,
    "NIK_HASH_KEY": HASH_KEY,
    "DEAD_LETTER_PRIVATE_KEYS": f"{DEMO_PRIVATE_KEY},{keygen()[1]}",
    "STATUS_TOKEN": STATUS,
    "METRICS_TOKEN": METRICS,
    "KAFKA_SASL_PASSWORD": SASL,  # not read yet (issue #16 item 2): named like a secret
}
SECRETS = (PASSWORD, HASH_KEY, DEMO_PRIVATE_KEY, STATUS, METRICS, SASL)


def leaks(text: str) -> list[str]:
    return [s for s in (*SECRETS, *ENV["DEAD_LETTER_PRIVATE_KEYS"].split(",")) if s in text]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (DSN, "postgresql://svc:***@db.example:6543/claims?search_path=t1"),
        ("postgresql://svc:p@ss:w@rd@db/claims", "postgresql://svc:***@db/claims"),
        ("postgresql://svc@db/claims?password=pw&sslmode=require",
         "postgresql://svc@db/claims?password=***&sslmode=require"),
        ("postgresql://db/claims?sslpassword=pw", "postgresql://db/claims?sslpassword=***"),
        ("postgresql://svc@db/claims", "postgresql://svc@db/claims"),
        ("postgresql://svc:pw@[bad/claims", "<31 characters, not a URL>"),
    ],
)  # fmt: skip
def test_a_dsn_is_shown_without_its_password(url: str, shown: str) -> None:
    assert mask_dsn(url) == shown


def test_a_database_is_located_by_host_port_and_name_only() -> None:
    assert dsn_location(DSN) == "db.example:6543/claims"
    assert dsn_location("postgresql://u:pw@[bad/claims") == "<DATABASE_URL not a valid URL>"
    assert postgres_where({"DATABASE_URL": "postgresql://u:x@db:notaport/c"}) == (
        "<DATABASE_URL not a valid URL>"
    )


def test_every_secret_field_and_every_variable_named_like_a_secret_is_collected() -> None:
    settings = load_settings(ENV)
    values = secret_values(settings, {"KAFKA_SASL_PASSWORD": SASL, "PGPASSWORD": "pg-env-pw-1"})
    assert {DSN, HASH_KEY, STATUS, METRICS, SASL, "pg-env-pw-1"} <= set(values)
    assert ENV["DEAD_LETTER_PRIVATE_KEYS"] in values
    public = secret_values(None, {"DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY, "WEB_HOST": "x"})
    assert public == []  # a public key and plain settings are not secrets


def test_the_redactor_replaces_each_secret_and_shows_a_dsn_masked() -> None:
    redact = redactor(load_settings(ENV), {})
    text = (
        f"connect {DSN} failed (password {PASSWORD}, url-encoded too), key {HASH_KEY},"
        f" tokens {STATUS} {METRICS}, opening key {DEMO_PRIVATE_KEY}"
    )
    clean = redact(text)
    assert leaks(clean) == []
    assert "postgresql://svc:***@db.example:6543/claims?search_path=t1" in clean
    assert f"password {MASK}" in clean
    assert leaks(repr(redact)) == []


def test_a_url_encoded_password_is_redacted_as_written_and_decoded() -> None:
    redact = Redactor.of(["postgresql://svc:p%40ss-w0rd-long@db/claims"])
    assert redact("p%40ss-w0rd-long / p@ss-w0rd-long") == f"{MASK} / {MASK}"


def test_a_short_value_is_not_redacted_alone_but_masked_inside_its_url() -> None:
    redact = Redactor.of(["postgresql://claims:claims@127.0.0.1:55432/claims", "short"])
    line = "claims run: postgresql://claims:claims@127.0.0.1:55432/claims short"
    assert redact(line) == "claims run: postgresql://claims:***@127.0.0.1:55432/claims short"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_log_record_is_redacted_message_traceback_and_fields(
    fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in ENV.items():  # the worker's environment (KAFKA_SASL_PASSWORD: only there)
        monkeypatch.setenv(var, value)
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging(load_settings({**ENV, "LOG_FORMAT": fmt}))
        log = logging.getLogger("mode.worker")  # a library's logger, not ours
        log.warning("auth with %s to %s", SASL, DSN)
        try:
            raise RuntimeError(f"keyed by {HASH_KEY}, token {STATUS}")
        except RuntimeError:
            log.exception("failed", extra={"claim_id": METRICS})
        log.warning("stack", stack_info=True, extra={"topic": PASSWORD})
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "RuntimeError: keyed by ***, token ***" in err
    assert "auth with *** to postgresql://svc:***@db.example" in err
    assert leaks(err) == []
    if fmt == "json":
        assert all(json.loads(line) for line in err.splitlines())


def test_the_filter_redacts_what_the_json_formatter_prints() -> None:
    try:
        raise ValueError(PASSWORD)
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", (STATUS,), exc_info)
    RedactSecrets(redactor(load_settings(ENV), {})).filter(record)
    assert leaks(JsonFormatter().format(record)) == []
    assert leaks(logging.Formatter().format(record)) == []


def test_a_one_line_failure_never_shows_a_secret() -> None:
    for error in (
        ServiceError(f"connect to {DSN} refused"),
        RuntimeError(f"SASL authentication failed for password {SASL}"),
        ValueError(f"bad key {HASH_KEY}"),
    ):
        line = explain("status", error, ENV).message
        assert leaks(line) == [], line
    assert "db.example:6543/claims" in explain("status", ServiceError("x"), ENV).message


def test_stderr_is_redacted_whatever_writes_to_it() -> None:
    out = io.StringIO()
    stream = RedactingStream(out, redactor(None, ENV))
    print(f"{HASH_KEY} and {DSN}", file=stream)  # type: ignore[arg-type]  # a text stream
    stream.writelines([STATUS, "\n"])
    stream.flush()
    assert leaks(out.getvalue()) == []
    assert out.getvalue().count(MASK) == 3
