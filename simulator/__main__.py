"""`python -m simulator --scenario jakarta-2016 --seed 1 --scale 0.01 --count`."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from simulator.scenarios import SCENARIOS, build_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="jakarta-2016")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--count",
        action="store_true",
        help="generate every event and print counts per topic and schema",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scenario = build_scenario(args.scenario, seed=args.seed, scale=args.scale)
    print(json.dumps({"scenario": scenario.name, "expected": scenario.expected}, indent=2))
    if args.count:
        counts: Counter[tuple[str, str]] = Counter(
            (topic, schema) for topic, _, schema, _ in scenario.events()
        )
        for (topic, schema), n in sorted(counts.items()):
            print(f"{topic:30} {schema:45} {n:>10,}")
        print(f"{'total':76} {sum(counts.values()):>10,}")
        print(f"generated in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
