"""`claims payroll --month YYYY-MM`: run or re-run the JP pension payroll of a month (the work:
claims/payroll.py). A month already paid writes nothing again."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from claims import errors
from claims.context import help_for, warner


def month(text: str) -> Any:
    from services.app.payroll import parse_month

    try:
        return parse_month(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_payroll(args: argparse.Namespace) -> int:
    from claims.payroll import document, render_json, render_text, run_months
    from services.adapters.rule_files import BadRules, rules_from_settings
    from services.config import load_settings
    from services.rules.dates import add_months

    settings = load_settings(os.environ, require_hash_key=False)  # it pseudonymises nothing
    try:  # the worker's rules: the months are paid as the worker would pay them
        rules = rules_from_settings(settings, warn=warner("payroll"))
    except BadRules as e:
        raise errors.InputError(f"RULES_OVERRIDES_FILE={e}") from e
    if args.months < 1 or args.months > 120:
        raise errors.InputError(f"--months {args.months}: run 1 to 120 months at a time")
    months = [add_months(args.month, n) for n in range(args.months)]
    doc = document(asyncio.run(run_months(settings, months, rules)))
    print(render_json(doc) if args.json else render_text(doc))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "payroll",
        help="run or re-run the JP pension payroll of a month: one instruction per pension",
        **help_for(
            "Write the JP pension payroll of a month to the payment outbox: one payment"
            " instruction per pension in payment (idempotency key"
            " pension:<pension_id>:<YYYY-MM>), at the month's indexed amount, due on its first"
            " working day. The worker's leader runs the current month by itself"
            " (PAYROLL_TIMER) and publishes the outbox; this command runs any month, or runs one"
            " again: a month already paid writes nothing twice.",
            "WORKER_DATABASE_URL (else DATABASE_URL; writes the payment outbox)",
        ),
    )
    p.add_argument("--month", type=month, required=True, metavar="YYYY-MM", help="the month")
    p.add_argument(
        "--months", type=int, default=1, metavar="N", help="and the N-1 months after it (1-120)"
    )
    p.add_argument("--json", action="store_true", help="one JSON document, for machines")
    p.set_defaults(func=cmd_payroll)
