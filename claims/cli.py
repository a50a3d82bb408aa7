"""`claims`: the one command-line entry point (worker, run, topics, migrate, status, employer,
owed, payroll, import, make-import-file, readjudicate, dead-letters)."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO, cast

from claims import errors
from claims.commands import (
    dead_letters,
    employer,
    imports,
    owed,
    payroll,
    readjudicate,
    run,
    status,
    worker,
)
from claims.errors import EXIT_CODES
from services.redaction import redactor

# Each command module registers its own parser, in the order `claims --help` lists them.
COMMANDS = (worker, run, status, employer, owed, payroll, imports, readjudicate, dead_letters)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claims", description=__doc__, epilog=EXIT_CODES)
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    words, debug = errors.split_debug(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(words)
    if args.command != "worker":
        sys.argv = [sys.argv[0]]  # faust's worker parses argv; keep ours out of it
    debug = errors.debug_wanted(debug)
    if not debug:
        errors.quiet_clients()
    # Whatever reaches stderr (our lines, a library's, a traceback) loses the configured secrets.
    stderr = sys.stderr
    sys.stderr = cast(TextIO, errors.RedactingStream(stderr, redactor()))
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        raise
    except Exception as e:
        failure = errors.explain(args.command, e)  # one line: what, where, what to do
        if debug:  # the traceback instead, redacted like every line of stderr
            traceback.print_exception(e, file=sys.stderr)
        else:
            print(failure.message, file=sys.stderr)
        return failure.code
    finally:
        sys.stderr = stderr
    return code


if __name__ == "__main__":
    sys.exit(main())
