"""Secrets out of every line: DSNs shown without their password, configured secrets redacted.

The first lines of defence are where a secret is held: `Secret` (services/config.py) never shows
its value in a repr or str, `dsn_location` names a database by host, port and name only, and
error messages name a variable and the reason, never its value. This module is the last one:
a `Redactor` knows every secret the process was configured with and replaces each wherever it
appears in a text. streams/ops/logs.py runs it over every log record (message, traceback, extra
fields) and claims/cli.py over every line a command writes on stderr.

What counts as a secret: every `Secret` field of Settings (DATABASE_URL, NIK_HASH_KEY,
DEAD_LETTER_PRIVATE_KEYS, STATUS_TOKEN, METRICS_TOKEN, and any added later, such as
KAFKA_SASL_PASSWORD) and every environment variable whose name says it is one (`*PASSWORD*`,
`*TOKEN*`, `*SECRET*`, `*PRIVATE_KEY*`, `*HASH_KEY*`, `*DATABASE_URL*`, `*_DSN`), whether or
not the service reads it. A URL's password is a secret of its own (as written and decoded), and
the whole URL is replaced by `mask_dsn` of it; a comma-separated list of rotated keys (`k1,k2`
or `v1:k1,v2:k2`) is also redacted key by key. Values shorter than MIN_REDACTED characters are
not redacted on their own (a short value such as the local stack's password `claims` is a word
of every log line): they are masked where they are held and inside their URL, never alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Final
from urllib.parse import unquote, urlsplit

from services.config import ENV_VARS, Secret, Settings

MASK: Final = "***"
MIN_REDACTED: Final = 8
_SECRET_NAME: Final = re.compile(
    r"PASSWORD|PASSWD|TOKEN|SECRET|PRIVATE_KEY|HASH_KEY|DATABASE_URL|_DSN$", re.IGNORECASE
)
_QUERY_PASSWORD: Final = re.compile(r"(?i)(^|[?&;])((?:ssl)?password=)[^&;#]*")


def mask_dsn(url: str) -> str:
    """`url` with its password (in the userinfo or as `?password=`) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"<{len(url)} characters, not a URL>"
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{host}"
    query = _QUERY_PASSWORD.sub(rf"\1\2{MASK}", parts.query)
    shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    return shown + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def dsn_location(url: str) -> str:
    """host:port/database of a PostgreSQL URL: never its user, password or parameters."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        return "<DATABASE_URL not a valid URL>"
    return f"{parts.hostname or 'localhost'}:{port}{parts.path or ''}"


def _url_passwords(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found = set()
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        found.add(userinfo.partition(":")[2])
    for match in re.finditer(r"(?i)(?:^|[?&;])(?:ssl)?password=([^&;#]*)", parts.query):
        found.add(match.group(1))
    return found | {unquote(p) for p in found}


@dataclass(frozen=True)
class Redactor:
    """Replaces each secret in a text by what may be shown of it, longest secrets first."""

    replacements: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> Redactor:
        shown: dict[str, str] = {}
        for raw in values:
            value = raw.strip()
            if "://" in value:
                shown[value] = mask_dsn(value)
                shown.update(dict.fromkeys(_url_passwords(value), MASK))
            else:
                shown[value] = MASK
                # Rotated keys (`k1,k2`, `v1:k1,v2:k2`): each key is a secret of its own.
                for item in (v.strip() for v in value.split(",")):
                    shown[item] = MASK
                    shown[item.partition(":")[2]] = MASK
        kept = [(s, m) for s, m in shown.items() if len(s) >= MIN_REDACTED and s != m]
        return cls(tuple(sorted(kept, key=lambda pair: -len(pair[0]))))

    def __call__(self, text: str) -> str:
        for secret, shown in self.replacements:
            if secret in text:
                text = text.replace(secret, shown)
        return text

    def __repr__(self) -> str:
        return f"Redactor(<{len(self.replacements)} secrets>)"


def secret_values(settings: Settings | None, environ: Mapping[str, str]) -> list[str]:
    """The values of the Secret fields of `settings` (None: none) and of the environment
    variables named like secrets."""
    held_as_secrets = {ENV_VARS[f.name] for f in fields(Settings) if str(f.type) == "Secret"}
    values = [
        v
        for name, v in environ.items()
        if v and (name in held_as_secrets or _SECRET_NAME.search(name))
    ]
    if settings is not None:
        for f in fields(settings):
            held = getattr(settings, f.name)
            if isinstance(held, Secret) and held.value:
                values.append(held.value)
    return values


def redactor(
    settings: Settings | None = None, environ: Mapping[str, str] | None = None
) -> Redactor:
    """The Redactor of this process: its settings' secrets and its environment's."""
    return Redactor.of(secret_values(settings, os.environ if environ is None else environ))
