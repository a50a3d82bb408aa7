"""`claims readjudicate`: a dry run of recorded claims under other rules (the work:
claims/readjudicate.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from claims.context import command_settings, epilog, iso_date, warner
from claims.errors import EXIT_FAILED, EXIT_USAGE


def cmd_readjudicate(args: argparse.Namespace) -> int:
    from claims.readjudicate import DryRun, dry_run, effects_lines, summary_table
    from services.adapters.rule_files import BadRules, load_rules, read_overrides

    if args.start > args.end:
        print(f"claims readjudicate: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return EXIT_USAGE
    try:
        rules = load_rules(args.rules_overrides, warn=warner("readjudicate"))
    except BadRules as e:
        print(f"claims readjudicate: --rules-overrides {e}", file=sys.stderr)
        return EXIT_USAGE
    settings = command_settings(local_default_key=True)
    overrides = read_overrides(args.rules_overrides)
    run = DryRun(args.start, args.end, args.program, rules, args.output, overrides)
    try:
        outcome = asyncio.run(dry_run(settings, run, sys.stdout))
    except OSError as e:
        print(f"claims readjudicate: {e}", file=sys.stderr)
        return EXIT_USAGE if args.output and not args.output.parent.is_dir() else EXIT_FAILED
    # A PostgreSQL failure reaches claims/cli.py's main: one line naming it and where.
    summary = outcome.summary
    print(summary_table(summary, rules))
    for line in effects_lines(outcome.changed_by):
        print(line)
    if args.output:
        every = summary["ALL"]
        changed = every.examined - every.unchanged - every.not_replayable
        print(f"{changed:,} changed claim(s) written to {args.output}")
    return 0


def register(sub: Any) -> None:
    r = sub.add_parser(
        "readjudicate",
        help="dry run: judge recorded claims again under other rules, print what would change",
        description=(
            "Judge again every claim whose event date (the insured event: accident, death, exit"
            " or age date) falls in [--from, --to], with the exact inputs recorded at its"
            " decision, under the built-in rules plus --rules-overrides (same format as"
            " RULES_OVERRIDES_FILE). Prints each claim whose outcome, reasons or amount would"
            " change (old -> new, per component) and a summary per program. Read only: settled"
            " state is never touched. Claims decided before assessment inputs were recorded are"
            " counted as 'no inputs'."
        ),
        epilog=epilog("READER_DATABASE_URL (else DATABASE_URL; read only)"),
    )
    r.add_argument("--from", dest="start", required=True, type=iso_date, help="YYYY-MM-DD")
    r.add_argument("--to", dest="end", required=True, type=iso_date, help="YYYY-MM-DD (inclusive)")
    r.add_argument("--program", choices=("JHT", "JKK", "JKM", "JP"), help="only this program")
    r.add_argument(
        "--rules-overrides",
        type=Path,
        metavar="FILE",
        help='a JSON file of overrides, e.g. one holding {"jht.development_rate":'
        ' [{"effective": "2024-01-01", "value": "0.065"}]} (default: none, the built-in rules)',
    )
    r.add_argument(
        "--output", type=Path, help="write the changed claims as JSON lines here, not to stdout"
    )
    r.set_defaults(func=cmd_readjudicate)
