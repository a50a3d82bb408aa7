"""The command line of `python -m reference_payment.service`, with its Kafka security options."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reference_payment.outcomes import pay_on_due_date, realistic
from reference_payment.service import ReferencePaymentService

log = logging.getLogger(__name__)


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
