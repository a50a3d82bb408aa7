"""`claims status CLAIM_ID`: a claim's state, decision, amounts and payment, as JSON."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from claims.context import command_settings, help_for
from claims.errors import EXIT_NOT_FOUND


def cmd_status(args: argparse.Namespace) -> int:
    from streams.ops.status import claim_status, not_found, render

    found = asyncio.run(claim_status(command_settings(local_default_key=True), args.claim_id))
    if found is None:
        print(render(not_found(args.claim_id)))
        return EXIT_NOT_FOUND
    print(render(found))
    return 0


def register(sub: Any) -> None:
    s = sub.add_parser(
        "status",
        help="a claim's state, decision, amounts and payment, as JSON",
        **help_for(
            "Print a claim's state, decision with reasons, amounts, due date and payment as"
            " JSON (the participant by pseudonym only); exit 3 when no claim has that id.",
            "READER_DATABASE_URL (else DATABASE_URL)",
        ),
    )
    s.add_argument("claim_id")
    s.set_defaults(func=cmd_status)
