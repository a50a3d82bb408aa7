"""The log line of a dead-lettered event: topic[partition]@offset and the claim id, never a NIK."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from streams_support import Worker, eventually, fixture

from streams.kafka.codec import AvroCodec
from streams.ops.logs import JsonFormatter

KPJ = "24012345678"
NIK = "3171014501900001"
OTHER_NIK = "3171014501900002"
ENROLLED = "bpjs.enrollment.ParticipantEnrolled"
CLAIM = "bpjs.claim.ClaimSubmitted"
DEAD_LETTERS = "bpjs.dead-letters.v1"
TEXT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def bad_claims(codec: AvroCodec) -> dict[str, tuple[list[bytes], str]]:
    """Per case: the events to send (the bad claim last) and the error class it must get."""
    enrolled = codec.encode(ENROLLED, fixture(codec, ENROLLED))
    return {
        "a NIK of 15 digits": (
            [codec.encode(CLAIM, fixture(codec, CLAIM, claim_id="KLM-BAD-1", nik=NIK[:15]))],
            "InvalidEvent",
        ),
        "another person's NIK": (
            [
                enrolled,
                codec.encode(CLAIM, fixture(codec, CLAIM, claim_id="KLM-BAD-1", nik=OTHER_NIK)),
            ],
            "IdentityMismatch",
        ),
    }


@pytest.mark.parametrize("case", ["a NIK of 15 digits", "another person's NIK"])
async def test_a_dead_letter_log_line_names_the_event_and_its_claim_but_no_nik(
    worker: Worker, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    codec = worker.pipe.codec
    values, error_class = bad_claims(codec)[case]
    caplog.set_level(logging.WARNING)
    async with worker.app.agents["participant-events"].test_context() as a:
        for value in values:
            await a.put(value, key=KPJ.encode())
        await eventually(lambda: bool(worker.producer.to(DEAD_LETTERS)))
    (record,) = [r for r in caplog.records if r.getMessage().startswith("dead-lettered")]
    line = JsonFormatter().format(record)
    out: dict[str, Any] = json.loads(line)
    assert (out["topic"], out["partition"], out["offset"]) == (
        "bpjs.participant-events.v1",
        0,
        len(values) - 1,
    )
    assert out["claim_id"] == "KLM-BAD-1"
    assert (out["error_class"], out["consumer"]) == (error_class, "participant-events")
    assert f"bpjs.participant-events.v1[0]@{len(values) - 1}" in out["message"]
    for nik in (NIK, NIK[:15], OTHER_NIK):
        assert nik not in line
        assert nik not in TEXT.format(record)
