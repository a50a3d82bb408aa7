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
  schemas/versions/<full.name>/v<N>.avsc the frozen older ones (`header()` below computes it with
  fastavro). No schema registry is involved. Dates are days since 1970-01-01, instants
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

import argparse
import contextlib
import io
import logging
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError

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


REJOIN_AFTER_S = 15.0  # refused commits for this long: the member is out of the group
WARN_EVERY_S = 10.0


class CommitRefusals:
    """Offset commits the group refused since the last one it took.

    A refusal while the group rebalances is normal and brief: the next poll rejoins. Refusals
    that go on for `REJOIN_AFTER_S` mean the member was dropped and is not rejoining by itself.
    kafka-python can stop heartbeating after a rebalance while the consumer still fetches
    (dpkp/kafka-python#2610, fixed upstream by #2617 for 2.x): every commit is then refused
    with RebalanceInProgress until the consumer is replaced. One warning per `WARN_EVERY_S`.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.count = 0
        self.since: float | None = None
        self._warned_at = float("-inf")

    def refused(self, error: Exception) -> None:
        now = self.clock()
        self.count += 1
        if self.since is None:
            self.since = now
        if now - self._warned_at >= WARN_EVERY_S:
            log.warning(
                "offsets not committed (group rebalancing; %d refused in %.0fs); they will be"
                " redelivered: %s",
                self.count,
                now - self.since,
                error,
            )
            self._warned_at = now

    def committed(self) -> None:
        self.count, self.since = 0, None

    def for_s(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since

    def stuck(self) -> bool:
        return self.since is not None and self.for_s() >= REJOIN_AFTER_S


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


def realistic(seed: int) -> Decide:
    """For the demo: most paid on time, some late (interest accrues), a few failed accounts.

    Each outcome is drawn from the seed and the instruction's idempotency key, never from the
    order instructions arrive in: a run with two workers pays exactly as a run with one."""

    def decide(ins: dict[str, Any]) -> tuple[str, date | None, str | None]:
        rng = random.Random(f"{seed}:{ins['idempotency_key']}")
        roll = rng.random()
        if roll < 0.01:
            return "FAILED", None, "account closed"
        if roll < 0.05:
            return "PAID", ins["due_date"] + timedelta(days=rng.randint(1, 5)), None
        return "PAID", ins["due_date"], None

    return decide


def security_options(
    protocol: str, mechanism: str, username: str, password: str, cafile: str | None
) -> dict[str, Any]:
    """kafka-python settings for PLAINTEXT (none) or SASL_SSL (SCRAM, broker verified)."""
    if protocol == "PLAINTEXT":
        return {}
    if protocol != "SASL_SSL":
        raise ValueError(f"security protocol {protocol!r}: expected PLAINTEXT or SASL_SSL")
    if not username or not password:
        raise ValueError("SASL_SSL needs a SASL user name and $KAFKA_SASL_PASSWORD")
    return {
        "security_protocol": protocol,
        "sasl_mechanism": mechanism,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
        "ssl_cafile": cafile or None,
        "ssl_check_hostname": True,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the reference service in the foreground until interrupted."""
    p = argparse.ArgumentParser(
        prog="python -m reference_payment.service",
        description="Consume payment instructions, pay each idempotency key once, publish results.",
    )
    p.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092)",
    )
    p.add_argument(
        "--schemas",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "schemas",
        help="folder of the .avsc files (default: the repository's schemas/)",
    )
    p.add_argument("--group", default="payment-gateway", help="consumer group id")
    p.add_argument(
        "--topic-prefix",
        default=os.environ.get("TOPIC_PREFIX", ""),
        help="prefix of the topic names (default: $TOPIC_PREFIX)",
    )
    p.add_argument(
        "--security-protocol",
        choices=("PLAINTEXT", "SASL_SSL"),
        default=os.environ.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT",
        help="PLAINTEXT or SASL_SSL (default: $KAFKA_SECURITY_PROTOCOL or PLAINTEXT)",
    )
    p.add_argument(
        "--sasl-mechanism",
        choices=("SCRAM-SHA-512", "SCRAM-SHA-256"),
        default=os.environ.get("KAFKA_SASL_MECHANISM") or "SCRAM-SHA-512",
        help="SASL mechanism (default: $KAFKA_SASL_MECHANISM or SCRAM-SHA-512)",
    )
    p.add_argument(
        "--sasl-username",
        default=os.environ.get("KAFKA_SASL_USERNAME", ""),
        help="SASL user (default: $KAFKA_SASL_USERNAME); the password is read from"
        " $KAFKA_SASL_PASSWORD only",
    )
    p.add_argument(
        "--ssl-cafile",
        default=os.environ.get("KAFKA_SSL_CAFILE") or None,
        help="PEM file of the brokers' CA (default: $KAFKA_SSL_CAFILE, else the system's CAs)",
    )
    p.add_argument(
        "--realistic",
        type=int,
        metavar="SEED",
        help="pay some late and fail a few (seeded) instead of paying all on the due date",
    )
    args = p.parse_args(argv)
    try:
        kafka_options = security_options(
            args.security_protocol,
            args.sasl_mechanism,
            args.sasl_username,
            os.environ.get("KAFKA_SASL_PASSWORD", ""),
            args.ssl_cafile,
        )
    except ValueError as e:
        p.error(str(e))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    decide = pay_on_due_date if args.realistic is None else realistic(args.realistic)
    service = ReferencePaymentService(
        args.bootstrap,
        args.schemas,
        group=args.group,
        decide=decide,
        topic_prefix=args.topic_prefix,
        kafka_options=kafka_options,
    )
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    log.info("paying instructions from %s on %s", service.instructions_topic, args.bootstrap)
    with contextlib.suppress(KeyboardInterrupt):
        service.run()
    log.info("stopped: %d paid, %d failed, %d duplicates ignored",
             service.paid, service.failed, service.duplicates)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
