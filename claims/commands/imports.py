"""`claims import` and `claims make-import-file`: a sponsor's enrollment file in, or a realistic
one out (the work is in claims/imports/)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from claims.context import command_settings, epilog, fraction, identifier, positive
from claims.errors import EXIT_USAGE


def cmd_import(args: argparse.Namespace) -> int:
    from claims.imports.command import ImportOptions, run_import
    from claims.imports.files import UnreadableFile

    settings = command_settings(local_default_key=True)
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
    # Kafka and PostgreSQL failures reach claims/cli.py's main: one line naming which and where.
    print(json.dumps(result.summary(), indent=2))
    if result.rejected_rows:
        print(
            f"{result.rejected_rows:,} row(s) rejected: see {result.report}; re-run with"
            f" --batch-id {result.batch_id} after fixing them to complete the same batch",
            file=sys.stderr,
        )
    return result.exit_code


def cmd_make_import_file(args: argparse.Namespace) -> int:
    from claims.imports.files import UnreadableFile
    from claims.imports.make_file import truth_path, write_import_file

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


def register(sub: Any) -> None:
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
        epilog=epilog(
            "KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, IMPORT_DATABASE_URL (else DATABASE_URL),"
            " NIK_HASH_KEY (the workers' key: a local demo key when unset), NIK_HASH_KEY_ID,"
            " NIK_HASH_PREVIOUS_KEYS (rotation)"
        ),
    )
    i.add_argument("file", type=Path, help="the sponsor's file (.csv or .jsonl)")
    i.add_argument("--sponsor-id", required=True, type=identifier, help="e.g. pemprov-dki")
    i.add_argument(
        "--batch-id",
        type=identifier,
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
        epilog=epilog("none (writes files only)"),
    )
    m.add_argument("out", type=Path, help="OUT.csv or OUT.jsonl")
    m.add_argument("--rows", type=positive, default=250_000, help="data rows (default 250000)")
    m.add_argument("--work-units", type=positive, default=300, help="work units (default 300)")
    m.add_argument(
        "--bad-fraction", type=fraction, default=0.01, help="share of bad rows (default 0.01)"
    )
    m.add_argument("--seed", type=int, default=2016, help="makes the file deterministic")
    m.add_argument("--format", choices=("csv", "jsonl"), help="default: from the extension")
    m.set_defaults(func=cmd_make_import_file)
