"""`claims owed`: the aged-unpaid report, what is still owed per program by age past due (the
work: claims/owed.py)."""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import datetime
from typing import Any

from claims.context import help_for, iso_date


def cmd_owed(args: argparse.Namespace) -> int:
    from claims.owed import document, read_owed, render_json, render_text
    from services.config import load_settings
    from services.rules.dates import JAKARTA

    settings = load_settings(os.environ, require_hash_key=False)  # it pseudonymises nothing
    on = args.on or datetime.now(JAKARTA).date()
    doc = document(asyncio.run(read_owed(settings, on)), on)
    print(render_json(doc) if args.json else render_text(doc))
    return 0


def register(sub: Any) -> None:
    o = sub.add_parser(
        "owed",
        help="aged unpaid: payment instructions not yet paid, per program and days past due",
        **help_for(
            "Print what BPJS still owes on payment instructions, per program and age past the"
            " due date (not yet due, 1-7, 8-30, more than 30 days): a claim's first instruction,"
            " its statutory late interest and re-issues after a payee correction, while PENDING"
            " or FAILED and not re-issued (a re-issued one is owed once, through its re-issue)."
            " Instructions and Rupiah. Read only.",
            "READER_DATABASE_URL (else DATABASE_URL; read only)",
        ),
    )
    o.add_argument(
        "--on",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="age the instructions on this date (default: today, Asia/Jakarta)",
    )
    o.add_argument("--json", action="store_true", help="one JSON document, for machines")
    o.set_defaults(func=cmd_owed)
