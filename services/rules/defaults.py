"""The default rule set: every table from domain.md, versioned."""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from services.rules.defaults_benefits import BENEFIT_TABLES
from services.rules.defaults_money import JP_MIN_MAX_2026, MONEY_TABLES
from services.rules.tables import RuleSet

RULES_VERSION = "bpjs-rules-2026.1"
"""Bump when a default value changes; overrides append a hash of themselves."""


@cache
def default_rules() -> RuleSet:
    """The rules as of domain.md (all tables, keyed by effective date)."""
    tables = dict(BENEFIT_TABLES + MONEY_TABLES)
    for key, rows in JP_MIN_MAX_2026:
        tables[key] = tables[key] + rows
    return RuleSet(RULES_VERSION, MappingProxyType(tables))
