"""Service configuration: read once from the environment, typed, validated, secrets masked."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final

from services.privacy import LEGACY_KEY_ID

DEFAULT_KAFKA: Final = "127.0.0.1:19092"
DEFAULT_DATABASE_URL: Final = "postgresql://claims:claims@127.0.0.1:55432/claims"

# Who connects to PostgreSQL, and with which variable (README "PostgreSQL roles"). The owner runs
# the migrations; each other role has its own DSN and falls back to DATABASE_URL when that is
# unset, so a one-role setup keeps working (with the owner's powers everywhere).
ROLES: Final = ("owner", "worker", "reader", "importer")
ROLE_VARS: Final[Mapping[str, str]] = {
    "owner": "DATABASE_URL",
    "worker": "WORKER_DATABASE_URL",
    "reader": "READER_DATABASE_URL",
    "importer": "IMPORT_DATABASE_URL",
}


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
    # PLAINTEXT (loopback, the default of make run and make test) or SASL_SSL: SCRAM over TLS,
    # as the secured local stack (SECURE=1) and any shared cluster require.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: Secret = Secret("")
    # PEM file of the CA that signed the brokers' certificates; unset: the system's CAs.
    kafka_ssl_cafile: Path | None = None
    database_url: Secret = Secret(DEFAULT_DATABASE_URL)
    # The restricted roles' DSNs; None (unset) means DATABASE_URL's (see dsn_for).
    worker_database_url: Secret | None = None
    reader_database_url: Secret | None = None
    import_database_url: Secret | None = None
    nik_hash_key: Secret = Secret("")
    # Key rotation (services/privacy.py Keyring): the id of NIK_HASH_KEY, which every new
    # pseudonym carries (`v2:<hex>`; `v1`, the first key, writes none), and the previous keys as
    # `<id>:<key>,...`, which only recognise (and re-key on sight) what they made.
    nik_hash_key_id: str = LEGACY_KEY_ID
    nik_hash_previous_keys: Secret = Secret("")
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
    # Bearer tokens of the worker's web server (streams/ops/access.py). STATUS_TOKEN guards every
    # path but /livez, /readyz and /metrics, and is required when WEB_HOST is not loopback;
    # METRICS_TOKEN guards /metrics when set (Prometheus' `authorization:`), which is open without.
    status_token: Secret = Secret("")
    metrics_token: Secret = Secret("")
    batch_size: int = 1000
    batch_linger_s: float = 0.02  # seconds a batch may stay open after its first event
    outbox_interval_s: float = 0.2
    db_pool_size: int = 4
    # Participant states kept in each worker's cache (of those of its assigned partitions); a
    # state not held is read from PostgreSQL, one query per batch for all the missing ones.
    state_cache_size: int = 200_000
    # The JP payroll: the leader pays the current month (Jakarta) of every pension in payment
    # at start and then every PAYROLL_INTERVAL_SECONDS; a month already paid writes nothing.
    payroll_timer: bool = True
    payroll_interval_s: float = 3600.0
    # Static group membership (KIP-345): a restarted worker with the same id takes its partitions
    # back at once, without waiting for a rebalance; give each worker process its own stable id.
    instance_id: str | None = None
    # A dead or stalled worker loses its partitions after this long without a heartbeat.
    session_timeout_s: float = 10.0
    rules_overrides_file: Path | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    # Logs a line per batch (topic, size, events still queued): for diagnosing batching only.
    debug_batches: bool = False
    # Fault injection for the fault tier only (tests/faults/test_crashes.py):
    # "<consumer>:<before-commit|after-commit>:<n>" exits at that point of that agent's n-th batch.
    crash_at: str = ""

    @property
    def dsn(self) -> str:
        return self.database_url.value

    def _role_secret(self, role: str) -> Secret | None:
        if role not in ROLES:
            raise ValueError(f"unknown PostgreSQL role {role!r}: one of {', '.join(ROLES)}")
        return {
            "owner": self.database_url,
            "worker": self.worker_database_url,
            "reader": self.reader_database_url,
            "importer": self.import_database_url,
        }[role]

    def has_own_dsn(self, role: str) -> bool:
        """The role's own variable is set (the owner's always counts as set)."""
        return self._role_secret(role) is not None

    def dsn_for(self, role: str) -> str:
        """The DSN `role` connects with: its own variable, else DATABASE_URL."""
        secret = self._role_secret(role)
        return (secret or self.database_url).value

    def dsn_variable(self, role: str) -> str:
        """The variable whose value dsn_for(role) is (for messages)."""
        return ROLE_VARS[role] if self.has_own_dsn(role) else "DATABASE_URL"


ENV_VARS: Final[Mapping[str, str]] = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "kafka_security_protocol": "KAFKA_SECURITY_PROTOCOL",
    "kafka_sasl_mechanism": "KAFKA_SASL_MECHANISM",
    "kafka_sasl_username": "KAFKA_SASL_USERNAME",
    "kafka_sasl_password": "KAFKA_SASL_PASSWORD",
    "kafka_ssl_cafile": "KAFKA_SSL_CAFILE",
    "database_url": "DATABASE_URL",
    "worker_database_url": "WORKER_DATABASE_URL",
    "reader_database_url": "READER_DATABASE_URL",
    "import_database_url": "IMPORT_DATABASE_URL",
    "nik_hash_key": "NIK_HASH_KEY",
    "nik_hash_key_id": "NIK_HASH_KEY_ID",
    "nik_hash_previous_keys": "NIK_HASH_PREVIOUS_KEYS",
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
    "status_token": "STATUS_TOKEN",
    "metrics_token": "METRICS_TOKEN",
    "batch_size": "BATCH_SIZE",
    "batch_linger_s": "BATCH_LINGER_SECONDS",
    "outbox_interval_s": "OUTBOX_INTERVAL_SECONDS",
    "db_pool_size": "DB_POOL_SIZE",
    "payroll_timer": "PAYROLL_TIMER",
    "payroll_interval_s": "PAYROLL_INTERVAL_SECONDS",
    "state_cache_size": "STATE_CACHE_SIZE",
    "instance_id": "WORKER_INSTANCE_ID",
    "session_timeout_s": "SESSION_TIMEOUT_SECONDS",
    "rules_overrides_file": "RULES_OVERRIDES_FILE",
    "log_level": "LOG_LEVEL",
    "log_format": "LOG_FORMAT",
    "debug_batches": "DEBUG_BATCHES",
    "crash_at": "CLAIMS_CRASH_AT",
}

_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "kafka_security_protocol": ("PLAINTEXT", "SASL_SSL"),
    "kafka_sasl_mechanism": ("SCRAM-SHA-512", "SCRAM-SHA-256"),
    "table_store": ("memory://", "rocksdb://"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": ("text", "json"),
}

_BOOLEANS: Final[Mapping[str, bool]] = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
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
    if annotation == "bool":
        if raw.lower() not in _BOOLEANS:
            raise ConfigError(f"{var}={raw!r}: expected one of {', '.join(_BOOLEANS)}")
        return _BOOLEANS[raw.lower()]
    if annotation in ("Secret", "Secret | None"):
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
    # Imported here: services.config_secrets builds on this module (Settings, ConfigError).
    from services.config_secrets import check_dead_letter_keys, check_tokens, nik_keyring

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
    if require_hash_key:
        nik_keyring(settings)  # the key id and the previous keys are well formed
    if not 6 <= settings.session_timeout_s <= 300:
        # The broker's group.min/max.session.timeout.ms defaults: outside them it refuses the join.
        raise ConfigError(
            f"SESSION_TIMEOUT_SECONDS={settings.session_timeout_s:g}: must be 6 to 300 seconds"
        )
    for role in ROLES:
        if settings.has_own_dsn(role) and not settings.dsn_for(role).startswith(
            ("postgresql://", "postgres://")
        ):
            # Never the value: it may hold a password.
            raise ConfigError(f"{ROLE_VARS[role]} must be a postgresql:// URL")
    _check_kafka_security(settings)
    check_dead_letter_keys(settings)
    check_tokens(settings)
    if settings.crash_at and crash_point(settings.crash_at) is None:
        raise ConfigError(
            f"CLAIMS_CRASH_AT={settings.crash_at!r}: expected"
            " <consumer>:<before-commit|after-commit>:<n> (fault injection; leave unset)"
        )
    return settings


def _check_kafka_security(settings: Settings) -> None:
    if settings.kafka_security_protocol == "PLAINTEXT":
        return
    if not settings.kafka_sasl_username or not settings.kafka_sasl_password.value:
        raise ConfigError(
            f"KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs KAFKA_SASL_USERNAME"
            " and KAFKA_SASL_PASSWORD (the SCRAM user of this component)"
        )
    cafile = settings.kafka_ssl_cafile
    if cafile is not None and not cafile.is_file():
        raise ConfigError(f"KAFKA_SSL_CAFILE={str(cafile)!r}: no such file (the brokers' CA, PEM)")


def crash_point(crash_at: str) -> tuple[str, str, int] | None:
    """CLAIMS_CRASH_AT as (consumer, point, n), or None if it is not of that form."""
    name, _, rest = crash_at.partition(":")
    point, _, n = rest.partition(":")
    if not name or point not in ("before-commit", "after-commit") or not n.isdigit():
        return None
    return name, point, int(n)
