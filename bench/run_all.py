"""`make bench`: codec, enrollment and claim figures beside raw limits of the same run (medians)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import harness
import import_bench
import pipeline_bench as pb
import workers

Rounds = list[dict[str, float]]


def _wait_idle() -> float:
    return float(os.environ.get("BENCH_WAIT_IDLE", 300))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--claims",
        type=int,
        default=_env_int("BENCH_CLAIMS", 2_000),
        help="claims submitted per round (env BENCH_CLAIMS)",
    )
    p.add_argument(
        "--enrollments",
        type=int,
        default=_env_int("BENCH_ENROLLMENTS", 50_000),
        help="BPU enrollments per round (env BENCH_ENROLLMENTS)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=_env_int("BENCH_ROUNDS", 3),
        help="rounds per figure; medians are reported (env BENCH_ROUNDS)",
    )
    p.add_argument("--seed", type=int, default=_env_int("BENCH_SEED", 2016))
    p.add_argument(
        "--timeout",
        type=float,
        default=_env_int("BENCH_TIMEOUT", 900),
        help="seconds a phase may take before the bench gives up",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        default=bool(os.environ.get("BENCH_PROFILE")),
        help="py-spy the worker in round 1 (adds overhead; env BENCH_PROFILE)",
    )
    p.add_argument(
        "--skip",
        choices=("codec", "enrollments", "claims", "import"),
        action="append",
        default=[],
        help="leave a part out (repeatable)",
    )
    return p.parse_args()


def _commit() -> str:
    """The commit measured, marked dirty when the working tree has changes."""
    out = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=harness.ROOT, capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


def codec_figures() -> str:
    """bench/codec_bench.py as it prints itself (it measures its own raw-fastavro limit)."""
    out = subprocess.run(
        [sys.executable, str(harness.ROOT / "bench" / "codec_bench.py")],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def _m(rounds: Rounds, key: str) -> float:
    return harness.median([r[key] for r in rounds])


def enrollment_summary(rounds: Rounds) -> dict[str, Any]:
    n = _m(rounds, "enrollments")
    pipeline_s, consume_s, copy_s = (_m(rounds, k) for k in ("seconds", "raw_consume_s", "copy_s"))
    return {
        "enrollments": n,
        "pipeline_s": pipeline_s,
        "pipeline_per_s": n / pipeline_s,
        "raw_consume_s": consume_s,
        "raw_consume_per_s": n / consume_s,
        "copy_s": copy_s,
        "copy_per_s": _m(rounds, "copy_rows") / copy_s,
        "pipeline_over_consume": pipeline_s / consume_s,
        "pipeline_over_copy": pipeline_s / copy_s,
        "produce_s": _m(rounds, "produce_s"),
        "persisted": _m(rounds, "persisted"),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in rounds),
        "cpu_us_per_event": _m(rounds, "worker_cpu_us_per_event"),
        "rounds": rounds,
    }


def claims_summary(rounds: Rounds) -> dict[str, Any]:
    rates = [r["claims"] / r["seconds"] for r in rounds]
    raw = [r["raw_consume_n"] / r["raw_consume_s"] for r in rounds]
    rate, raw_rate = harness.median(rates), harness.median(raw)
    return {
        "claims": _m(rounds, "claims"),
        "settled": _m(rounds, "settled"),
        "decided": _m(rounds, "decided"),
        "claims_per_s": rate,
        "raw_consume_per_s": raw_rate,
        "ratio": rate / raw_rate,
        "p50_s": _m(rounds, "p50_s"),
        "p99_s": _m(rounds, "p99_s"),
        "produce_s": _m(rounds, "produce_s"),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in rounds),
        "cpu_us_per_claim": _m(rounds, "worker_cpu_us_per_claim"),
        "rounds": rounds,
    }


async def run_rounds(phase: str, build: Any, run: Any, n: int, args: argparse.Namespace) -> Rounds:
    started = time.perf_counter()
    workload = await asyncio.to_thread(build, n, args.seed)
    print(
        f"{phase}: built {len(workload.setup):,} setup + {len(workload.timed):,} timed events"
        f" in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    rounds: Rounds = []
    for i in range(args.rounds):
        out = harness.RESULTS / f"profile-{phase}.txt" if args.profile and i == 0 else None
        rounds.append(await run(harness.bench_settings(), workload, args.timeout, out))
        print(
            f"{phase} round {i + 1}/{args.rounds}: "
            + ", ".join(f"{k}={v:,.3f}" for k, v in rounds[-1].items()),
            flush=True,
        )
    return rounds


def print_table(results: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str, str]] = []
    if e := results.get("enrollments"):
        rows += [
            (
                f"{e['enrollments']:,.0f} enrollments persisted",
                f"{e['pipeline_s']:.1f} s",
                f"consume {e['raw_consume_s']:.1f} s",
                f"{e['pipeline_over_consume']:.1f}x",
            ),
            (
                "  (same rows)",
                f"{e['pipeline_per_s']:,.0f}/s",
                f"COPY {e['copy_s']:.1f} s",
                f"{e['pipeline_over_copy']:.1f}x",
            ),
            ("  worker CPU per enrollment", f"{e['cpu_us_per_event']:,.0f} µs", "", ""),
        ]
    if c := results.get("claims"):
        rows += [
            (
                f"claims end to end ({c['claims']:,.0f})",
                f"{c['claims_per_s']:,.0f} claims/s",
                f"consume {c['raw_consume_per_s']:,.0f} msg/s",
                f"{c['ratio']:.3f}",
            ),
            ("  latency submit->settled", f"p50 {c['p50_s']:.2f} s", f"p99 {c['p99_s']:.2f} s", ""),
            ("  worker CPU per claim", f"{c['cpu_us_per_claim']:,.0f} µs", "", ""),
        ]
    if p := results.get("claims_paced"):
        rate = p["rounds"][0]["paced_per_s"]
        rows += [
            (
                f"claims paced at {rate:,.0f}/s",
                f"p50 {p['p50_s']:.2f} s",
                f"p99 {p['p99_s']:.2f} s",
                "",
            ),
        ]
    rss = max(
        (results[k]["peak_rss_mib"] for k in ("enrollments", "claims") if k in results),
        default=None,
    )
    if rss is not None:
        rows.append(("worker peak RSS (VmHWM)", f"{rss:,.0f} MiB", "", ""))
    print(f"\n{'figure (median of rounds)':34}{'measured':>18}{'limit, same run':>24}{'ratio':>8}")
    for label, value, limit, ratio in rows:
        print(f"{label:34}{value:>18}{limit:>24}{ratio:>8}")


async def main() -> int:
    args = parse_args()
    settings = harness.bench_settings()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kafka": settings.kafka_bootstrap_servers,
        "rounds": args.rounds,
        "commit": _commit(),
        "batch_size": settings.batch_size,
        "batch_env": {
            k: os.environ[k] for k in ("BATCH_SIZE", "BATCH_LINGER_SECONDS") if k in os.environ
        },
        "cpus": os.cpu_count(),
        "workers": workers.worker_count(),
        "isolated": harness.isolated(),
        "other_active_groups": harness.wait_for_quiet(settings, _wait_idle()),
    }
    results["measuring_from"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"measuring from {results['measuring_from']} on Kafka {results['kafka']}", flush=True)
    if results["other_active_groups"]:
        print(
            f"WARNING: other consumer groups are active ({results['other_active_groups']}):"
            " they share the CPUs, so the figures are low"
        )
    if not harness.isolated():
        print(
            "NOTE: this service has no TOPIC_PREFIX: every round deletes and recreates the"
            " service's shared topics and tables"
        )
    if "codec" not in args.skip:
        results["codec"] = codec_figures()
        print(results["codec"], flush=True)
    if "enrollments" not in args.skip:
        rounds = await run_rounds(
            "enrollments", pb.enrollment_workload, pb.enrollment_round, args.enrollments, args
        )
        results["enrollments"] = enrollment_summary(rounds)
    if "claims" not in args.skip:
        rounds = await run_rounds("claims", pb.claims_workload, pb.claims_round, args.claims, args)
        results["claims"] = claims_summary(rounds)
        # Latency at a sustainable load: the same claims paced at half the measured maximum.
        rate = results["claims"]["claims_per_s"] / 2
        paced = await run_rounds(
            "claims-paced",
            pb.claims_workload,
            functools.partial(pb.claims_round, rate=rate),
            args.claims,
            args,
        )
        results["claims_paced"] = claims_summary(paced)
    if "import" not in args.skip:  # `claims import`: bench/import_bench.py
        results["import"] = await import_bench.figures(
            _env_int("BENCH_IMPORT_ROWS", 250_000), args.rounds, args.seed
        )
    print_table(results)
    if "import" in results:
        print(import_bench.table(results["import"]))
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    out = harness.RESULTS / "latest.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwritten {out.relative_to(harness.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
