"""Session fixtures for the event-contract tests."""

from __future__ import annotations

import pytest
from contract_support import SCHEMAS

from streams.kafka.codec import AvroCodec


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    return AvroCodec.from_directory(SCHEMAS)
