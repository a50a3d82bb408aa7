"""Fixtures for the application-layer tests: the rules, the handler and a covered participant."""

from __future__ import annotations

import pytest
from app_events import ENROLLED, FUNDED, KEY, NOW, POSTED, Sponsors, at, codec, fixture, posting

from services.app import participant_state as ps
from services.app.adjudication import ParticipantEvents
from services.app.sponsor_events import sponsor_change
from services.rules import RuleSet, default_rules
from streams.kafka.codec import AvroCodec

MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05")


@pytest.fixture(scope="session")
def avro() -> AvroCodec:
    return codec()


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return default_rules()


@pytest.fixture
def handler(rules: RuleSet) -> ParticipantEvents:
    return ParticipantEvents(rules, KEY)


@pytest.fixture
def sponsors() -> Sponsors:
    """The fixtures' sponsor (PEMPROV-DKI) funding JKK and JKM through 2025."""
    funded = sponsor_change(FUNDED, fixture(FUNDED), lambda _: None).sponsor_state
    return {"PEMPROV-DKI": funded}.get


@pytest.fixture
def covered(handler: ParticipantEvents, sponsors: Sponsors) -> ps.State:
    """The fixtures' participant, enrolled at offset 0 with five monthly postings (offsets 1-5)."""
    state = handler.apply(ENROLLED, fixture(ENROLLED), None, sponsors, at(0), NOW).state
    for i, month in enumerate(MONTHS, start=1):
        event = posting(month, f"posting-{month}", {"JKK": 10000, "JKM": 6800})
        state = handler.apply(POSTED, event, state, sponsors, at(i), NOW).state
    assert state is not None
    return state
