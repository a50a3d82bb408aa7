"""`claims worker`, `claims topics`, `claims migrate`: run a worker and prepare what it needs."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from claims import errors
from claims.context import KAFKA_ENV, command_settings, help_for, warner
from services.config_secrets import require_dead_letter_public_key, require_status_token


def cmd_worker(args: argparse.Namespace) -> int:
    from faust.worker import Worker

    from services.adapters.rule_files import BadRules, load_rules
    from streams.app import build_app
    from streams.kafka.admin import ensure_topics
    from streams.ops.logs import configure_logging
    from streams.resources import check_postgres

    settings = command_settings(args.local_demo_key)
    require_dead_letter_public_key(settings)  # refuse before touching Kafka
    require_status_token(settings)  # no claim data beyond loopback without a bearer token
    # Before connecting to anything: a bad RULES_OVERRIDES_FILE is a one-line error, not a crash
    # once Kafka has connected.
    try:
        rules = load_rules(settings.rules_overrides_file, warn=warner("worker"))
    except BadRules as e:
        raise errors.InputError(f"RULES_OVERRIDES_FILE={e}") from e
    ensure_topics(settings)
    asyncio.run(check_postgres(settings))
    errors.unquiet_clients()  # from here on the worker logs as LOG_LEVEL says
    configure_logging(settings)
    app, _ = build_app(settings, rules=rules)
    # override_logging=False: mode would replace configure_logging's handler (LOG_FORMAT=json).
    worker = Worker(app, loglevel=settings.log_level.lower(), override_logging=False)
    worker.execute_from_commandline()
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from streams.kafka.admin import ensure_topics

    created = ensure_topics(command_settings(local_default_key=True))
    print(json.dumps({"created": created}))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.adapters.postgres import connect_store

    async def migrate() -> list[str]:
        store = await connect_store(command_settings(local_default_key=True))
        try:
            return await store.migrate()
        finally:
            await store.close()

    print(json.dumps({"applied": asyncio.run(migrate())}))
    return 0


def register(sub: Any) -> None:
    w = sub.add_parser(
        "worker",
        help="run a Faust worker (reads its settings from the environment)",
        **help_for(
            "Run one worker: checks RULES_OVERRIDES_FILE, creates the declared topics, checks"
            " PostgreSQL (applying migrations at start, or with WORKER_DATABASE_URL checking that"
            " the schema is current and the role's privileges complete), then consumes until"
            " stopped. Serves"
            " /metrics, /livez, /readyz and /claims/{claim_id} on WEB_HOST:WEB_PORT.",
            f"{KAFKA_ENV}, WORKER_DATABASE_URL (when set, the worker does not migrate; unset:"
            " DATABASE_URL, migrating at start), NIK_HASH_KEY (required), NIK_HASH_KEY_ID,"
            " NIK_HASH_PREVIOUS_KEYS, RULES_OVERRIDES_FILE,"
            " WEB_HOST, WEB_PORT, STATUS_TOKEN (required beyond loopback), METRICS_TOKEN,"
            " TABLE_STORE, CLAIMS_DATA_DIR, BATCH_SIZE,"
            " BATCH_LINGER_SECONDS, OUTBOX_INTERVAL_SECONDS, DB_POOL_SIZE, PAYROLL_TIMER,"
            " PAYROLL_INTERVAL_SECONDS, LOG_LEVEL, LOG_FORMAT",
        ),
    )
    w.add_argument(
        "--local-demo-key",
        action="store_true",
        help="use a fixed local NIK_HASH_KEY and DEAD_LETTER_PUBLIC_KEY when unset (local only)",
    )
    w.set_defaults(func=cmd_worker)
    sub.add_parser(
        "topics",
        help="create the declared topics",
        **help_for(
            "Create every topic of streams/kafka/topics.py and Faust's internal ones that does"
            " not exist yet, with its partitions and retention; print the names created as JSON.",
            KAFKA_ENV,
        ),
    ).set_defaults(func=cmd_topics)
    sub.add_parser(
        "migrate",
        help="apply database migrations",
        **help_for(
            "Apply the migrations not yet recorded in schema_migrations; print their names"
            " as JSON. Safe to run twice or from two processes at once.",
            "DATABASE_URL (the owner; also re-applies the grants of the restricted roles)",
        ),
    ).set_defaults(func=cmd_migrate)
