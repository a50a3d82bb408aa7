"""`claims employer NPP`: an employer's contributions, arrears and obligations (the work:
claims/employer.py)."""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import datetime
from typing import Any

from claims import errors
from claims.context import help_for, identifier, iso_date, warner
from claims.errors import EXIT_NOT_FOUND


def cmd_employer(args: argparse.Namespace) -> int:
    from claims.employer import (
        account,
        not_found,
        not_found_line,
        read_account,
        render_json,
        render_text,
    )
    from services.adapters.rule_files import BadRules, rules_from_settings
    from services.config import load_settings
    from services.rules.dates import JAKARTA

    settings = load_settings(os.environ, require_hash_key=False)  # it pseudonymises nothing
    try:  # the worker's rules: the months are priced as the worker priced them
        rules = rules_from_settings(settings, warn=warner("employer"))
    except BadRules as e:
        raise errors.InputError(f"RULES_OVERRIDES_FILE={e}") from e
    on = args.on or datetime.now(JAKARTA).date()
    rows = asyncio.run(read_account(settings, args.npp, on))
    if not rows:
        print(render_json(not_found(args.npp)) if args.json else not_found_line(args.npp))
        return EXIT_NOT_FOUND
    document = account(args.npp, rows, on, rules)
    print(render_json(document) if args.json else render_text(document))
    return 0


def register(sub: Any) -> None:
    e = sub.add_parser(
        "employer",
        help="an employer's account: months due, paid, late, under-paid, penalties, arrears",
        **help_for(
            "Print an employer's (NPP) account: per program and contribution month, the"
            " participant-months due, posted, paid in full, under-paid with the shortfall,"
            " over-paid, late and their penalties; the months still in arrears on --on and the"
            " contribution outstanding for them, per program; and the employer's obligations on"
            " claims (open, reimbursement issued). Participants by KPJ only. Read only; exit 3"
            " when nothing is recorded for the NPP.",
            "READER_DATABASE_URL (else DATABASE_URL; read only), RULES_OVERRIDES_FILE",
        ),
    )
    e.add_argument("npp", type=identifier, help="the employer's registration number (NPP)")
    e.add_argument(
        "--on",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the arrears on this date, and the postings paid by it (default: today, Asia/Jakarta)",
    )
    e.add_argument("--json", action="store_true", help="one JSON document, for machines")
    e.set_defaults(func=cmd_employer)
