"""Kafka client security from Settings: one place for every client the service runs.

PLAINTEXT (the loopback default) adds nothing. SASL_SSL adds SCRAM credentials and TLS that
verifies the broker's certificate and host name against KAFKA_SSL_CAFILE (or the system's CAs).
The password leaves its Secret only here, into the client's own configuration.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust

from services.config import Settings


def secured(settings: Settings) -> bool:
    return settings.kafka_security_protocol != "PLAINTEXT"


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the broker's chain and host name (check_hostname, CERT_REQUIRED)."""
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile is not None else None
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


def kafka_python_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient."""
    if not secured(settings):
        return {}
    return {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.value,
        "ssl_context": ssl_context(settings),
    }


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's AIOKafkaProducer (`claims import`)."""
    if not secured(settings):
        return {}
    return {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.value,
        "ssl_context": ssl_context(settings),
    }


def faust_credentials(settings: Settings) -> faust.SASLCredentials | None:
    """`broker_credentials` of the Faust app: SASL over SSL once it has an ssl_context.

    faust-streaming turns SASLCredentials with an ssl_context into security_protocol SASL_SSL
    for its consumer, producer and the client that creates topics (its repr hides the password).
    """
    if not secured(settings):
        return None
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.value,
        ssl_context=ssl_context(settings),
        mechanism=settings.kafka_sasl_mechanism,
    )
