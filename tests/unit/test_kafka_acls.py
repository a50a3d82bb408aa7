"""The ACL policy of streams/kafka/acls.py, as data: who may touch which topic (no broker here;
tests/integration/test_kafka_security.py proves the broker enforces it)."""

from __future__ import annotations

from services.config import Secret, Settings
from streams.kafka import acls
from streams.kafka import topics as T
from streams.kafka.auth import aiokafka_options, faust_credentials, kafka_python_options

PREFIX, APP = "run-1.", "claims-run-1"


def allowed(user: str, operation: str) -> set[str]:
    return {
        g.name
        for g in acls.grants(PREFIX, APP)
        if g.user == user and g.operation == operation and g.resource == "topic"
    }


def test_upstream_may_only_write_the_participant_sponsor_correction_and_pension_topics() -> None:
    grants = [g for g in acls.grants(PREFIX, APP) if g.user == acls.UPSTREAM]
    assert {(g.resource, g.name, g.operation) for g in grants} == {
        ("topic", PREFIX + T.PARTICIPANT_EVENTS.name, "WRITE"),
        ("topic", PREFIX + T.SPONSOR_EVENTS.name, "WRITE"),
        ("topic", PREFIX + T.ACCOUNT_CORRECTIONS.name, "WRITE"),
        ("topic", PREFIX + T.BENEFIT_CHANGES.name, "WRITE"),
    }


def test_pension_changes_are_written_by_the_branches_never_by_payments_or_the_worker() -> None:
    pensions = PREFIX + T.BENEFIT_CHANGES.name
    assert pensions not in allowed(acls.PAYMENTS, "WRITE")
    assert pensions not in allowed(acls.WORKER, "WRITE")
    assert pensions in allowed(acls.WORKER, "READ")


def test_account_corrections_are_written_by_the_branches_never_by_payments_or_the_worker() -> None:
    corrections = PREFIX + T.ACCOUNT_CORRECTIONS.name
    assert corrections not in allowed(acls.PAYMENTS, "WRITE")
    assert corrections not in allowed(acls.WORKER, "WRITE")
    assert corrections in allowed(acls.WORKER, "READ")


def test_payments_read_instructions_and_write_results_and_never_see_a_nik() -> None:
    assert allowed(acls.PAYMENTS, "READ") == {PREFIX + T.PAYMENT_INSTRUCTIONS.name}
    assert allowed(acls.PAYMENTS, "WRITE") == {PREFIX + T.PAYMENT_RESULTS.name}
    groups = {(g.name, g.prefixed) for g in acls.grants(PREFIX, APP) if g.resource == "group"}
    assert (APP, False) in groups  # the worker's, literal: payments cannot join it
    assert ("payment-gateway", True) in groups


def test_the_worker_writes_what_it_produces_and_never_the_upstream_topics() -> None:
    writes = allowed(acls.WORKER, "WRITE")
    assert PREFIX + T.PARTICIPANT_EVENTS.name not in writes
    assert PREFIX + T.SPONSOR_EVENTS.name not in writes
    assert PREFIX + T.PAYMENT_RESULTS.name not in writes
    assert PREFIX + T.PAYMENT_INSTRUCTIONS.name in writes
    assert {PREFIX + t.name for t in T.CONSUMED} <= allowed(acls.WORKER, "READ")


def test_every_grant_names_one_topic_of_the_deployment_or_its_groups() -> None:
    for g in acls.grants(PREFIX, APP):
        if g.resource == "topic":
            assert g.name.startswith(PREFIX) or g.name == acls.leader_topic(APP)
            assert not g.prefixed
        g.acl()  # a valid kafka-python ACL


def test_plaintext_clients_get_no_security_options() -> None:
    plain = Settings()
    assert kafka_python_options(plain) == aiokafka_options(plain) == {}
    assert faust_credentials(plain) is None


def test_sasl_ssl_clients_verify_the_broker_and_hide_the_password() -> None:
    s = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="claims-worker",
        kafka_sasl_password=Secret("pw-not-in-repr"),
    )
    options = kafka_python_options(s)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_context"].check_hostname
    credentials = faust_credentials(s)
    assert credentials is not None
    assert "pw-not-in-repr" not in repr(credentials)
    assert credentials.protocol.value == "SASL_SSL"


def test_a_log_line_that_prints_the_sasl_password_shows_asterisks() -> None:
    import logging

    from services.redaction import Redactor
    from streams.ops.logs import RedactSecrets

    record = logging.LogRecord(
        "kafka.admin.client", logging.DEBUG, __file__, 1, "config: %s", ({"pw": "hunter22"},), None
    )
    assert RedactSecrets(Redactor.of(["hunter22"])).filter(record)
    assert "hunter22" not in record.getMessage()
