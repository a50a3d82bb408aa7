"""`claims`: the one command-line entry point (worker, run, topics, migrate, status, import,
make-import-file, readjudicate, dead-letters)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from services.config import Settings, load_settings, require_dead_letter_public_key
from services.sealing import DEMO_PUBLIC_KEY
from streams import cli_errors, dead_letters_cli
from streams.cli_tools import add_commands

# Exit codes: 0 ok; 1 the job failed; 2 bad usage or configuration; 3 not found.
EXIT_FAILED, EXIT_CONFIG, EXIT_NOT_FOUND = 1, 2, 3
LOCAL_DEMO_KEY = "local-demo-key-not-for-production"


def _settings(local_default_key: bool = False) -> Settings:
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


def _warn(command: str) -> Callable[[str], None]:
    def warn(note: str) -> None:
        print(f"claims {command}: warning: {note}", file=sys.stderr)

    return warn


def cmd_worker(args: argparse.Namespace) -> int:
    from faust.worker import Worker

    from streams.admin import ensure_topics
    from streams.app import build_app
    from streams.logs import configure_logging
    from streams.readjudicate import BadRules, load_rules
    from streams.resources import check_postgres

    settings = _settings(args.local_demo_key)
    require_dead_letter_public_key(settings)  # refuse before touching Kafka
    # Before connecting to anything: a bad RULES_OVERRIDES_FILE is a one-line error, not a crash
    # once Kafka has connected.
    try:
        rules = load_rules(settings.rules_overrides_file, warn=_warn("worker"))
    except BadRules as e:
        raise cli_errors.InputError(f"RULES_OVERRIDES_FILE={e}") from e
    ensure_topics(settings)
    asyncio.run(check_postgres(settings.dsn))
    cli_errors.unquiet_clients()  # from here on the worker logs as LOG_LEVEL says
    configure_logging(settings)
    app, _ = build_app(settings, rules=rules)
    # override_logging=False: mode would replace configure_logging's handler (LOG_FORMAT=json).
    worker = Worker(app, loglevel=settings.log_level.lower(), override_logging=False)
    worker.execute_from_commandline()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from streams.run import run_scenario

    settings = _settings(local_default_key=True)
    return asyncio.run(
        run_scenario(
            settings,
            args.scenario,
            args.seed,
            args.scale,
            args.workers,
            args.fresh,
            args.contribution_months,
        )
    )


def cmd_topics(args: argparse.Namespace) -> int:
    from streams.admin import ensure_topics

    created = ensure_topics(_settings(local_default_key=True))
    print(json.dumps({"created": created}))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.adapters.postgres import PostgresStore

    async def migrate() -> list[str]:
        store = await PostgresStore.connect(_settings(local_default_key=True).dsn, size=1)
        try:
            return await store.migrate()
        finally:
            await store.close()

    print(json.dumps({"applied": asyncio.run(migrate())}))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from streams.status import claim_status, not_found, render

    found = asyncio.run(claim_status(_settings(local_default_key=True).dsn, args.claim_id))
    if found is None:
        print(render(not_found(args.claim_id)))
        return EXIT_NOT_FOUND
    print(render(found))
    return 0


EXIT_CODES = (
    "exit codes: 0 ok; 1 Kafka or PostgreSQL failed (one line says which and where);"
    " 2 bad usage, configuration or input file; 3 not found (status); 4 some rows rejected"
    " (import). `claims --debug COMMAND` or LOG_LEVEL=DEBUG shows the traceback of a failure."
)
KAFKA_ENV = (
    "KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, TOPIC_PARTITIONS, TOPIC_REPLICATION, CLAIMS_APP_ID"
)


def _help(what: str, env: str) -> dict[str, Any]:
    """description and epilog of a subcommand: what it does, what it reads, how it exits."""
    return {
        "description": what,
        "epilog": f"environment: {env} (README: Configuration). {EXIT_CODES}",
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claims", description=__doc__, epilog=EXIT_CODES)
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser(
        "worker",
        help="run a Faust worker (reads its settings from the environment)",
        **_help(
            "Run one worker: checks RULES_OVERRIDES_FILE, creates the declared topics, checks"
            " PostgreSQL (applying migrations at start), then consumes until stopped. Serves"
            " /metrics, /livez, /readyz and /claims/{claim_id} on WEB_HOST:WEB_PORT.",
            f"{KAFKA_ENV}, DATABASE_URL, NIK_HASH_KEY (required), RULES_OVERRIDES_FILE,"
            " WEB_HOST, WEB_PORT, TABLE_STORE, CLAIMS_DATA_DIR, BATCH_SIZE,"
            " BATCH_LINGER_SECONDS, OUTBOX_INTERVAL_SECONDS, DB_POOL_SIZE, LOG_LEVEL, LOG_FORMAT",
        ),
    )
    w.add_argument(
        "--local-demo-key",
        action="store_true",
        help="use a fixed local NIK_HASH_KEY and DEAD_LETTER_PUBLIC_KEY when unset (local only)",
    )
    w.set_defaults(func=cmd_worker)
    r = sub.add_parser(
        "run",
        help="start workers, replay a scenario, print a summary",
        **_help(
            "The main job of `make run`: create topics, migrate, start --workers worker"
            " processes, replay the scenario through Kafka, close the payment loop with the"
            " reference payment service, and print counts read back from PostgreSQL.",
            f"{KAFKA_ENV}, DATABASE_URL, NIK_HASH_KEY (a local demo key when unset), WEB_PORT",
        ),
    )
    r.add_argument(
        "--scenario",
        default="jakarta-2016",
        help="jakarta-2016 (default), kemensos-2024 or jambi-2025",
    )
    r.add_argument("--seed", type=int, default=2016, help="makes the scenario deterministic")
    r.add_argument("--scale", type=float, default=1.0, help="shrink every count (0 < scale <= 1)")
    r.add_argument("--workers", type=int, default=1, help="worker processes to start")
    r.add_argument(
        "--contribution-months",
        type=int,
        default=None,
        help="months of contributions replayed per claimant (default: the scenario's)",
    )
    r.add_argument(
        "--fresh",
        action="store_true",
        help="delete the service's topics, tables and local state first (local stacks)",
    )
    r.set_defaults(func=cmd_run)
    sub.add_parser(
        "topics",
        help="create the declared topics",
        **_help(
            "Create every topic of streams/topics.py and Faust's internal ones that does not"
            " exist yet, with its partitions and retention; print the names created as JSON.",
            KAFKA_ENV,
        ),
    ).set_defaults(func=cmd_topics)
    sub.add_parser(
        "migrate",
        help="apply database migrations",
        **_help(
            "Apply the migrations not yet recorded in schema_migrations; print their names"
            " as JSON. Safe to run twice or from two processes at once.",
            "DATABASE_URL",
        ),
    ).set_defaults(func=cmd_migrate)
    s = sub.add_parser(
        "status",
        help="a claim's state, decision, amounts and payment, as JSON",
        **_help(
            "Print a claim's state, decision with reasons, amounts, due date and payment as"
            " JSON (the participant by pseudonym only); exit 3 when no claim has that id.",
            "DATABASE_URL",
        ),
    )
    s.add_argument("claim_id")
    s.set_defaults(func=cmd_status)
    add_commands(sub)  # import, make-import-file, readjudicate (streams/cli_tools.py)
    dead_letters_cli.add_command(sub)  # dead-letters list|show|replay|reseal|keygen
    return p


def main(argv: Sequence[str] | None = None) -> int:
    words, debug = cli_errors.split_debug(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(words)
    if args.command != "worker":
        sys.argv = [sys.argv[0]]  # faust's worker parses argv; keep ours out of it
    debug = cli_errors.debug_wanted(debug)
    if not debug:
        cli_errors.quiet_clients()
    try:
        code: int = args.func(args)
    except (Exception, KeyboardInterrupt) as e:
        if debug or isinstance(e, KeyboardInterrupt):
            raise
        failure = cli_errors.explain(args.command, e)  # one line: what, where, what to do
        print(failure.message, file=sys.stderr)
        return failure.code
    return code


if __name__ == "__main__":
    sys.exit(main())
