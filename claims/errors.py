"""One line per failure for every `claims` command: what failed, where, what to do; the exit code.

`claims` catches infrastructure and input errors at the edge (claims/cli.py `main`) and prints
exactly one line on stderr: exit 1 when Kafka or PostgreSQL failed, 2 for bad usage, configuration
or input. `claims --debug COMMAND` (or LOG_LEVEL=DEBUG) shows the traceback instead. Libraries'
own log lines (kafka-python, aiokafka, asyncpg) are kept off stderr for the one-shot commands so
that the line stays alone; the worker logs as configured (streams/ops/logs.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from services.config import DEFAULT_DATABASE_URL, DEFAULT_KAFKA, ConfigError
from services.errors import MissingPrivilege, SchemaBehind, ServiceError
from services.redaction import Redactor, dsn_location, redactor

# The exit codes of every `claims` command (the one list; each command's --help repeats it).
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # Kafka or PostgreSQL failed (one line says which and where)
EXIT_USAGE: Final = 2  # bad usage, configuration or input file
EXIT_CONFIG: Final = EXIT_USAGE
EXIT_NOT_FOUND: Final = 3  # no such id (`status`, `dead-letters show|replay`) or NPP (`employer`)
EXIT_REJECTED: Final = 4  # `import`: some rows rejected, every valid row published
EXIT_CODES: Final = (
    "exit codes: 0 ok; 1 Kafka or PostgreSQL failed (one line says which and where);"
    " 2 bad usage, configuration or input file; 3 not found (status, employer); 4 some rows"
    " rejected (import). `claims --debug COMMAND` or LOG_LEVEL=DEBUG shows the traceback of a"
    " failure."
)
DEBUG_FLAG: Final = "--debug"
# Loggers of the client libraries: their connection retries would otherwise reach stderr through
# logging's last-resort handler, around the one line that says what failed.
CLIENT_LOGGERS: Final = ("kafka", "aiokafka", "asyncpg")


class InputError(Exception):
    """A file, value or option given to a command is unusable; the message names it (exit 2)."""


@dataclass(frozen=True)
class Failure:
    """What `claims` prints (one line) and the exit code it returns."""

    message: str
    code: int


def split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """`--debug` anywhere on the command line (before or after the command), removed."""
    rest = [a for a in argv if a != DEBUG_FLAG]
    return rest, len(rest) != len(argv)


def debug_wanted(flag: bool, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return flag or env.get("LOG_LEVEL", "").strip().upper() == "DEBUG"


def quiet_clients() -> None:
    """Keep the client libraries' retry logs off stderr (one-shot commands only)."""
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def unquiet_clients() -> None:
    """Give the client libraries their log lines back (the worker, once its checks passed)."""
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def kafka_where(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip() or DEFAULT_KAFKA


def postgres_where(environ: Mapping[str, str] | None = None, variable: str = "DATABASE_URL") -> str:
    """host:port/database of `variable` (DATABASE_URL or a role's own, falling back to
    DATABASE_URL), never its user or password."""
    env = os.environ if environ is None else environ
    raw = env.get(variable, "").strip() or env.get("DATABASE_URL", "").strip()
    return dsn_location(raw or DEFAULT_DATABASE_URL)


def _kafka_errors() -> tuple[type[BaseException], ...]:
    from aiokafka.errors import KafkaError as AioKafkaError
    from kafka.errors import KafkaError

    from streams.kafka.admin import KafkaUnavailable

    return (KafkaError, AioKafkaError, KafkaUnavailable)


def explain(
    command: str, error: BaseException, environ: Mapping[str, str] | None = None
) -> Failure:
    """The one line for `error` raised by `claims COMMAND`, and its exit code; every configured
    secret redacted from it (a driver's message may quote a DSN)."""
    failure = _explain(command, error, environ)
    return Failure(redactor(environ=environ)(failure.message), failure.code)


def _explain(command: str, error: BaseException, environ: Mapping[str, str] | None) -> Failure:
    prefix = f"claims {command}"
    if isinstance(error, ConfigError):
        return Failure(f"{prefix}: configuration error: {error}", EXIT_USAGE)
    if isinstance(error, InputError):
        return Failure(f"{prefix}: {error}", EXIT_USAGE)
    if isinstance(error, MissingPrivilege):  # a role pointed at the wrong command, or no grants
        where = postgres_where(environ, error.variable or "DATABASE_URL")
        return Failure(f"{prefix}: PostgreSQL at {where} refused: {error}", EXIT_CONFIG)
    if isinstance(error, SchemaBehind):
        where = postgres_where(environ, error.variable or "DATABASE_URL")
        return Failure(f"{prefix}: PostgreSQL at {where}: {error}", EXIT_FAILED)
    if isinstance(error, ServiceError):  # services' root error: the store translates asyncpg's
        variable = error.variable or "DATABASE_URL"
        where = postgres_where(environ, variable)
        return Failure(
            f"{prefix}: PostgreSQL at {where} failed: {error}; check that it is running and"
            f" reachable (make up starts the local one) or set {variable}",
            EXIT_FAILED,
        )
    if isinstance(error, _kafka_errors()):
        where = kafka_where(environ)
        return Failure(
            f"{prefix}: Kafka at {where} failed: {_named(error)}; check that it"
            " is running and reachable (make up starts the local one) or set"
            " KAFKA_BOOTSTRAP_SERVERS",
            EXIT_FAILED,
        )
    if isinstance(error, OSError) and error.filename is not None:
        return Failure(f"{prefix}: {error.filename}: {error.strerror or error}", EXIT_USAGE)
    return Failure(
        f"{prefix} failed: {_named(error)} (run `claims --debug {command} ...` for the traceback)",
        EXIT_FAILED,
    )


def _named(error: BaseException) -> str:
    """`Class: message`, once (kafka-python's messages already start with their class)."""
    name, text = type(error).__name__, " ".join(str(error).split())
    return text if text.startswith(name) else f"{name}: {text}" if text else name


class RedactingStream:
    """A text stream (stderr) that redacts every configured secret from what is written to it:
    whatever a command or a library prints there, a traceback included."""

    def __init__(self, stream: IO[str], redact: Redactor) -> None:
        self._stream, self._redact = stream, redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def writelines(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ...
        return getattr(self._stream, name)
