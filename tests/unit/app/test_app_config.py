"""Configuration is read once from the environment: cast, defaulted, validated, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_KAFKA,
    ENV_VARS,
    ROLE_VARS,
    ROLES,
    ConfigError,
    Secret,
    Settings,
    load_settings,
)

KEY = "a-local-test-key-0123456789"
PASSWORD = "s3cr3t-db-password"


def load(**env: str) -> Settings:
    return load_settings({"NIK_HASH_KEY": KEY, **env})


def test_only_the_hash_key_is_needed_and_everything_else_has_a_safe_default() -> None:
    settings = load()
    assert settings == Settings(nik_hash_key=Secret(KEY))
    assert settings.kafka_bootstrap_servers == DEFAULT_KAFKA
    assert settings.dsn == DEFAULT_DATABASE_URL
    assert (settings.topic_partitions, settings.topic_replication) == (8, 1)
    assert (settings.table_store, settings.log_level, settings.log_format) == (
        "memory://",
        "INFO",
        "text",
    )
    assert settings.rules_overrides_file is None


def test_every_settings_field_has_exactly_one_environment_variable() -> None:
    assert set(ENV_VARS) == set(Settings.__dataclass_fields__)
    assert len(set(ENV_VARS.values())) == len(ENV_VARS)


def test_every_variable_is_cast_to_its_field_type() -> None:
    settings = load(
        KAFKA_BOOTSTRAP_SERVERS="kafka-1:9092,kafka-2:9092",
        DATABASE_URL=f"postgres://claims:{PASSWORD}@db:5432/claims",
        CLAIMS_APP_ID="claims-test",
        TOPIC_PARTITIONS="12",
        TOPIC_REPLICATION="3",
        TOPIC_PREFIX="test-run-1.",
        TABLE_STORE="rocksdb://",
        CLAIMS_DATA_DIR="/var/lib/claims",
        WEB_PORT="7000",
        WEB_HOST="0.0.0.0",
        BATCH_SIZE="250",
        OUTBOX_INTERVAL_SECONDS="2",
        DB_POOL_SIZE="10",
        RULES_OVERRIDES_FILE="/etc/claims/rules.json",
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
    )
    assert settings == Settings(
        kafka_bootstrap_servers="kafka-1:9092,kafka-2:9092",
        database_url=Secret(f"postgres://claims:{PASSWORD}@db:5432/claims"),
        nik_hash_key=Secret(KEY),
        app_id="claims-test",
        topic_partitions=12,
        topic_replication=3,
        topic_prefix="test-run-1.",
        table_store="rocksdb://",
        data_dir=Path("/var/lib/claims"),
        web_port=7000,
        web_host="0.0.0.0",
        batch_size=250,
        outbox_interval_s=2.0,
        db_pool_size=10,
        rules_overrides_file=Path("/etc/claims/rules.json"),
        log_level="DEBUG",
        log_format="json",
    )
    assert type(settings.topic_partitions) is int
    assert type(settings.outbox_interval_s) is float


def test_values_are_stripped_of_surrounding_blanks() -> None:
    assert load(TOPIC_PARTITIONS=" 4 ", LOG_FORMAT="json\n").topic_partitions == 4


def test_an_empty_variable_counts_as_unset() -> None:
    assert load(TOPIC_PARTITIONS="", LOG_FORMAT="").topic_partitions == 8


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("TOPIC_PARTITIONS", "abc"),
        ("TOPIC_PARTITIONS", "0"),
        ("TOPIC_REPLICATION", "-1"),
        ("WEB_PORT", "80.5"),
        ("BATCH_SIZE", "many"),
        ("DB_POOL_SIZE", "0"),
        ("OUTBOX_INTERVAL_SECONDS", "soon"),
        ("OUTBOX_INTERVAL_SECONDS", "0"),
        ("OUTBOX_INTERVAL_SECONDS", "-0.2"),
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "verbose"),
        ("TABLE_STORE", "redis://"),
    ],
)
def test_a_malformed_variable_is_refused_with_its_name_and_value(var: str, raw: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**{var: raw})
    assert f"{var}={raw!r}" in str(error.value)


def test_a_bad_choice_lists_the_accepted_values() -> None:
    with pytest.raises(ConfigError, match=r"LOG_FORMAT='xml': expected one of text, json"):
        load(LOG_FORMAT="xml")


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf"])
def test_a_duration_that_is_not_a_finite_number_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match=f"OUTBOX_INTERVAL_SECONDS={raw!r}"):
        load(OUTBOX_INTERVAL_SECONDS=raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_the_batch_debug_switch_is_read_as_a_boolean(raw: str, expected: bool) -> None:
    assert load(DEBUG_BATCHES=raw).debug_batches is expected


def test_the_batch_debug_switch_is_off_by_default() -> None:
    assert load().debug_batches is False


@pytest.mark.parametrize("raw", ["2", "enabled", "y"])
def test_a_batch_debug_switch_that_is_not_a_boolean_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ConfigError, match=f"DEBUG_BATCHES={raw!r}: expected one of 1, true,"):
        load(DEBUG_BATCHES=raw)


def test_the_crash_switch_is_read_once_into_settings() -> None:
    assert load().crash_at == ""
    assert load(CLAIMS_CRASH_AT="participant-events:after-commit:3").crash_at == (
        "participant-events:after-commit:3"
    )


@pytest.mark.parametrize("raw", ["participant-events", "x:during-commit:1", "x:after-commit:n"])
def test_a_malformed_crash_switch_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ConfigError, match=f"CLAIMS_CRASH_AT={raw!r}: expected <consumer>:"):
        load(CLAIMS_CRASH_AT=raw)


def test_no_topic_prefix_by_default() -> None:
    assert load().topic_prefix == ""


@pytest.mark.parametrize("env", [{}, {"NIK_HASH_KEY": ""}, {"NIK_HASH_KEY": "too-short"}])
def test_a_missing_or_short_hash_key_is_refused_by_name(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="NIK_HASH_KEY") as error:
        load_settings(env)
    assert "too-short" not in str(error.value)


def test_a_hash_key_of_exactly_sixteen_characters_is_enough() -> None:
    assert load_settings({"NIK_HASH_KEY": "x" * 16}).nik_hash_key == Secret("x" * 16)


@pytest.mark.parametrize(
    "url", [f"mysql://claims:{PASSWORD}@db/claims", f"claims:{PASSWORD}@db/claims"]
)
def test_a_database_url_that_is_not_postgresql_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL") as error:
        load(DATABASE_URL=url)
    assert PASSWORD not in str(error.value)


def test_secrets_never_show_in_the_repr_or_str_of_settings() -> None:
    settings = load(DATABASE_URL=f"postgresql://claims:{PASSWORD}@db/claims")
    for text in (repr(settings), str(settings), repr(settings.database_url), f"{settings}"):
        assert PASSWORD not in text
        assert KEY not in text
    assert str(settings.nik_hash_key) == "**********"
    assert settings.dsn == f"postgresql://claims:{PASSWORD}@db/claims"


def test_settings_are_frozen() -> None:
    settings = load()
    with pytest.raises(AttributeError):
        settings.topic_partitions = 1  # type: ignore[misc]


def test_the_process_environment_is_read_when_no_mapping_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NIK_HASH_KEY", KEY)
    monkeypatch.setenv("TOPIC_PARTITIONS", "3")
    assert load_settings().topic_partitions == 3


def test_the_dead_letter_keys_are_read_and_the_private_ones_masked() -> None:
    from services.config_secrets import private_keys
    from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, keygen

    _, other = keygen()
    settings = load(
        DEAD_LETTER_PUBLIC_KEY=DEMO_PUBLIC_KEY,
        DEAD_LETTER_PRIVATE_KEYS=f"{DEMO_PRIVATE_KEY}, {other}",
    )
    assert settings.dead_letter_public_key == DEMO_PUBLIC_KEY
    assert private_keys(settings) == [DEMO_PRIVATE_KEY, other]
    for text in (repr(settings), str(settings)):
        assert DEMO_PRIVATE_KEY not in text and other not in text


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("DEAD_LETTER_PUBLIC_KEY", "not-base64!"),
        ("DEAD_LETTER_PUBLIC_KEY", "c2hvcnQ="),
        ("DEAD_LETTER_PRIVATE_KEYS", "c2hvcnQ="),
    ],
)
def test_a_malformed_dead_letter_key_is_refused_by_name_without_its_value(
    var: str, raw: str
) -> None:
    with pytest.raises(ConfigError, match=var) as error:
        load(**{var: raw})
    assert raw not in str(error.value)


def test_the_worker_needs_the_public_key_but_other_commands_do_not() -> None:
    from services.config_secrets import require_dead_letter_public_key

    settings = load()
    assert settings.dead_letter_public_key == ""
    with pytest.raises(ConfigError, match="DEAD_LETTER_PUBLIC_KEY") as error:
        require_dead_letter_public_key(settings)
    assert "\n" not in str(error.value)


def test_tools_that_never_pseudonymise_may_run_without_the_hash_key() -> None:
    assert load_settings({}, require_hash_key=False).nik_hash_key == Secret("")


def test_a_worker_refuses_the_private_keys_that_open_dead_letters() -> None:
    from services.config_secrets import require_dead_letter_public_key
    from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY

    settings = load(
        DEAD_LETTER_PUBLIC_KEY=DEMO_PUBLIC_KEY, DEAD_LETTER_PRIVATE_KEYS=DEMO_PRIVATE_KEY
    )
    with pytest.raises(ConfigError, match="DEAD_LETTER_PRIVATE_KEYS must not be set") as error:
        require_dead_letter_public_key(settings)
    assert DEMO_PRIVATE_KEY not in str(error.value)
    assert require_dead_letter_public_key(load(DEAD_LETTER_PUBLIC_KEY=DEMO_PUBLIC_KEY)) == (
        DEMO_PUBLIC_KEY
    )


# -- the PostgreSQL roles' DSNs (README: PostgreSQL roles) ------------------------------------

ROLE_URLS = {
    "worker": ("WORKER_DATABASE_URL", f"postgresql://claims_worker:{PASSWORD}-w@db/claims"),
    "reader": ("READER_DATABASE_URL", f"postgresql://claims_reader:{PASSWORD}-r@db/claims"),
    "importer": ("IMPORT_DATABASE_URL", f"postgresql://claims_importer:{PASSWORD}-i@db/claims"),
}


def test_each_role_falls_back_to_database_url_when_its_variable_is_unset() -> None:
    owner = f"postgresql://claims:{PASSWORD}@db/claims"
    settings = load(DATABASE_URL=owner)
    for role in ROLES:
        assert settings.dsn_for(role) == owner
        assert settings.dsn_variable(role) == "DATABASE_URL"
        assert settings.has_own_dsn(role) is (role == "owner")


def test_an_empty_role_variable_counts_as_unset() -> None:
    settings = load(WORKER_DATABASE_URL="", READER_DATABASE_URL="")
    assert settings.dsn_for("worker") == settings.dsn_for("reader") == DEFAULT_DATABASE_URL
    assert not settings.has_own_dsn("worker")


def test_each_role_connects_with_its_own_variable_when_set() -> None:
    settings = load(**{var: url for var, url in ROLE_URLS.values()})
    assert settings.dsn_for("owner") == DEFAULT_DATABASE_URL
    for role, (var, url) in ROLE_URLS.items():
        assert settings.dsn_for(role) == url
        assert settings.dsn_variable(role) == var
        assert settings.has_own_dsn(role)
    assert {"owner": "DATABASE_URL", **{r: v for r, (v, _) in ROLE_URLS.items()}} == ROLE_VARS
    assert set(ROLE_VARS.values()) <= set(ENV_VARS.values())


def test_one_role_set_leaves_the_others_on_database_url() -> None:
    settings = load(READER_DATABASE_URL=ROLE_URLS["reader"][1])
    assert settings.dsn_for("reader") == ROLE_URLS["reader"][1]
    assert settings.dsn_for("worker") == settings.dsn_for("importer") == DEFAULT_DATABASE_URL


@pytest.mark.parametrize("var", [v for v, _ in ROLE_URLS.values()])
def test_a_role_url_that_is_not_postgresql_is_refused_by_name_without_showing_it(
    var: str,
) -> None:
    with pytest.raises(ConfigError, match=f"^{var} must be a postgresql:// URL$") as error:
        load(**{var: f"mysql://someone:{PASSWORD}@db/claims"})
    assert PASSWORD not in str(error.value)


def test_role_urls_never_show_in_the_repr_of_settings() -> None:
    settings = load(**{var: url for var, url in ROLE_URLS.values()})
    for text in (repr(settings), str(settings), f"{settings}"):
        assert PASSWORD not in text
    assert repr(settings.worker_database_url) == "Secret('**********')"


def test_an_unknown_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown PostgreSQL role 'admin'"):
        load().dsn_for("admin")


def test_kafka_is_plaintext_by_default_and_sasl_ssl_on_request(tmp_path: Path) -> None:
    assert load().kafka_security_protocol == "PLAINTEXT"
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = load(
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_USERNAME="claims-worker",
        KAFKA_SASL_PASSWORD="sasl-s3cr3t",
        KAFKA_SSL_CAFILE=str(ca),
    )
    assert (settings.kafka_security_protocol, settings.kafka_sasl_mechanism) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
    )
    assert settings.kafka_sasl_username == "claims-worker"
    assert settings.kafka_sasl_password.value == "sasl-s3cr3t"
    assert settings.kafka_ssl_cafile == ca
    for text in (repr(settings), str(settings)):
        assert "sasl-s3cr3t" not in text


def test_sasl_ssl_without_a_user_or_password_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        load(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_USERNAME="claims-worker")


def test_an_unknown_security_protocol_or_missing_ca_file_is_refused_by_name(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="KAFKA_SECURITY_PROTOCOL='SSL'"):
        load(KAFKA_SECURITY_PROTOCOL="SSL")
    with pytest.raises(ConfigError, match="KAFKA_SSL_CAFILE") as refused:
        load(
            KAFKA_SECURITY_PROTOCOL="SASL_SSL",
            KAFKA_SASL_USERNAME="u",
            KAFKA_SASL_PASSWORD="never-shown",
            KAFKA_SSL_CAFILE=str(tmp_path / "missing.pem"),
        )
    assert "never-shown" not in str(refused.value)


TOKEN = "a-bearer-token-0123456789"


def test_the_web_tokens_are_read_as_secrets_and_unset_by_default() -> None:
    assert (load().status_token, load().metrics_token) == (Secret(""), Secret(""))
    settings = load(STATUS_TOKEN=TOKEN, METRICS_TOKEN=TOKEN[::-1])
    assert (settings.status_token.value, settings.metrics_token.value) == (TOKEN, TOKEN[::-1])
    assert TOKEN not in repr(settings) and TOKEN[::-1] not in repr(settings)


@pytest.mark.parametrize("var", ["STATUS_TOKEN", "METRICS_TOKEN"])
@pytest.mark.parametrize("raw", ["short-token", "a token with blanks in it", "tøken-0123456789abc"])
def test_a_weak_or_malformed_token_is_refused_by_name_without_its_value(var: str, raw: str) -> None:
    with pytest.raises(
        ConfigError, match=rf"^{var}=<{len(raw)} characters>: must be a bearer"
    ) as e:
        load(**{var: raw})
    assert raw not in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.53", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_on_loopback_the_worker_needs_no_status_token(host: str) -> None:
    from services.config_secrets import is_loopback, require_status_token

    assert is_loopback(host)
    require_status_token(load(WEB_HOST=host))  # does not raise


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "worker", "claims.example"]
)
def test_beyond_loopback_the_worker_needs_a_status_token(host: str) -> None:
    from services.config_secrets import is_loopback, require_status_token

    assert not is_loopback(host)
    with pytest.raises(ConfigError) as error:
        require_status_token(load(WEB_HOST=host))
    message = str(error.value)
    assert message.startswith(f"STATUS_TOKEN must be set when WEB_HOST={host!r} is beyond loopback")
    assert "\n" not in message
    require_status_token(load(WEB_HOST=host, STATUS_TOKEN=TOKEN))  # does not raise
