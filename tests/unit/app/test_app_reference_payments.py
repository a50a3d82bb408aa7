"""The reference payment service speaks the codec's wire format and pays each key once."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from app_events import INSTRUCTION, RESULT, SCHEMAS, fixture
from fastavro import parse_schema
from fastavro._schema_common import UnknownType
from fastavro.schema import fingerprint, to_parsing_canonical_form
from kafka.errors import CommitFailedError, RebalanceInProgressError

from reference_payment.group import REJOIN_AFTER_S, CommitRefusals
from reference_payment.outcomes import pay_on_due_date, realistic
from reference_payment.service import ReferencePaymentService
from reference_payment.wire import MARKER, RESULTS, header, load
from streams.kafka.codec import AvroCodec


class FakeProducer:
    """Stands in for KafkaProducer: records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, topic: str, *, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))


def independent_header(name: str) -> bytes:
    """C3 01 + little-endian CRC-64-AVRO of the canonical form, with every named type inlined."""
    named: dict[str, Any] = {}
    pending = sorted(SCHEMAS.glob("bpjs.*.avsc"))
    while pending:  # parse each file once its references are known
        left = []
        for path in pending:
            try:
                parse_schema(json.loads(path.read_text(encoding="utf-8")), named_schemas=named)
            except UnknownType:
                left.append(path)
        assert len(left) < len(pending), f"unresolvable schemas: {left}"
        pending = left
    schema = json.loads((SCHEMAS / f"{name}.avsc").read_text(encoding="utf-8"))
    expanded = parse_schema(schema, named_schemas=dict(named), expand=True)
    canonical = to_parsing_canonical_form(expanded)
    return b"\xc3\x01" + bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


@pytest.fixture(scope="module")
def service() -> ReferencePaymentService:
    return ReferencePaymentService("127.0.0.1:1", SCHEMAS)


@pytest.mark.parametrize("name", [INSTRUCTION, RESULT])
def test_the_header_is_the_codecs_single_object_header(name: str, avro: AvroCodec) -> None:
    expected = independent_header(name)
    assert header(load(SCHEMAS, name)) == expected
    assert avro.encode(name, fixture(name))[:10] == expected
    assert expected[:2] == MARKER


def test_an_instruction_from_the_codec_decodes(
    service: ReferencePaymentService, avro: AvroCodec
) -> None:
    instruction = fixture(INSTRUCTION)
    assert service.decode(avro.encode(INSTRUCTION, instruction)) == instruction


def test_anything_but_an_instruction_is_refused(
    service: ReferencePaymentService, avro: AvroCodec
) -> None:
    with pytest.raises(ValueError, match="not a PaymentInstruction"):
        service.decode(avro.encode(RESULT, fixture(RESULT)))


def test_a_result_it_encodes_decodes_with_the_codec(
    service: ReferencePaymentService, avro: AvroCodec
) -> None:
    result = fixture(RESULT)
    decoded = avro.decode(service.encode_result(result))
    assert (decoded.name, decoded.record) == (RESULT, result)


def test_an_instruction_is_paid_once_however_often_it_is_delivered(avro: AvroCodec) -> None:
    service = ReferencePaymentService("127.0.0.1:1", SCHEMAS)
    producer = FakeProducer()
    instruction = fixture(INSTRUCTION)
    for _ in range(3):
        service._handle(producer, instruction)  # type: ignore[arg-type]
    assert (service.paid, service.duplicates) == (1, 2)
    # Paid once; each redelivery is answered with the same result, byte for byte (same
    # event_id), since it may be the result whose delivery failed: the claims side applies it once.
    assert len(producer.sent) == 3 and len(set(producer.sent)) == 1
    topic, key, value = producer.sent[0]
    assert (topic, key) == (RESULTS, b"KLM-JKK-2025-000123")
    result = avro.decode(value).record
    assert result["idempotency_key"] == instruction["idempotency_key"]
    assert result["instruction_id"] == instruction["instruction_id"]
    assert (result["status"], result["paid_on"], result["failure_reason"]) == (
        "PAID",
        instruction["due_date"],
        None,
    )


def test_results_go_to_the_prefixed_topic_when_a_prefix_is_set() -> None:
    service = ReferencePaymentService("127.0.0.1:1", SCHEMAS, topic_prefix="run-7.")
    producer = FakeProducer()
    service._handle(producer, fixture(INSTRUCTION))  # type: ignore[arg-type]
    assert producer.sent[0][0] == "run-7." + RESULTS
    assert service.instructions_topic == "run-7.bpjs.payment-instructions.v1"


def test_another_idempotency_key_is_paid_again(avro: AvroCodec) -> None:
    service = ReferencePaymentService("127.0.0.1:1", SCHEMAS)
    producer = FakeProducer()
    service._handle(producer, fixture(INSTRUCTION))  # type: ignore[arg-type]
    service._handle(producer, fixture(INSTRUCTION, idempotency_key="other"))  # type: ignore[arg-type]
    assert service.paid == 2 and len(producer.sent) == 2
    ids = {avro.decode(v).record["event_id"] for _, _, v in producer.sent}
    assert len(ids) == 2


def test_a_failed_payment_reports_its_reason(avro: AvroCodec) -> None:
    service = ReferencePaymentService(
        "127.0.0.1:1", SCHEMAS, decide=lambda _: ("FAILED", None, "account closed")
    )
    producer = FakeProducer()
    service._handle(producer, fixture(INSTRUCTION))  # type: ignore[arg-type]
    result = avro.decode(producer.sent[0][2]).record
    assert (result["status"], result["paid_on"], result["failure_reason"]) == (
        "FAILED",
        None,
        "account closed",
    )


def test_the_default_pays_on_the_due_date() -> None:
    assert pay_on_due_date({"due_date": date(2025, 6, 19)}) == ("PAID", date(2025, 6, 19), None)


def test_the_realistic_payer_is_deterministic_and_mostly_on_time() -> None:
    due = date(2025, 6, 19)
    instructions = [{"due_date": due, "idempotency_key": f"claim:CLM{i:013d}"} for i in range(400)]
    decide_a, decide_b = realistic(7), realistic(7)
    a = [decide_a(ins) for ins in instructions]
    # Another payer with the same seed, given the instructions in reverse order (as another
    # worker interleaving would), decides each one alike.
    b = [decide_b(ins) for ins in reversed(instructions)][::-1]
    assert a == b
    assert a != [realistic(8)(ins) for ins in instructions]
    on_time = sum(1 for status, paid, _ in a if status == "PAID" and paid == due)
    assert on_time > 300
    for status, paid, reason in a:
        if status == "PAID":
            assert paid is not None and due <= paid <= due + timedelta(days=5) and reason is None
        else:
            assert (paid, reason) == (None, "account closed")


class RebalancingConsumer:
    """A consumer whose commit is refused because its group is rebalancing."""

    def __init__(self, error: Exception) -> None:
        self.error, self.commits = error, 0

    def commit(self) -> None:
        self.commits += 1
        raise self.error


@pytest.mark.parametrize(
    "error", [RebalanceInProgressError("rebalancing"), CommitFailedError("generation moved on")]
)
def test_a_commit_refused_during_a_rebalance_does_not_stop_the_service(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = RebalancingConsumer(error)
    refusals = CommitRefusals()
    assert ReferencePaymentService._commit(consumer, refusals)  # type: ignore[arg-type]
    assert consumer.commits == 1 and refusals.count == 1
    assert "will be redelivered" in caplog.text


def test_the_security_options_are_plaintext_by_default_and_sasl_ssl_needs_a_login() -> None:
    from reference_payment.cli import security_options

    assert security_options("PLAINTEXT", "SCRAM-SHA-512", "", "", None) == {}
    options = security_options("SASL_SSL", "SCRAM-SHA-512", "payments", "pw", "/ca.pem")
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_plain_username"], options["ssl_cafile"]) == ("payments", "/ca.pem")
    assert options["ssl_check_hostname"] is True
    with pytest.raises(ValueError, match="KAFKA_SASL_PASSWORD"):
        security_options("SASL_SSL", "SCRAM-SHA-512", "payments", "", None)
    with pytest.raises(ValueError, match="expected PLAINTEXT or SASL_SSL"):
        security_options("SSL", "SCRAM-SHA-512", "payments", "pw", None)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_commits_refused_for_a_moment_are_a_rebalance_not_a_lost_member() -> None:
    clock = Clock()
    refusals = CommitRefusals(clock)
    refusals.refused(RuntimeError("rebalancing"))
    clock.now += REJOIN_AFTER_S - 1
    refusals.refused(RuntimeError("rebalancing"))
    assert not refusals.stuck()
    refusals.committed()  # the group took one: the count starts again
    clock.now += 60
    refusals.refused(RuntimeError("rebalancing"))
    assert not refusals.stuck() and refusals.count == 1


def test_commits_refused_on_end_mean_the_member_must_rejoin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """kafka-python can stop heartbeating after a rebalance (dpkp/kafka-python#2610): the
    broker drops the member and every commit is refused. One warning per 10 s, not one per
    commit, and after REJOIN_AFTER_S the service replaces its consumer."""
    clock = Clock()
    refusals = CommitRefusals(clock)
    with caplog.at_level(logging.WARNING, logger="reference_payment.group"):
        for _ in range(400):  # a commit every 50 ms
            refusals.refused(RuntimeError("[Error 27] RebalanceInProgressError"))
            clock.now += 0.05
    assert refusals.stuck() and refusals.count == 400
    assert len(caplog.records) == 2  # at 0 s and at 10 s of the 20 s
    assert "400" not in caplog.records[0].getMessage()
    assert "1 refused in 0s" in caplog.records[0].getMessage()
