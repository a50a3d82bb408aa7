"""A client built only on kafka-python and fastavro writes events that the project's codec reads."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


# ---- the independent side: no project imports below this line until the codec check


def load_schema(name: str) -> Any:
    """fastavro resolves `<full.name>.avsc` references from the same directory by itself."""
    return fastavro.schema.load_schema(str(SCHEMAS / f"{name}.avsc"), _write_hint=False)


def single_object(schema: Any, record: dict[str, Any]) -> bytes:
    canonical = to_parsing_canonical_form(schema)
    out = io.BytesIO()
    out.write(b"\xc3\x01" + bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")))
    fastavro.schemaless_writer(out, schema, record)
    return out.getvalue()


def samples() -> list[tuple[str, dict[str, Any], bytes]]:
    result = []
    for folder in sorted((SCHEMAS / "fixtures").iterdir()):
        schema = load_schema(folder.name)
        text = json.dumps(json.loads((folder / "v1.json").read_text(encoding="utf-8")))
        record = next(iter(fastavro.json_reader(io.StringIO(text), schema)))
        result.append((folder.name, record, single_object(schema, record)))
    return result


def test_an_independent_client_round_trips_every_event_through_kafka(kafka_bootstrap: str) -> None:
    from streams.kafka.codec import AvroCodec  # the project's side

    topic = f"contract-test-{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="contract-test")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        sent = samples()
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        for name, _record, data in sent:
            producer.send(topic, key=name.encode(), value=data)
        producer.flush(timeout=30)
        producer.close()

        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=15_000,
        )
        received = [message.value for _, message in zip(sent, consumer, strict=False)]
        consumer.close()

        assert len(received) == len(sent)
        codec = AvroCodec.from_directory(SCHEMAS)
        for (name, record, data), value in zip(sent, received, strict=True):
            assert value == data
            decoded = codec.decode(value)
            assert (decoded.name, decoded.record) == (name, record)
    finally:
        admin.delete_topics([topic])
        admin.close()
