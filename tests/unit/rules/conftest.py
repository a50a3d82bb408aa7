"""Shared fixtures for the rules tests."""

from __future__ import annotations

import pytest

from services.rules import RuleSet, default_rules


@pytest.fixture
def rules() -> RuleSet:
    """The default rule set."""
    return default_rules()
