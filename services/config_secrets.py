"""The secrets in the configuration, checked: the NIK keyring, the dead-letter keys and the web
server's bearer tokens, and the worker's refusals to start without the ones it needs."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from services.config import ENV_VARS, MIN_KEY_LENGTH, ConfigError, Secret, Settings
from services.privacy import KEY_ID, Keyring, NikKey

MIN_TOKEN_LENGTH: Final = 16
# RFC 6750's b64token: what a bearer token may hold, so it travels in a header unchanged.
_B64TOKEN: Final = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_MAKE_ONE: Final = "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` makes one"


def nik_keyring(settings: Settings) -> Keyring:
    """NIK_HASH_KEY under NIK_HASH_KEY_ID, and NIK_HASH_PREVIOUS_KEYS (`<id>:<key>,...`)."""
    current = settings.nik_hash_key_id
    if not KEY_ID.fullmatch(current):
        raise ConfigError(f"NIK_HASH_KEY_ID={current!r}: must be 1-16 letters or digits, e.g. v2")
    previous: list[NikKey] = []
    entries = [e.strip() for e in settings.nik_hash_previous_keys.value.split(",") if e.strip()]
    for i, entry in enumerate(entries, start=1):
        key_id, sep, key = entry.partition(":")
        where = f"NIK_HASH_PREVIOUS_KEYS entry #{i}"
        if not sep or not KEY_ID.fullmatch(key_id) or len(key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"{where}: expected <key id>:<key of at least {MIN_KEY_LENGTH} characters>,"
                " e.g. v1:<the key that was NIK_HASH_KEY> (entries separated by commas)"
            )
        if key_id in (current, *(k.key_id for k in previous)):
            raise ConfigError(
                f"{where}: key id {key_id!r} is already used by"
                f" {'NIK_HASH_KEY_ID' if key_id == current else 'an earlier entry'}; each key"
                " needs an id of its own"
            )
        if key == settings.nik_hash_key.value:
            raise ConfigError(f"{where}: is NIK_HASH_KEY itself; a previous key must differ")
        previous.append(NikKey(key_id, key))
    return Keyring(NikKey(current, settings.nik_hash_key.value), tuple(previous))


def check_tokens(settings: Settings) -> None:
    """A token, when set, is long enough to resist guessing and fits a header; the message gives
    its length and the reason, never its characters."""
    for name in ("status_token", "metrics_token"):
        token: Secret = getattr(settings, name)
        if not token.value:
            continue
        var = ENV_VARS[name]
        if len(token.value) < MIN_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token.value):
            raise ConfigError(
                f"{var}=<{len(token.value)} characters>: must be a bearer token of at least"
                f" {MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / ({_MAKE_ONE})"
            )


def is_loopback(host: str) -> bool:
    """WEB_HOST reaches only this machine: `localhost` or a loopback address (127.0.0.0/8,
    ::1). Anything else, a wildcard (0.0.0.0, ::) or a name included, counts as beyond."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_status_token(settings: Settings) -> None:
    """The worker refuses to serve claim data beyond loopback without a bearer token."""
    if not settings.status_token.value and not is_loopback(settings.web_host):
        raise ConfigError(
            f"STATUS_TOKEN must be set when WEB_HOST={settings.web_host!r} is beyond loopback:"
            " GET /claims/{claim_id} serves claim data to whoever reaches the port; set a"
            f" bearer token of at least {MIN_TOKEN_LENGTH} characters ({_MAKE_ONE}) or bind"
            " WEB_HOST to 127.0.0.1"
        )


def check_dead_letter_keys(settings: Settings) -> None:
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
