"""CPU per call of the pure-Python claim path: ParticipantEvents.apply and the ClaimDecided encode.

No Kafka, no PostgreSQL: one realistic participant (PU, all four programs, ten years of monthly
contributions, then resigned) is built through the handler from records encoded and decoded by
the codec, exactly as the agent receives them; then each call is timed on that state. Figures are
CPU microseconds per call (time.process_time: a noisy neighbour on the shared cores slows the
wall clock more than our CPU time), the median of ROUNDS rounds.

    .venv/bin/python bench/claim_path_bench.py [--rounds 5] [--seconds 0.4] [--json PATH]

The `digest` column hashes each result (decision, assessment inputs, state, row) with the clock's
fields left out: equal digests before and after a change mean equal results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from claim_path_participant import (
    CLAIM,
    DECIDED,
    ENROLLED,
    MONTHS,
    NOW,
    POSTED,
    Events,
    at,
    build,
)
from faust.serializers import codecs

from services.app.adjudication import Applied, ParticipantEvents
from services.app.assessment_inputs import encode_inputs
from services.app.translation import to_claim, to_coverage
from services.rules import assess, default_rules
from streams.kafka.codec import AvroCodec

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
KEY = "bench-key-not-for-production-0123456789"
CLOCK_FIELDS = frozenset({"occurred_at"})


Timer = Callable[[Callable[[], object]], float]


def cpu_us(action: Callable[[], object], rounds: int, seconds: float) -> float:
    """Median over `rounds` of CPU µs per call; each round runs about `seconds` of calls."""
    action()  # warm caches the way a long-running worker has them warm
    started = time.process_time()
    action()
    once = max(time.process_time() - started, 1e-6)
    calls = max(20, int(seconds / once))
    figures = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            action()
        figures.append((time.process_time() - started) / calls * 1e6)
    return statistics.median(figures)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if k not in CLOCK_FIELDS}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def digest(result: Applied) -> str:
    """The result without the clock, hashed: decisions, the row, and what adjudication reads."""
    row = None if result.row is None else asdict(result.row)
    if row is not None:
        row["coverage_json"] = None  # the snapshot's layout may change with the state's format
    state = None
    if result.state is not None:
        # What the rules read of the ledger, whatever layout the state keeps it in.
        months = [asdict(m) for m in to_coverage(result.state, lambda _sid: None).contributions]
        state = {"months": months, "claims": result.state["claims"], "pos": result.state["pos"]}
    decisions = [_plain(d) for d in result.decisions]
    for d in decisions:
        d.pop("event_id", None)  # a uuid5 of the claim id: stable, but noise in the digest
    text = json.dumps(_plain([decisions, row, state]), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


Figures = list[tuple[str, float, str]]


def claim_figures(
    built: dict[str, Any], handler: ParticipantEvents, codec: AvroCodec, time_it: Timer
) -> Figures:
    """Each claim through apply, then its parts alone: coverage, rules, inputs, Avro encode."""
    state, sponsors, pos = built["state"], built["sponsors"], at(built["offset"])
    figures: Figures = []
    for program, record in built["claims"].items():
        result = handler.apply(CLAIM, record, state, sponsors, pos, NOW)
        (decision,) = result.decisions
        claim = to_claim(record)
        coverage = to_coverage(state, sponsors)
        parts: dict[str, Callable[[], object]] = {
            f"apply ClaimSubmitted {program} ({decision['outcome'].lower()})": lambda r=record: (
                handler.apply(CLAIM, r, state, sponsors, pos, NOW)
            ),
            "  to_coverage": lambda: to_coverage(state, sponsors),
            "  assess": lambda c=claim, cov=coverage: assess(c, cov, (), handler.rules),
            "  encode_inputs": lambda c=claim, cov=coverage: encode_inputs(c, cov, ()),
            "  codec.encode ClaimDecided": lambda d=decision: codec.encode(DECIDED, d),
        }
        for n, (label, action) in enumerate(parts.items()):
            figures.append((label, time_it(action), digest(result) if n == 0 else ""))
    return figures


def event_figures(
    built: dict[str, Any], handler: ParticipantEvents, events: Events, time_it: Timer
) -> Figures:
    """The events that come far more often than claims: postings and enrolments; and what the
    table's changelog does with every state set (Faust's json codec, as the app configures it)."""
    sponsors, pos = built["sponsors"], at(built["offset"])
    before_last, last = built["before_last"], built["last_posting"]
    enrolment = events.enrolled(kpj="16012345679")
    json_codec = codecs.get_codec("json")
    stored = json_codec.dumps(built["state"])
    applies: dict[str, Callable[[], Applied]] = {
        f"apply ContributionPosted (month {MONTHS} of {MONTHS})": lambda: handler.apply(
            POSTED, last, before_last, sponsors, pos, NOW
        ),
        "apply ParticipantEnrolled (new)": lambda: handler.apply(
            ENROLLED, enrolment, None, sponsors, at(0), NOW
        ),
    }
    figures = [(label, time_it(a), digest(a())) for label, a in applies.items()]
    figures.append(
        (
            f"changelog dumps, state of {MONTHS} months",
            time_it(lambda: json_codec.dumps(built["state"])),
            "",
        )
    )
    figures.append(
        (f"changelog loads ({len(stored)} bytes)", time_it(lambda: json_codec.loads(stored)), "")
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.4, help="CPU seconds per round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    codec = AvroCodec.from_directory(SCHEMAS)
    handler = ParticipantEvents(default_rules(), KEY)
    events = Events(codec)
    built = build(handler, events)

    def time_it(action: Callable[[], object]) -> float:
        return cpu_us(action, args.rounds, args.seconds)

    figures = claim_figures(built, handler, codec, time_it)
    figures += event_figures(built, handler, events, time_it)
    print(f"claim path, CPU µs per call (median of {args.rounds} rounds)")
    width = max(len(label) for label, _, _ in figures)
    print(f"{'':{width}}  {'µs':>9}  digest")
    for label, us, dig in figures:
        print(f"{label:{width}}  {us:>9.1f}  {dig}")
    if args.json:
        args.json.write_text(json.dumps([list(f) for f in figures], indent=2))


if __name__ == "__main__":
    main()
