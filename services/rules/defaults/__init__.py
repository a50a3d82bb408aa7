"""The default rule set: every table, each row citing its regulation, versioned."""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from services.rules.defaults.benefits import BENEFIT_TABLES
from services.rules.defaults.holidays import NATIONAL_HOLIDAYS, default_calendar
from services.rules.defaults.money import JP_MIN_MAX_2026, MONEY_TABLES
from services.rules.tables import RuleSet

__all__ = ["NATIONAL_HOLIDAYS", "RULES_VERSION", "default_calendar", "default_rules"]

RULES_VERSION = "bpjs-rules-2026.4"
"""Bump when a default value changes; overrides append a hash of themselves."""


@cache
def default_rules() -> RuleSet:
    """The default rules of RULES_VERSION (all tables, keyed by effective date)."""
    tables = dict(BENEFIT_TABLES + MONEY_TABLES)
    for key, rows in JP_MIN_MAX_2026:
        tables[key] = tables[key] + rows
    return RuleSet(RULES_VERSION, MappingProxyType(tables))
