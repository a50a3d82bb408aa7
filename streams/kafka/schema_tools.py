"""Avro schema maintenance command: `check` frozen versions against the current schemas, or
`freeze` the current schemas that changed as new versions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from streams.kafka.schema_catalogue import current_versions, frozen_versions
from streams.kafka.schema_compatibility import check_backward_compatible


def _freeze(directory: Path) -> list[str]:
    """Write v<N+1>.avsc for every schema whose current form differs from its newest version."""
    written = []
    frozen = frozen_versions(directory)
    for name, current in current_versions(directory).items():
        history = frozen.get(name, [])
        if history and history[-1].schema == current.schema:
            continue
        number = (history[-1].version or 0) + 1 if history else 1
        target = directory / "versions" / name / f"v{number}.avsc"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(current.schema, indent=2, ensure_ascii=False) + "\n")
        written.append(str(target))
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m streams.kafka.schema_tools check|freeze [schemas-dir]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["check", "freeze"])
    parser.add_argument("directory", nargs="?", default="schemas", type=Path)
    args = parser.parse_args(argv)
    if args.command == "freeze":
        for path in _freeze(args.directory):
            print(f"wrote {path}")
        return 0
    failures = 0
    frozen = frozen_versions(args.directory)
    for name, current in current_versions(args.directory).items():
        for old in frozen.get(name, []):
            for problem in check_backward_compatible(old.schema, current.schema):
                failures += 1
                print(f"{name} v{old.version} -> current: {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
