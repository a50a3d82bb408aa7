"""The import's direct ParticipantEnrolled writer gives exactly AvroCodec.encode's bytes, and
its partitioner exactly Kafka's."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from claims.imports.avro_writer import NAME, EnrollmentWriter, Unsupported, zigzag
from claims.imports.publish import Preparer, kafka_partition, murmur2
from services.app import import_batch
from services.app import import_rows as core
from simulator.import_file import import_rows
from streams.kafka.codec import AvroCodec
from streams.kafka.schema_catalogue import SchemaVersion

TODAY = date(2026, 11, 21)
AT = datetime(2026, 11, 21, 3, 4, 5, 678_000, tzinfo=UTC)


def expected(avro: AvroCodec, e: core.Enrollment, batch: str = "b-1") -> bytes:
    return avro.encode(NAME, import_batch.enrolled_event(e, batch, "pemprov-dki", AT))


def test_every_valid_row_of_a_generated_file_is_written_as_the_codec_writes_it(
    avro: AvroCodec,
) -> None:
    writer = EnrollmentWriter(avro, "b-1", "pemprov-dki", AT)
    checked = 0
    for outcome in core.check_rows(enumerate(import_rows(1500, 15, 0.02, 9).rows, 2), TODAY):
        if isinstance(outcome, core.Enrollment):
            assert writer(outcome, import_batch.event_id("b-1", outcome.kpj)) == expected(
                avro, outcome
            )
            checked += 1
    assert checked > 1400


BASE = core.Enrollment(
    2, "16123456789", "3171014501900001", "SITI", date(1990, 1, 5), "BPU", ("JKK", "JKM"),
    1_000_000, date(2016, 3, 1), "u",
)  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {"jkk_risk_class": 5, "employer_npp": "31001501", "category": "PU",
         "programs": ("JKK", "JKM", "JHT", "JP")},
        {"name": "Ñoño Çağlar 王", "work_unit": "x" * 300},
        {"wage": 9_223_372_036_854_775_807},
        {"wage": 63},
        {"wage": 64},
        {"programs": ()},
        {"birth_date": date(1901, 1, 1), "enrolled_on": date(1970, 1, 1)},
        {"category": "PMI", "jkk_risk_class": 1},
    ],
)  # fmt: skip
def test_edge_values_are_written_as_the_codec_writes_them(
    avro: AvroCodec, changes: dict[str, Any]
) -> None:
    row = BASE._replace(**changes)
    writer = EnrollmentWriter(avro, "b-1", "pemprov-dki", AT)
    assert writer(row, import_batch.event_id("b-1", row.kpj)) == expected(avro, row)


@pytest.mark.parametrize(
    "at",
    [
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
    ],
)
def test_instants_round_as_the_codec_rounds_them(avro: AvroCodec, at: datetime) -> None:
    writer = EnrollmentWriter(avro, "b", "s", at)
    record = import_batch.enrolled_event(BASE, "b", "s", at)
    assert writer(BASE, record["event_id"]) == avro.encode(NAME, record)


def test_another_version_of_the_schema_is_refused_so_the_codec_is_used(avro: AvroCodec) -> None:
    current = avro.schema(NAME)
    schema = json.loads(json.dumps(current.schema))
    schema["fields"].append({"name": "phone", "type": ["null", "string"], "default": None})
    changed = SchemaVersion(NAME, None, schema, current.fingerprint)
    with pytest.raises(Unsupported, match="phone"):
        EnrollmentWriter(AvroCodec({NAME: changed}), "b", "s", AT)


def test_the_preparer_uses_the_direct_writer_for_the_current_schema(avro: AvroCodec) -> None:
    prepare = Preparer(avro, "k" * 32, "b-1", "pemprov-dki", AT, 8)
    (prepared,) = prepare([BASE])
    assert prepared.value == expected(avro, BASE)
    assert prepare._write is not None


@pytest.mark.parametrize(("n", "encoded"), [(0, b"\x00"), (-1, b"\x01"), (1, b"\x02"),
                                             (-64, b"\x7f"), (64, b"\x80\x01")])  # fmt: skip
def test_longs_are_zigzag_varints(n: int, encoded: bytes) -> None:
    assert zigzag(n) == encoded


def test_the_partitioner_is_kafka_s_murmur2_for_keys_of_every_length() -> None:
    rng = random.Random(7)
    for length in range(0, 70):
        for _ in range(50):
            key = rng.randbytes(length)
            assert murmur2(key) == aiokafka_murmur2(key) & 0xFFFFFFFF
    assert kafka_partition(b"16123456789", 8) == (aiokafka_murmur2(b"16123456789") & 0x7FFFFFFF) % 8
