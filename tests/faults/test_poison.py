"""Poison on every consumed topic, mid-stream: each message lands in the dead letters with a
precise error, and everything after it is still processed exactly as without the poison."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from datetime import date
from typing import Any

import fastavro

from streams.kafka import topics as T
from tests.e2e.events import enrolled, funded, nik
from tests.faults.harness import (
    MARKS,
    SCHEMAS,
    Message,
    Run,
    check,
    codec,
    record,
    scenario_messages,
)

pytestmark = MARKS

PARTICIPANTS = T.PARTICIPANT_EVENTS.name
SPONSORS = T.SPONSOR_EVENTS.name
APPROVED = [T.approved_topic(p).name for p in ("JHT", "JKK", "JKM", "JP")]
RESULTS = T.PAYMENT_RESULTS.name
CORRECTIONS = T.ACCOUNT_CORRECTIONS.name
PENSIONS = T.BENEFIT_CHANGES.name
DEAD = T.DEAD_LETTERS.name
NEAR_LIMIT = 1_000_000  # bytes: just under the broker's default message.max.bytes (1 MiB)
# What each error class's message must say (the precise error the issue asks for).
SAYS = {
    "BadMarker": "expected marker c3 01",
    "UnknownFingerprint": "no schema with fingerprint",
    "TruncatedMessage": "",  # "body ends early" or "shorter than the 10-byte header"
    "KeyMismatch": "key=",
    "InvalidEvent": "",
}


def latest_fixture(name: str, **overrides: Any) -> dict[str, Any]:
    """The newest fixture of `name`, decoded as the codec decodes it, with fields replaced."""
    path = max((SCHEMAS / "fixtures" / name).glob("v*.json"), key=lambda p: int(p.stem[1:]))
    line = json.dumps(json.loads(path.read_text(encoding="utf-8")))
    schema = codec().schema(name).schema
    return {**next(iter(fastavro.json_reader(io.StringIO(line), schema))), **overrides}


def encode(name: str, record: dict[str, Any]) -> bytes:
    return codec().encode(name, record)


def byte_poison(topic: str, key: bytes | None, valid: bytes, rng: random.Random) -> list[Message]:
    """Wrong magic bytes, an unknown fingerprint, a truncated body, random bytes, an empty
    value: each undecodable, whatever the topic."""
    return [
        Message(topic, key, b"\x00\x01" + valid[2:], "wrong magic bytes", "BadMarker"),
        Message(topic, key, valid[:2] + bytes(8) + valid[10:], "unknown fingerprint",
                "UnknownFingerprint"),
        Message(topic, key, valid[: len(valid) // 2], "truncated body", "TruncatedMessage"),
        Message(topic, key, b"\xa5" + rng.randbytes(299), "random bytes", "BadMarker"),
        Message(topic, key, b"", "empty value", "TruncatedMessage"),
    ]  # fmt: skip


def near_limit(topic: str, key: bytes, valid: bytes, rng: random.Random) -> Message:
    return Message(topic, key, valid[:10] + rng.randbytes(NEAR_LIMIT), "value near the size limit",
                   "TruncatedMessage")  # fmt: skip


def poison() -> list[Message]:
    """Bad messages for every topic a worker consumes; the people, sponsors and claims they
    name are not in the scenario, so whatever slipped through would show as a difference."""
    rng = random.Random("poison")
    out: list[Message] = []
    kpj = "39900000001"
    person = enrolled(kpj, date(1980, 6, 15), 9001, "BPU", ["JKK", "JKM"], 3_000_000,
                      date(2024, 1, 1))  # fmt: skip
    person_bytes = encode(T.PARTICIPANT, person)
    bad_nik = nik(date(1980, 6, 15), 9001, province="99")
    out += byte_poison(PARTICIPANTS, kpj.encode(), person_bytes, rng)
    out += [
        near_limit(PARTICIPANTS, kpj.encode(), person_bytes, rng),
        Message(PARTICIPANTS, None, person_bytes, "null key", "KeyMismatch"),
        Message(PARTICIPANTS, b"39900000002", person_bytes, "key not its KPJ", "KeyMismatch"),
        Message(PARTICIPANTS, kpj.encode(),
                encode(T.PARTICIPANT, {**person, "nik": bad_nik}),
                "bad NIK (unknown province)", "InvalidEvent"),
        Message(PARTICIPANTS, kpj.encode(),
                encode(T.PARTICIPANT, {**person, "birth_date": date(1850, 1, 1)}),
                "impossible date (born 1850)", "InvalidEvent"),
        Message(PARTICIPANTS, kpj.encode(), encode(T.PARTICIPANT, {**person, "wage": -1}),
                "negative wage", "InvalidEvent"),
    ]  # fmt: skip

    cohort = funded("poison-sponsor", date(2024, 1, 1), date(2024, 12, 31), ["JKK", "JKM"])
    cohort_bytes = encode(T.COHORT_FUNDED, cohort)
    out += byte_poison(SPONSORS, b"poison-sponsor", cohort_bytes, rng)
    out += [
        Message(SPONSORS, None, cohort_bytes, "null key", "KeyMismatch"),
        Message(SPONSORS, b"poison-sponsor",
                encode(T.COHORT_FUNDED, {**cohort, "period_end": date(2023, 1, 1)}),
                "impossible period (ends before it starts)", "InvalidEvent"),
        Message(SPONSORS, b"poison-sponsor", encode(T.COHORT_FUNDED, {**cohort, "budget": -5}),
                "negative budget", "InvalidEvent"),
    ]  # fmt: skip

    result = latest_fixture(T.PAYMENT_RESULT, claim_id="POISON-RESULT-1")
    result_bytes = encode(T.PAYMENT_RESULT, result)
    for i, topic in enumerate(APPROVED, start=1):  # the decisions topic has no consumer here
        claim_id = f"POISON-DECIDED-{i}"
        decided = latest_fixture(T.CLAIM_DECIDED, claim_id=claim_id, outcome="APPROVED")
        valid = encode(T.CLAIM_DECIDED, decided)
        out += byte_poison(topic, claim_id.encode(), valid, rng)
        out += [
            Message(topic, None, valid, "null key", "KeyMismatch"),
            Message(topic, claim_id.encode(), result_bytes, "another topic's schema",
                    "InvalidEvent"),
        ]  # fmt: skip
    out += byte_poison(RESULTS, b"POISON-RESULT-1", result_bytes, rng)
    out += [
        near_limit(RESULTS, b"POISON-RESULT-1", result_bytes, rng),
        Message(RESULTS, None, result_bytes, "null key", "KeyMismatch"),
        Message(RESULTS, b"POISON-RESULT-1",
                encode(T.PAYMENT_RESULT, {**result, "status": "PAID", "paid_on": None}),
                "PAID without its date", "InvalidEvent"),
    ]  # fmt: skip
    fix = latest_fixture(T.ACCOUNT_CORRECTED, claim_id="POISON-CORRECTED-1")
    fix_bytes = encode(T.ACCOUNT_CORRECTED, fix)
    bad_account = {**fix["payee"], "account_number": "12-34"}
    out += byte_poison(CORRECTIONS, b"POISON-CORRECTED-1", fix_bytes, rng)
    out += [
        Message(CORRECTIONS, None, fix_bytes, "null key", "KeyMismatch"),
        Message(CORRECTIONS, b"POISON-CORRECTED-1",
                encode(T.ACCOUNT_CORRECTED, {**fix, "payee": bad_account}),
                "account number not digits", "InvalidEvent"),
        Message(CORRECTIONS, b"POISON-CORRECTED-1", result_bytes, "another topic's schema",
                "InvalidEvent"),
    ]  # fmt: skip
    change = latest_fixture(T.PENSION_CHANGED, claim_id="POISON-PENSION-1")
    change_bytes = encode(T.PENSION_CHANGED, change)
    out += byte_poison(PENSIONS, b"POISON-PENSION-1", change_bytes, rng)
    out += [
        Message(PENSIONS, None, change_bytes, "null key", "KeyMismatch"),
        Message(PENSIONS, b"POISON-PENSION-1",
                encode(T.PENSION_CHANGED, {**change, "change": "CHILD_LEFT", "child_name": None}),
                "a child left, no child named", "InvalidEvent"),
        Message(PENSIONS, b"POISON-PENSION-1",
                encode(T.PENSION_CHANGED, {**change, "payee": None}),
                "survivors named without their account", "InvalidEvent"),
        Message(PENSIONS, b"POISON-PENSION-1", result_bytes, "another topic's schema",
                "InvalidEvent"),
    ]  # fmt: skip
    stopped = latest_fixture(T.SCHOLARSHIP_STOPPED, claim_id="POISON-PENSION-1")
    out.append(Message(PENSIONS, b"POISON-PENSION-1",
                       encode(T.SCHOLARSHIP_STOPPED, {**stopped, "child": 0}),
                       "a scholarship of child 0", "InvalidEvent"))  # fmt: skip
    out += byte_poison(DEAD, PARTICIPANTS.encode(), encode(T.PAYMENT_RESULT, result), rng)[:4]
    out.append(Message(DEAD, PARTICIPANTS.encode(), result_bytes, "another topic's schema",
                       "InvalidEvent"))  # fmt: skip
    return out


def interleave(messages: tuple[Message, ...], bad: list[Message]) -> list[Message]:
    """The poison spread between 20% and 80% of the stream, in a fixed order."""
    out = list(messages)
    rng = random.Random("interleave")
    for m in bad:
        out.insert(rng.randint(len(out) // 5, 4 * len(out) // 5), m)
    return out


def test_poison_on_every_consumed_topic(run: Run, baseline: dict[str, Any]) -> None:
    bad = poison()
    # Every topic a worker consumes (the instructions go to the payment services, the decisions
    # to case management and audit).
    assert {m.topic for m in bad} == {t.name for t in T.CONSUMED}
    run.add_worker()
    run.payments.start()
    run.publish(interleave(scenario_messages(), bad), rate=400)
    run.wait_quiescent()
    outcome = record(check(run, baseline, exclude_from_baseline={"dead_letters"}))
    assert outcome.passed, "\n".join(outcome.failures)
    # Each poison message is one dead letter, at its own position, with its precise error.
    assert run.publisher is not None
    at = {}
    for m, pos in zip(run.messages, run.publisher.positions, strict=True):
        if m.error_class is not None:
            assert pos is not None
            at[(run.prefix + m.topic, *pos)] = m
    rows = run.db.query(
        'SELECT topic, partition, "offset", error_class, error_message FROM dead_letters'
    )
    found = {(r["topic"], r["partition"], r["offset"]): r for r in rows}
    assert found.keys() == at.keys()
    wrong = [
        (m.poison, m.topic, m.error_class, found[k]["error_class"], found[k]["error_message"])
        for k, m in at.items()
        if found[k]["error_class"] != m.error_class
        or SAYS.get(m.error_class, "") not in found[k]["error_message"]
        or not found[k]["error_message"]
    ]
    assert not wrong, wrong
    assert Counter(r["error_class"] for r in rows)["KeyMismatch"] == sum(
        1 for m in bad if m.error_class == "KeyMismatch"
    )
