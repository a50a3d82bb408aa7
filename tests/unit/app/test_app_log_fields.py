"""Log lines about one event: where it is and its claim id, as JSON keys, never the NIK."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from app_events import CLAIM, claim, codec

from streams.ops.logs import JsonFormatter, event_fields

NIK = "3171014501900001"


def record_with(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "streams.app", logging.WARNING, __file__, 1, "dead-lettered", (), None
    )
    record.__dict__.update(extra)  # what `extra=` does
    return record


def test_the_json_line_carries_the_event_fields_as_keys_of_their_own() -> None:
    line = JsonFormatter().format(
        record_with(
            topic="bpjs.participant-events.v1",
            partition=3,
            offset=41,
            claim_id="KLM-1",
            consumer="participant-events",
            error_class="InvalidEvent",
        )
    )
    out = json.loads(line)
    assert (out["topic"], out["partition"], out["offset"]) == ("bpjs.participant-events.v1", 3, 41)
    assert (out["claim_id"], out["consumer"], out["error_class"]) == (
        "KLM-1",
        "participant-events",
        "InvalidEvent",
    )
    assert out["message"] == "dead-lettered"


def test_a_json_line_without_event_fields_has_none_of_their_keys() -> None:
    out = json.loads(JsonFormatter().format(record_with()))
    assert set(out) == {"ts", "level", "logger", "message"}


def test_event_fields_name_the_position_and_the_claim_but_never_the_key_or_the_value() -> None:
    value = codec().encode(CLAIM, claim("KLM-JKK-2025-000777", nik=NIK))
    message = SimpleNamespace(
        topic="bpjs.participant-events.v1", partition=5, offset=12, key=b"24012345678", value=value
    )
    fields = event_fields(message, codec().decode, consumer="participant-events")
    assert fields == {
        "topic": "bpjs.participant-events.v1",
        "partition": 5,
        "offset": 12,
        "consumer": "participant-events",
        "claim_id": "KLM-JKK-2025-000777",
    }
    assert NIK not in json.dumps(fields)


def test_a_value_that_does_not_decode_still_gives_its_position() -> None:
    message = SimpleNamespace(topic="t", partition=0, offset=1, key=None, value=b"not avro")
    assert event_fields(message, codec().decode) == {"topic": "t", "partition": 0, "offset": 1}
