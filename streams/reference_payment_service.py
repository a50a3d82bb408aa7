"""A reference payment service: the integration guide for payment teams, in code.

It uses only kafka-python and fastavro and imports nothing from this project: everything it needs
is in schemas/. It consumes bpjs.payment-instructions.v1, deduplicates on idempotency_key (delivery
is at least once), "pays" each instruction, and reports a bpjs.payment.PaymentResult on
bpjs.payment-results.v1, keyed by claim id.

Wire format: Avro single-object encoding — bytes C3 01, the 8-byte little-endian CRC-64-AVRO
fingerprint of the writer schema's canonical form, then the Avro body.
"""

from __future__ import annotations

import io
import logging
import random
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form
from kafka import KafkaConsumer, KafkaProducer

log = logging.getLogger(__name__)
INSTRUCTIONS = "bpjs.payment-instructions.v1"
RESULTS = "bpjs.payment-results.v1"
MARKER = b"\xc3\x01"


def load(schemas: Path, name: str) -> Any:
    """Parse `name` from its .avsc; fastavro resolves `<full.name>.avsc` references by itself."""
    return load_schema(str(schemas / f"{name}.avsc"), _write_hint=False)


def header(schema: Any) -> bytes:
    fp = fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO")
    return MARKER + bytes.fromhex(fp)


Decide = Callable[[dict[str, Any]], tuple[str, date | None, str | None]]


def pay_on_due_date(instruction: dict[str, Any]) -> tuple[str, date | None, str | None]:
    """Default behaviour: every instruction is paid on its due date."""
    return "PAID", instruction["due_date"], None


class ReferencePaymentService:
    """Consume instructions, pay each idempotency_key once, publish results."""

    def __init__(
        self,
        bootstrap: str,
        schemas: Path,
        *,
        group: str = "payment-gateway",
        decide: Decide = pay_on_due_date,
        topic_prefix: str = "",
    ) -> None:
        self.bootstrap, self.group, self.decide = bootstrap, group, decide
        self.instructions_topic = topic_prefix + INSTRUCTIONS
        self.results_topic = topic_prefix + RESULTS
        self.instruction = load(schemas, "bpjs.payment.PaymentInstruction")
        self.result = load(schemas, "bpjs.payment.PaymentResult")
        self.instruction_header = header(self.instruction)
        self.result_header = header(self.result)
        self.paid_keys: set[str] = set()
        self.paid = self.failed = self.duplicates = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def decode(self, data: bytes) -> dict[str, Any]:
        if data[:10] != self.instruction_header:
            raise ValueError("not a PaymentInstruction in single-object encoding")
        record = schemaless_reader(io.BytesIO(data[10:]), self.instruction, None)
        if not isinstance(record, dict):
            raise ValueError("a PaymentInstruction must decode to a record")
        return record

    def encode_result(self, record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(self.result_header)
        schemaless_writer(out, self.result, record)
        return out.getvalue()

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("reference payment service stopped")
            raise

    def _run(self) -> None:
        consumer = KafkaConsumer(
            self.instructions_topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=10)
        try:
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=200)
                for records in batch.values():
                    for msg in records:
                        self._handle(producer, self.decode(msg.value))
                if batch:
                    producer.flush()  # results are durable before the offsets move on
                    consumer.commit()
        finally:
            producer.close()
            consumer.close()

    def _handle(self, producer: KafkaProducer, ins: dict[str, Any]) -> None:
        key = ins["idempotency_key"]
        if key in self.paid_keys:  # a redelivered instruction is never paid twice
            self.duplicates += 1
            return
        status, paid_on, reason = self.decide(ins)
        result = {
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"result/{key}")),
            "occurred_at": datetime.now(UTC),
            "source": self.group,
            "instruction_id": ins["instruction_id"],
            "claim_id": ins["claim_id"],
            "idempotency_key": key,
            "status": status,
            "paid_on": paid_on,
            "failure_reason": reason,
        }
        producer.send(
            self.results_topic, key=ins["claim_id"].encode(), value=self.encode_result(result)
        )
        self.paid_keys.add(key)
        if status == "PAID":
            self.paid += 1
        else:
            self.failed += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="reference-payments", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def realistic(seed: int) -> Decide:
    """For the demo: most paid on time, some late (interest accrues), a few failed accounts."""
    rng = random.Random(seed)

    def decide(ins: dict[str, Any]) -> tuple[str, date | None, str | None]:
        roll = rng.random()
        if roll < 0.01:
            return "FAILED", None, "account closed"
        if roll < 0.05:
            return "PAID", ins["due_date"] + timedelta(days=rng.randint(1, 5)), None
        return "PAID", ins["due_date"], None

    return decide
