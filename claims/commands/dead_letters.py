"""`claims dead-letters`: list, show, replay and reseal sealed dead letters; make key pairs.

`list` needs no key (metadata only). `show` and `replay` open envelopes with
DEAD_LETTER_PRIVATE_KEYS (the worker never holds it). Exit codes, as for every `claims`
command: 0 ok; 1 failed (Kafka, PostgreSQL, or an envelope that does not authenticate);
2 bad usage or configuration (no private key, a key id none of the keys has, a second replay
without --force); 3 a dead letter id not found.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claims.context import command_settings
from claims.errors import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from services.app.records import Position, StoredDeadLetter
from services.config import ConfigError, Settings, load_settings
from services.config_secrets import private_keys, require_dead_letter_public_key
from services.errors import ServiceError
from services.sealing import DEMO_PRIVATE_KEY, Opener, Sealer, SealError, UnknownKey, keygen

if TYPE_CHECKING:
    from services.adapters.postgres import PostgresStore

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


class Refused(Exception):
    """The command cannot go on; `code` is its exit code, the message says why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _tool_settings() -> Settings:
    # Inspecting or replaying never pseudonymises: no NIK_HASH_KEY needed.
    return load_settings(os.environ, require_hash_key=False)


def _opener(settings: Settings, local_demo_key: bool) -> Opener:
    keys = private_keys(settings)
    if not keys and local_demo_key:
        print("DEAD_LETTER_PRIVATE_KEYS not set: using the local demo key", file=sys.stderr)
        keys = [DEMO_PRIVATE_KEY]
    if not keys:
        raise ConfigError(
            "DEAD_LETTER_PRIVATE_KEYS must be set (one or more base64 X25519 private keys,"
            " comma separated) to open dead letters; `list` needs none"
        )
    return Opener.from_config(keys)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _dumps(document: Any, indent: int | None = None) -> str:
    return json.dumps(document, default=_json_default, indent=indent, ensure_ascii=False)


def metadata(d: StoredDeadLetter) -> dict[str, Any]:
    """What `list` prints: nothing secret."""
    out = asdict(d)
    out["sealed"] = d.sealed is not None
    return out


def _position(d: StoredDeadLetter) -> Position:
    return Position(d.topic, d.partition, d.offset)


async def _with_store(settings: Settings, role: str) -> PostgresStore:
    """`list` and `show` read (READER_DATABASE_URL); `replay` marks the row replayed, the
    worker's table (WORKER_DATABASE_URL); `reseal` migrates first (DATABASE_URL, the owner)."""
    from services.adapters.postgres import connect_store  # asyncpg: only when a command needs it

    return await connect_store(settings, role=role)


async def _find(store: PostgresStore, dead_letter_id: int) -> StoredDeadLetter:
    found = await store.dead_letter(dead_letter_id)
    if found is None:
        raise Refused(EXIT_NOT_FOUND, f"no dead letter with id {dead_letter_id}")
    return found


def _open(opener: Opener, d: StoredDeadLetter) -> tuple[bytes | None, bytes]:
    if d.sealed is None:
        raise Refused(
            EXIT_USAGE,
            f"dead letter {d.id} was stored before sealing and is not yet resealed:"
            " run `claims dead-letters reseal` (or start a worker) first",
        )
    try:
        return opener.open(d.sealed, _position(d))
    except UnknownKey as e:
        raise Refused(EXIT_USAGE, f"dead letter {d.id}: {e}") from None
    except SealError as e:
        raise Refused(EXIT_FAILED, f"dead letter {d.id}: {e}") from None


def opened_document(d: StoredDeadLetter, key: bytes | None, value: bytes) -> dict[str, Any]:
    """`show`'s document: the metadata, the original key, and the value decoded when it can be."""
    from streams.kafka.codec import AvroCodec, CodecError

    out = metadata(d)
    try:
        out["key"] = None if key is None else key.decode()
    except UnicodeDecodeError:
        out["key"] = {"base64": base64.b64encode(key or b"").decode()}
    out["value_base64"] = base64.b64encode(value).decode()
    try:
        decoded = AvroCodec.from_directory(SCHEMAS).decode(value)
        out["record"] = decoded.record
    except CodecError as e:
        out["record"] = None
        out["decode_error"] = f"{type(e).__name__}: {e}"
    return out


async def list_letters(settings: Settings, topic: str | None, limit: int, after: int) -> int:
    store = await _with_store(settings, "reader")
    try:
        for d in await store.dead_letters(topic=topic, limit=limit, after_id=after):
            print(_dumps(metadata(d)))
    finally:
        await store.close()
    return EXIT_OK


async def show(settings: Settings, opener: Opener, dead_letter_id: int) -> int:
    store = await _with_store(settings, "reader")
    try:
        d = await _find(store, dead_letter_id)
    finally:
        await store.close()
    key, value = _open(opener, d)
    print(_dumps(opened_document(d, key, value), indent=2))
    return EXIT_OK


async def replay(settings: Settings, opener: Opener, ids: Sequence[int], force: bool) -> int:
    """Republish the original key and value, byte for byte, to the original topic.

    Every id is checked and opened first, so nothing is published when one of them cannot be.
    """
    store = await _with_store(settings, "worker")
    try:
        letters = [await _find(store, i) for i in ids]
        again = [d.id for d in letters if d.replayed_at is not None]
        if again and not force:
            raise Refused(
                EXIT_USAGE,
                f"already replayed: {', '.join(map(str, again))} (use --force to replay again)",
            )
        opened = [(d, *_open(opener, d)) for d in letters]
        cut = [d.id for d, _, v in opened if d.value_size is not None and len(v) != d.value_size]
        if cut:
            raise Refused(
                EXIT_USAGE,
                f"not kept whole (too large to copy), replay from the source topic: "
                f"{', '.join(map(str, cut))} (`list` shows where each one is)",
            )
        for d, key, value in opened:
            partition, offset = await asyncio.to_thread(_publish, settings, d.topic, key, value)
            await store.mark_replayed(d.id)
            print(
                _dumps(
                    {
                        "id": d.id,
                        "replayed_to": d.topic,
                        "partition": partition,
                        "offset": offset,
                        "from": str(_position(d)),
                    }
                )
            )
    finally:
        await store.close()
    return EXIT_OK


def _publish(settings: Settings, topic: str, key: bytes | None, value: bytes) -> tuple[int, int]:
    from kafka import KafkaProducer

    from streams.kafka.auth import kafka_python_options

    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        client_id="dead-letters",
        **kafka_python_options(settings),
    )
    try:
        meta = producer.send(topic, key=key, value=value).get(timeout=60)
        return int(meta.partition), int(meta.offset)
    finally:
        producer.close()


async def reseal(settings: Settings) -> int:
    from services.app.dead_letters import reseal_legacy
    from streams.kafka.codec import AvroCodec

    sealer = Sealer.from_config(
        require_dead_letter_public_key(settings), settings.nik_hash_key.value
    )
    store = await _with_store(settings, "owner")
    try:
        await store.migrate()
        codec = AvroCodec.from_directory(SCHEMAS)
        resealed, dropped = await reseal_legacy(store, sealer, codec.writer_name)
    finally:
        await store.close()
    print(_dumps({"resealed": resealed, "duplicates_dropped": dropped, "key_id": sealer.key_id}))
    return EXIT_OK


def cmd_dead_letters(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except Refused as e:
        print(f"claims dead-letters {args.action}: {e}", file=sys.stderr)
        return e.code
    except ConfigError:
        raise  # `claims` prints it and exits 2
    except (ServiceError, OSError) as e:
        print(f"claims dead-letters {args.action} failed: {e}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:  # a Kafka client error: one line, never a bare traceback
        print(f"claims dead-letters {args.action} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace) -> int:
    if args.action == "keygen":
        public, private = keygen()
        print(f"DEAD_LETTER_PUBLIC_KEY={public}")
        print(f"DEAD_LETTER_PRIVATE_KEYS={private}")
        from services.sealing import decode_key, key_id

        print(f"key id {key_id(decode_key(public, 'public'))}", file=sys.stderr)
        return EXIT_OK
    if args.action == "reseal":
        return asyncio.run(reseal(command_settings(local_default_key=args.local_demo_key)))
    settings = _tool_settings()
    if args.action == "list":
        return asyncio.run(list_letters(settings, args.topic, args.limit, args.after_id))
    opener = _opener(settings, args.local_demo_key)
    if args.action == "show":
        return asyncio.run(show(settings, opener, args.id))
    return asyncio.run(replay(settings, opener, args.ids, args.force))


def register(sub: Any) -> None:
    """Register `claims dead-letters` on the `claims` parser's subparsers."""
    d = sub.add_parser(
        "dead-letters",
        help="list, show, replay or reseal dead letters (sealed: the NIK never in clear)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.set_defaults(func=cmd_dead_letters)
    actions = d.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="metadata of each dead letter as JSON lines (no key)")
    ls.add_argument("--topic", help="only dead letters read from this topic (full name)")
    ls.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    ls.add_argument("--after-id", type=int, default=0, help="page on: ids above this one")
    s = actions.add_parser("show", help="open one dead letter and print its record as JSON")
    s.add_argument("id", type=int)
    r = actions.add_parser(
        "replay", help="republish the original key and value to the original topic"
    )
    r.add_argument("ids", type=int, nargs="+", metavar="ID")
    r.add_argument("--force", action="store_true", help="replay even if replayed before")
    for p in (s, r):
        p.add_argument(
            "--local-demo-key",
            action="store_true",
            help="use the local demo private key when DEAD_LETTER_PRIVATE_KEYS is unset",
        )
    rs = actions.add_parser(
        "reseal",
        help="seal dead letters stored in clear before migration 0003 (needs the"
        " worker's DEAD_LETTER_PUBLIC_KEY and NIK_HASH_KEY)",
    )
    rs.add_argument(
        "--local-demo-key", action="store_true", help="demo keys when unset (local stack only)"
    )
    actions.add_parser("keygen", help="print a new key pair as two environment lines")
