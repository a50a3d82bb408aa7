"""Configuration is read once from the environment: cast, defaulted, validated, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_KAFKA,
    ENV_VARS,
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
    from services.config import private_keys
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
    from services.config import require_dead_letter_public_key

    settings = load()
    assert settings.dead_letter_public_key == ""
    with pytest.raises(ConfigError, match="DEAD_LETTER_PUBLIC_KEY") as error:
        require_dead_letter_public_key(settings)
    assert "\n" not in str(error.value)


def test_tools_that_never_pseudonymise_may_run_without_the_hash_key() -> None:
    assert load_settings({}, require_hash_key=False).nik_hash_key == Secret("")


def test_a_worker_refuses_the_private_keys_that_open_dead_letters() -> None:
    from services.config import require_dead_letter_public_key
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
