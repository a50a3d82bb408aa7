"""What every `claims` command shares: its settings, its warnings, its help text, argument types.

No command imports another; each imports this module and claims.errors (the exit codes).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from claims.errors import EXIT_CODES
from services.config import Settings, load_settings
from services.sealing import DEMO_PUBLIC_KEY

LOCAL_DEMO_KEY = "local-demo-key-not-for-production"
KAFKA_ENV = (
    "KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME,"
    " KAFKA_SASL_PASSWORD, KAFKA_SSL_CAFILE, TOPIC_PREFIX, TOPIC_PARTITIONS, TOPIC_REPLICATION,"
    " CLAIMS_APP_ID"
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")


def command_settings(local_default_key: bool = False) -> Settings:
    """Settings from the environment; with `local_default_key`, the local demo keys when unset."""
    env = dict(os.environ)
    if local_default_key and not env.get("NIK_HASH_KEY"):
        print(
            "NIK_HASH_KEY not set: using the local demo key (never in production)", file=sys.stderr
        )
        env["NIK_HASH_KEY"] = LOCAL_DEMO_KEY
    if local_default_key and not env.get("DEAD_LETTER_PUBLIC_KEY"):
        print("DEAD_LETTER_PUBLIC_KEY not set: using the local demo key pair", file=sys.stderr)
        env["DEAD_LETTER_PUBLIC_KEY"] = DEMO_PUBLIC_KEY  # its private key: DEMO_PRIVATE_KEY
    return load_settings(env)


def warner(command: str) -> Callable[[str], None]:
    """A warning printer for `claims COMMAND`: one line on stderr per note."""

    def warn(note: str) -> None:
        print(f"claims {command}: warning: {note}", file=sys.stderr)

    return warn


def epilog(env: str) -> str:
    return f"environment: {env} (README: Configuration). {EXIT_CODES}"


def help_for(what: str, env: str) -> dict[str, Any]:
    """description and epilog of a subcommand: what it does, what it reads, how it exits."""
    return {"description": what, "epilog": epilog(env)}


def identifier(text: str) -> str:
    if not _ID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: use 1-128 letters, digits, '.', '_', ':', '/' or '-'"
        )
    return text


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: a fraction between 0 and 1, e.g. 0.01")
    return value


def positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:  # not "３" or "٣"
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of at least 1")
    return int(text)


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a date as YYYY-MM-DD") from None
