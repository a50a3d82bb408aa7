"""Service configuration: read once from the environment, typed, validated, secrets masked."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final

DEFAULT_KAFKA: Final = "127.0.0.1:19092"
DEFAULT_DATABASE_URL: Final = "postgresql://claims:claims@127.0.0.1:55432/claims"


class ConfigError(ValueError):
    """A configuration variable is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Secret:
    """A value that never shows in repr, logs or tracebacks."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"


@dataclass(frozen=True)
class Settings:
    """Every variable the service reads. The README's configuration table documents each one."""

    kafka_bootstrap_servers: str = DEFAULT_KAFKA
    database_url: Secret = Secret(DEFAULT_DATABASE_URL)
    nik_hash_key: Secret = Secret("")
    # Seals every dead letter (base64 of a raw X25519 public key); not secret, but required by
    # the worker. The private keys belong to the inspect/replay tool only.
    dead_letter_public_key: str = ""
    dead_letter_private_keys: Secret = Secret("")
    app_id: str = "bpjs-claims"
    topic_partitions: int = 8
    topic_replication: int = 1
    topic_prefix: str = ""
    table_store: str = "memory://"
    data_dir: Path = Path(".local/faust")
    web_port: int = 6066
    web_host: str = "127.0.0.1"
    batch_size: int = 1000
    batch_linger_s: float = 0.02  # seconds a batch may stay open after its first event
    outbox_interval_s: float = 0.2
    db_pool_size: int = 4
    # Participant states kept in each worker's cache (of those of its assigned partitions); a
    # state not held is read from PostgreSQL, one query per batch for all the missing ones.
    state_cache_size: int = 200_000
    # Static group membership (KIP-345): a restarted worker with the same id takes its partitions
    # back at once, without waiting for a rebalance; give each worker process its own stable id.
    instance_id: str | None = None
    # A dead or stalled worker loses its partitions after this long without a heartbeat.
    session_timeout_s: float = 10.0
    rules_overrides_file: Path | None = None
    log_level: str = "INFO"
    log_format: str = "text"

    @property
    def dsn(self) -> str:
        return self.database_url.value


ENV_VARS: Final[Mapping[str, str]] = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "database_url": "DATABASE_URL",
    "nik_hash_key": "NIK_HASH_KEY",
    "dead_letter_public_key": "DEAD_LETTER_PUBLIC_KEY",
    "dead_letter_private_keys": "DEAD_LETTER_PRIVATE_KEYS",
    "app_id": "CLAIMS_APP_ID",
    "topic_partitions": "TOPIC_PARTITIONS",
    "topic_replication": "TOPIC_REPLICATION",
    "topic_prefix": "TOPIC_PREFIX",
    "table_store": "TABLE_STORE",
    "data_dir": "CLAIMS_DATA_DIR",
    "web_port": "WEB_PORT",
    "web_host": "WEB_HOST",
    "batch_size": "BATCH_SIZE",
    "batch_linger_s": "BATCH_LINGER_SECONDS",
    "outbox_interval_s": "OUTBOX_INTERVAL_SECONDS",
    "db_pool_size": "DB_POOL_SIZE",
    "state_cache_size": "STATE_CACHE_SIZE",
    "instance_id": "WORKER_INSTANCE_ID",
    "session_timeout_s": "SESSION_TIMEOUT_SECONDS",
    "rules_overrides_file": "RULES_OVERRIDES_FILE",
    "log_level": "LOG_LEVEL",
    "log_format": "LOG_FORMAT",
}

_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "table_store": ("memory://", "rocksdb://"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": ("text", "json"),
}

MIN_KEY_LENGTH: Final = 16


def _cast(name: str, var: str, raw: str, annotation: str) -> object:
    try:
        if annotation == "int":
            value: object = int(raw)
            if int(raw) <= 0:
                raise ValueError("must be a positive whole number")
            return value
        if annotation == "float":
            number = float(raw)
            if not math.isfinite(number) or number <= 0:
                raise ValueError("must be a positive number of seconds")
            return number
    except ValueError as e:
        raise ConfigError(f"{var}={raw!r}: {e}") from e
    if annotation == "Secret":
        return Secret(raw)
    if annotation in ("Path", "Path | None"):
        return Path(raw)
    if name in _CHOICES and raw not in _CHOICES[name]:
        raise ConfigError(f"{var}={raw!r}: expected one of {', '.join(_CHOICES[name])}")
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, *, require_hash_key: bool = True
) -> Settings:
    """Build Settings from the environment; every error names the variable at fault.

    `require_hash_key=False` is for tools that never pseudonymise (`claims dead-letters list`,
    `show`, `replay`): an operator inspecting dead letters needs no NIK_HASH_KEY.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(Settings):
        var = ENV_VARS[f.name]
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        values[f.name] = _cast(f.name, var, raw.strip(), str(f.type))
    settings = Settings(**values)  # type: ignore[arg-type]  # values are cast per field above
    if require_hash_key and len(settings.nik_hash_key.value) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"NIK_HASH_KEY must be set to a secret of at least {MIN_KEY_LENGTH} characters: "
            "it keys the hash that pseudonymises every NIK (make run and the tests set a local one)"
        )
    if not 6 <= settings.session_timeout_s <= 300:
        # The broker's group.min/max.session.timeout.ms defaults: outside them it refuses the join.
        raise ConfigError(
            f"SESSION_TIMEOUT_SECONDS={settings.session_timeout_s:g}: must be 6 to 300 seconds"
        )
    if not settings.dsn.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL must be a postgresql:// URL")
    _check_dead_letter_keys(settings)
    return settings


def _check_dead_letter_keys(settings: Settings) -> None:
    # Imported here: services.sealing loads `cryptography`, which the rest of config never needs.
    from services.sealing import decode_key

    if settings.dead_letter_public_key:
        try:
            decode_key(settings.dead_letter_public_key, "DEAD_LETTER_PUBLIC_KEY")
        except ValueError as e:
            raise ConfigError(f"{e} (`claims dead-letters keygen` makes a key pair)") from None
    for i, raw in enumerate(private_keys(settings), start=1):
        try:
            decode_key(raw, f"DEAD_LETTER_PRIVATE_KEYS key #{i}")
        except ValueError as e:
            raise ConfigError(str(e)) from None


def private_keys(settings: Settings) -> list[str]:
    """DEAD_LETTER_PRIVATE_KEYS split on commas (several keys: rotation)."""
    return [k.strip() for k in settings.dead_letter_private_keys.value.split(",") if k.strip()]


def require_dead_letter_public_key(settings: Settings) -> str:
    """The worker refuses to start without the key that seals dead letters, and with the keys
    that open them: a worker must be able to seal a NIK but never to read one back."""
    if settings.dead_letter_private_keys.value:
        raise ConfigError(
            "DEAD_LETTER_PRIVATE_KEYS must not be set for a worker: only `claims dead-letters"
            " show/replay` may hold the keys that open dead letters"
        )
    if not settings.dead_letter_public_key:
        raise ConfigError(
            "DEAD_LETTER_PUBLIC_KEY must be set to the base64 X25519 public key that seals dead"
            " letters (`claims dead-letters keygen` makes a pair; make run and the tests set a"
            " local one)"
        )
    return settings.dead_letter_public_key
