"""`claims run`: the main job of `make run` (claims/run.py does it)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from claims.context import KAFKA_ENV, command_settings, help_for
from services.config_secrets import require_status_token


def cmd_run(args: argparse.Namespace) -> int:
    from claims.run import run_scenario

    settings = command_settings(local_default_key=True)
    require_status_token(settings)  # the workers would refuse it one by one
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


def register(sub: Any) -> None:
    r = sub.add_parser(
        "run",
        help="start workers, replay a scenario, print a summary",
        **help_for(
            "The main job of `make run`: create topics, migrate, start --workers worker"
            " processes, replay the scenario through Kafka, close the payment loop with the"
            " reference payment service, and print counts read back from PostgreSQL.",
            f"{KAFKA_ENV}, DATABASE_URL (the owner: --fresh, migrations), WORKER_DATABASE_URL"
            " and READER_DATABASE_URL (else DATABASE_URL), NIK_HASH_KEY (a local demo key when"
            " unset), WEB_HOST, WEB_PORT, STATUS_TOKEN, METRICS_TOKEN (passed to the workers)",
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
