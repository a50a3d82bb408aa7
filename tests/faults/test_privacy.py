"""The privacy scan: after a run with poison, every NIK the run produced is searched for in the
worker logs (text and JSON), /metrics, a pg_dump of the database, and every topic of the run but
the upstream participant topic. It is found only in that topic."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from streams.kafka import topics as T
from tests.faults.harness import MARKS, Message, Run, check, nik_of, record, scenario_messages
from tests.faults.test_poison import interleave, poison

pytestmark = MARKS


def pg_dump(dsn: str) -> bytes:
    """A plain-text pg_dump of the whole database (every schema, every row)."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    assert binaries, "pg_dump not found (Debian's postgresql-client)"
    parts = urlsplit(dsn)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    done = subprocess.run([str(binaries[-1]), "--no-owner", url], capture_output=True,
                          timeout=300, check=True)  # fmt: skip
    return done.stdout


def every_nik(messages: list[Message]) -> set[str]:
    """Every NIK in what the run published: valid or not, decodable or cut short (poison)."""
    niks = {n for m in messages if (n := nik_of(m))}
    for m in messages:  # a truncated body's NIK: read from its whole original in poison()
        if m.poison == "truncated body" and m.topic == T.PARTICIPANT_EVENTS.name:
            niks |= {n for full in messages if full.key == m.key and (n := nik_of(full))}
    return {n for n in niks if n.strip()}


def found_in(blob: bytes, niks: set[str]) -> set[str]:
    """The NIKs that occur anywhere in blob.

    One pass over blob for the all-digit NIKs: every window of every run of digits long enough
    to hold one is looked up in a set. A substring search per NIK (the first version) cost
    len(niks) x len(blob) and took over 15 minutes on a pg_dump once contribution postings were
    stored. The few NIKs that are not all digits (poison) are still searched one by one."""
    digit_niks = {n.encode() for n in niks if n.isascii() and n.isdigit()}
    found = {n for n in niks if n.encode() not in digit_niks and n.encode() in blob}
    lengths = sorted({len(n) for n in digit_niks})
    if not lengths:
        return found
    for match in re.finditer(rb"[0-9]{%d,}" % lengths[0], blob):
        run = match.group()
        for width in lengths:
            for start in range(len(run) - width + 1):
                window = run[start : start + width]
                if window in digit_niks:
                    found.add(window.decode())
    return found


def test_no_clear_nik_outside_the_upstream_topic(run: Run, baseline: dict[str, Any]) -> None:
    run.worker_env["LOG_FORMAT"] = "json"
    run.add_worker()  # JSON logs
    run.worker_env["LOG_FORMAT"] = "text"
    run.add_worker()  # text logs
    run.payments.start()
    run.publish(interleave(scenario_messages(), poison()), rate=400)
    run.wait_quiescent()
    outcome = record(check(run, baseline, exclude_from_baseline={"dead_letters"}))
    assert outcome.passed, "\n".join(outcome.failures)

    niks = every_nik(run.messages)
    assert len(niks) > 1000
    upstream = run.prefix + T.PARTICIPANT_EVENTS.name
    # The scan can see a NIK where one is: the upstream topic holds every valid one.
    raw = b"".join(
        (m.key or b"") + (m.value or b"") for m in run.read_topic(upstream, prefixed=False)
    )
    assert len(found_in(raw, niks)) > 1000

    leaks: dict[str, set[str]] = {}
    for i, w in enumerate(run.workers):
        leaks[f"worker {i} log ({w.env['LOG_FORMAT']})"] = found_in(w.log.read_bytes(), niks)
        leaks[f"worker {i} /metrics"] = found_in(w.metrics().encode(), niks)
    leaks["pg_dump"] = found_in(pg_dump(run.stack.database_url), niks)
    scanned = [t for t in run.topics() if t != upstream]
    assert run.prefix + T.DEAD_LETTERS.name in scanned
    assert not any(t.endswith("-changelog") for t in scanned)  # no Faust table since v2
    for topic in scanned:
        data = b"".join(
            (m.key or b"") + (m.value or b"") for m in run.read_topic(topic, prefixed=False)
        )
        leaks[f"topic {topic}"] = found_in(data, niks)
    assert {where: sorted(n)[:3] for where, n in leaks.items() if n} == {}
    run.notes.append(f"{len(niks)} NIKs searched in {len(leaks)} places: none found")
