"""The demo's payment side: the reference payment service run in a thread beside the workers."""

from __future__ import annotations

from reference_payment.outcomes import realistic
from reference_payment.service import ReferencePaymentService
from services.config import Settings
from streams.app import SCHEMAS_DIR
from streams.kafka.auth import kafka_python_options


class PaymentSimulator(ReferencePaymentService):
    """Pays most instructions on their due date, some late (interest accrues), a few fail."""

    def __init__(self, settings: Settings, seed: int) -> None:
        super().__init__(
            settings.kafka_bootstrap_servers,
            SCHEMAS_DIR,
            group=f"{settings.app_id}-payment-gateway-demo",
            decide=realistic(seed),
            topic_prefix=settings.topic_prefix,
            kafka_options=kafka_python_options(settings),
        )
