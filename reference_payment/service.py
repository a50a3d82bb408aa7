"""A reference payment service: the integration guide for payment teams, in code.

It uses only kafka-python and fastavro and imports nothing from this project: everything it needs
is in schemas/. Run it: `python -m reference_payment.service --help`.

Topics (names get the deployment's TOPIC_PREFIX in front; schemas/asyncapi.yaml has them all)
  consume  bpjs.payment-instructions.v1  key: claim id (UTF-8)  bpjs.payment.PaymentInstruction
  produce  bpjs.payment-results.v1       key: claim id (UTF-8)  bpjs.payment.PaymentResult
  The claim id as key keeps every message about one claim on one partition, in order.

Wire format: Avro single-object encoding (Avro spec, "Single object encoding")
  bytes 0-1   C3 01 (marker)
  bytes 2-9   CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, little-endian
  bytes 10-   the Avro binary body
  The fingerprint names the exact schema version: schemas/<full.name>.avsc is the current one,
  schemas/versions/<full.name>/v<N>.avsc the frozen older ones (`header()` in wire.py computes it
  with fastavro). No schema registry is involved. Dates are days since 1970-01-01, instants
  milliseconds since the epoch (UTC), money `long` whole Rupiah (never a float).

Delivery is at least once: deduplicate on idempotency_key
  Instructions are published from a PostgreSQL outbox and marked published only after the
  broker's acknowledgement, so a crash between the two publishes the same instruction again
  (same instruction_id, same idempotency_key = "claim:<claim id>", one per claim). Pay each
  idempotency_key once; to a redelivered instruction answer with the result already sent (the
  same bytes, same event_id). This reference keeps what it paid in memory; a real service keeps
  it durably, in the same transaction as the payment itself.

Reporting results
  One PaymentResult per instruction, keyed by the claim id, carrying its instruction_id and
  idempotency_key. status PAID needs paid_on (the value date); FAILED needs failure_reason
  (e.g. "account_closed"); a result without them goes to the claims service's dead letters.
  event_id must be stable when the same result is sent again (here: uuid5 of the idempotency
  key, one result per key): the claims service applies each result event once. PAID is final;
  a FAILED claim may later be PAID by a retry, which is a new result with a new event_id. The
  claims service computes statutory late interest from due_date and paid_on (1% a day for JKK
  and JKm).
  Commit the consumer's offsets only after the results are flushed (acks=all) and every one
  of them delivered, as below, so a crash or a long broker outage re-delivers instructions
  rather than losing results. A poll that fails while the broker is away is retried.

Security: a shared cluster takes SASL_SSL with SCRAM-SHA-512 (the secured local stack does:
`SECURE=1 deploy/local/stack up`). Pass `--security-protocol SASL_SSL --sasl-username <user>
--ssl-cafile <CA PEM>` and the password in $KAFKA_SASL_PASSWORD (never on the command line); or
set KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SSL_CAFILE. The
payment principal may read the instructions (with its consumer group) and write the results, and
nothing else.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError

from reference_payment.group import CommitRefusals
from reference_payment.outcomes import Decide, pay_on_due_date
from reference_payment.wire import INSTRUCTIONS, RESULTS, header, load

log = logging.getLogger(__name__)


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
        kafka_options: Mapping[str, Any] | None = None,
        consumer_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap, self.group, self.decide = bootstrap, group, decide
        # Security settings for both clients (`security_options` builds them), e.g. SASL_SSL.
        self.kafka_options = dict(kafka_options or {})
        self.consumer_options = dict(consumer_options or {})  # e.g. session_timeout_ms
        self.consumer: KafkaConsumer | None = None  # the group member, once joined
        self.instructions_topic = topic_prefix + INSTRUCTIONS
        self.results_topic = topic_prefix + RESULTS
        self.instruction = load(schemas, "bpjs.payment.PaymentInstruction")
        self.result = load(schemas, "bpjs.payment.PaymentResult")
        self.instruction_header = header(self.instruction)
        self.result_header = header(self.result)
        # idempotency_key -> the encoded result sent for it (a real service keeps this durably,
        # in the same transaction as the payment itself).
        self.results: dict[str, bytes] = {}
        self.paid = self.failed = self.duplicates = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_outage_log = 0.0

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
        consumer = self._join()
        if consumer is None:
            return
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", linger_ms=10, **self.kafka_options
        )
        refusals = CommitRefusals()
        try:
            while not self._stop.is_set():
                try:
                    batch = consumer.poll(timeout_ms=200)
                except KafkaError as e:
                    # The broker is unreachable (restart, network): the client reconnects by
                    # itself; nothing was consumed, so nothing is lost. Wait and poll again.
                    self._outage(e)
                    continue
                if refusals.stuck():
                    # No commit taken for REJOIN_AFTER_S since one was refused: this member is
                    # out of the group and not coming back by itself (the next batch may never
                    # come). A new consumer joins afresh; this batch and what else was not
                    # committed is delivered again, and answered from `results`.
                    log.warning(
                        "offsets refused for %.0fs (%d commits): rejoining the group",
                        refusals.for_s(),
                        refusals.count,
                    )
                    consumer.close()
                    refusals = CommitRefusals()
                    consumer = self._join()
                    if consumer is None:
                        return
                    continue
                sent = [
                    self._handle(producer, self.decode(msg.value))
                    for records in batch.values()
                    for msg in records
                ]
                if not batch:
                    continue
                producer.flush()  # results are durable before the offsets move on
                if not all(f.succeeded() for f in sent):
                    # A result was not delivered: read the batch again, resend them.
                    log.warning("results not delivered; re-reading the instructions")
                    for tp, records in batch.items():
                        consumer.seek(tp, records[0].offset)
                else:
                    self._commit(consumer, refusals)
        finally:
            producer.close()
            if consumer is not None:
                consumer.close()

    def _join(self) -> KafkaConsumer | None:
        """A consumer in the group, subscribed once the topic's partitions are known (None if
        the service is stopped first)."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            # A group joined before the topic's metadata arrived gets no partitions until the
            # next metadata refresh (5 minutes by default): refresh sooner, and join only once
            # the topic's partitions are known.
            metadata_max_age_ms=10_000,
            **self.kafka_options,
            **self.consumer_options,
        )
        while not consumer.partitions_for_topic(self.instructions_topic):
            if self._stop.wait(0.5):
                consumer.close()
                return None
        consumer.subscribe([self.instructions_topic])
        self.consumer = consumer
        return consumer

    def _outage(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_outage_log > 10:  # one line per 10 s, not one per poll
            log.warning("broker unreachable, retrying: %s", error)
            self._last_outage_log = now
        self._stop.wait(1.0)

    @staticmethod
    def _commit(consumer: KafkaConsumer, refusals: CommitRefusals) -> bool:
        """Commit; True if the group refused it (counted in `refusals`). A commit refused
        because the group is rebalancing (another instance joined, metadata changed) is normal:
        the uncommitted instructions are delivered again, to this instance or another, and the
        idempotency_key
        dedupe (durable, in a real service) makes paying them again a no-op."""
        try:
            consumer.commit()
        except (CommitFailedError, RebalanceInProgressError) as e:
            refusals.refused(e)
            return True
        except KafkaError as e:  # the broker went away after the flush: redelivered, deduplicated
            log.warning("offsets not committed (broker unreachable); will be redelivered: %s", e)
        else:
            refusals.committed()
        return False

    def _handle(self, producer: KafkaProducer, ins: dict[str, Any]) -> Any:
        """Pay an instruction once; return the delivery of its result. A redelivered instruction
        is never paid again, but its result is sent again, byte for byte (same event_id): it may
        be the very result whose delivery failed, and the claims service applies it once."""
        key = ins["idempotency_key"]
        if key in self.results:
            self.duplicates += 1
            return producer.send(
                self.results_topic, key=ins["claim_id"].encode(), value=self.results[key]
            )
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
        self.results[key] = self.encode_result(result)
        if status == "PAID":
            self.paid += 1
        else:
            self.failed += 1
        return producer.send(
            self.results_topic, key=ins["claim_id"].encode(), value=self.results[key]
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="reference-payments", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


if __name__ == "__main__":
    from reference_payment.cli import main  # here, not at the top: the CLI imports this module

    raise SystemExit(main())
