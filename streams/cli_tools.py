"""The `claims` commands for the people around the service: import, make-import-file, readjudicate.

Exit codes, as for every `claims` command: 0 ok; 1 the job failed (Kafka or PostgreSQL); 2 bad
usage, configuration or an unreadable input file; 3 not found. `claims import` adds 4: some rows
were rejected (see the report) and every valid row was published.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

EXIT_FAILED, EXIT_USAGE = 1, 2
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")


def _identifier(text: str) -> str:
    if not _ID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: use 1-128 letters, digits, '.', '_', ':', '/' or '-'"
        )
    return text


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: a fraction between 0 and 1, e.g. 0.01")
    return value


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:  # not "３" or "٣"
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of at least 1")
    return int(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a date as YYYY-MM-DD") from None


def cmd_import(args: argparse.Namespace) -> int:
    from streams.bulk_import import ImportOptions, run_import
    from streams.cli import _settings
    from streams.import_files import UnreadableFile

    settings = _settings(local_default_key=True)
    options = ImportOptions(
        path=args.file,
        sponsor_id=args.sponsor_id,
        batch_id=args.batch_id,
        format=args.format,
        report=args.report,
        dry_run=args.dry_run,
        progress=None if args.no_progress else sys.stderr,
    )
    try:
        result = asyncio.run(run_import(settings, options))
    except UnreadableFile as e:
        print(f"claims import: {e}", file=sys.stderr)
        return EXIT_USAGE
    # Kafka and PostgreSQL failures reach streams/cli.py's main: one line naming which and where.
    print(json.dumps(result.summary(), indent=2))
    if result.rejected_rows:
        print(
            f"{result.rejected_rows:,} row(s) rejected: see {result.report}; re-run with"
            f" --batch-id {result.batch_id} after fixing them to complete the same batch",
            file=sys.stderr,
        )
    return result.exit_code


def cmd_make_import_file(args: argparse.Namespace) -> int:
    from streams.import_files import UnreadableFile
    from streams.make_import_file import truth_path, write_import_file

    if args.work_units > args.rows:
        print("claims make-import-file: --work-units must not exceed --rows", file=sys.stderr)
        return EXIT_USAGE
    try:
        truth = write_import_file(
            args.out, args.rows, args.work_units, args.bad_fraction, args.seed, args.format
        )
    except (UnreadableFile, OSError) as e:
        print(f"claims make-import-file: {e}", file=sys.stderr)
        return EXIT_USAGE
    summary: dict[str, Any] = {k: v for k, v in truth.items() if k not in ("bad", "valid_kpjs")}
    summary |= {"bad_rows": len(truth["bad"]), "truth": str(truth_path(args.out))}
    print(json.dumps(summary, indent=2))
    return 0


def cmd_readjudicate(args: argparse.Namespace) -> int:
    from streams.cli import _settings, _warn
    from streams.readjudicate import (
        BadRules,
        DryRun,
        dry_run,
        effects_lines,
        load_rules,
        read_overrides,
        summary_table,
    )

    if args.start > args.end:
        print(f"claims readjudicate: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return EXIT_USAGE
    try:
        rules = load_rules(args.rules_overrides, warn=_warn("readjudicate"))
    except BadRules as e:
        print(f"claims readjudicate: --rules-overrides {e}", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(local_default_key=True)
    overrides = read_overrides(args.rules_overrides)
    run = DryRun(args.start, args.end, args.program, rules, args.output, overrides)
    try:
        outcome = asyncio.run(dry_run(settings.dsn, run, sys.stdout))
    except OSError as e:
        print(f"claims readjudicate: {e}", file=sys.stderr)
        return EXIT_USAGE if args.output and not args.output.parent.is_dir() else EXIT_FAILED
    # A PostgreSQL failure reaches streams/cli.py's main: one line naming it and where.
    summary = outcome.summary
    print(summary_table(summary, rules))
    for line in effects_lines(outcome.changed_by):
        print(line)
    if args.output:
        every = summary["ALL"]
        changed = every.examined - every.unchanged - every.not_replayable
        print(f"{changed:,} changed claim(s) written to {args.output}")
    return 0


def _epilog(env: str) -> str:
    from streams.cli import EXIT_CODES

    return f"environment: {env} (README: Configuration). {EXIT_CODES}"


def add_commands(sub: Any) -> None:
    """Register the commands on the `claims` parser's subparsers."""
    i = sub.add_parser(
        "import",
        help="bulk-enroll a sponsor's list of workers (CSV or JSON lines)",
        description=(
            "Validate every row, publish the valid ones as ParticipantEnrolled events under one"
            " batch id, then an EnrollmentBatchCompleted; write a rejection report (row, field,"
            " value, reason; the NIK masked but for its last 4 digits). Exit 0: every row valid;"
            " 4: some rows rejected, the valid ones published; 2: bad usage or unreadable file;"
            " 1: Kafka or PostgreSQL failed (re-run with the same --batch-id)."
        ),
        epilog=_epilog(
            "KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, DATABASE_URL, NIK_HASH_KEY (the workers' key:"
            " a local demo key when unset)"
        ),
    )
    i.add_argument("file", type=Path, help="the sponsor's file (.csv or .jsonl)")
    i.add_argument("--sponsor-id", required=True, type=_identifier, help="e.g. pemprov-dki")
    i.add_argument(
        "--batch-id",
        type=_identifier,
        help="the batch's id (default: sponsor id + hash of the file, so the same file is the"
        " same batch); re-use it to complete or re-run a batch",
    )
    i.add_argument("--format", choices=("csv", "jsonl"), help="default: from the extension")
    i.add_argument("--report", type=Path, help="rejection report (default: FILE.rejections.csv)")
    i.add_argument(
        "--dry-run", action="store_true", help="validate and check duplicates, publish nothing"
    )
    i.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    i.set_defaults(func=cmd_import)

    m = sub.add_parser(
        "make-import-file",
        help="write a realistic enrollment file with known bad rows (for tests and benches)",
        description=(
            "People of the simulator's Jakarta BPU cohort, about one valid row in six typed"
            " messily (tolerated), and --bad-fraction of the rows deliberately bad in every"
            " kind the import rejects. OUT.expected.json lists each bad row's number, kind,"
            " field and reason."
        ),
        epilog=_epilog("none (writes files only)"),
    )
    m.add_argument("out", type=Path, help="OUT.csv or OUT.jsonl")
    m.add_argument("--rows", type=_positive, default=250_000, help="data rows (default 250000)")
    m.add_argument("--work-units", type=_positive, default=300, help="work units (default 300)")
    m.add_argument(
        "--bad-fraction", type=_fraction, default=0.01, help="share of bad rows (default 0.01)"
    )
    m.add_argument("--seed", type=int, default=2016, help="makes the file deterministic")
    m.add_argument("--format", choices=("csv", "jsonl"), help="default: from the extension")
    m.set_defaults(func=cmd_make_import_file)

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
        epilog=_epilog("DATABASE_URL (read only)"),
    )
    r.add_argument("--from", dest="start", required=True, type=_date, help="YYYY-MM-DD")
    r.add_argument("--to", dest="end", required=True, type=_date, help="YYYY-MM-DD (inclusive)")
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
