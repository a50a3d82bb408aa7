"""Rule tables: dated lookups, typed getters, overrides that change the version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.rules import MissingRule, RuleSet, default_rules
from services.rules.defaults.benefits import BENEFIT_TABLES
from services.rules.defaults.money import MONEY_TABLES


def test_every_rule_key_is_defined_once() -> None:
    keys = [key for key, _ in BENEFIT_TABLES + MONEY_TABLES]
    assert len(keys) == len(set(keys))


def test_every_row_names_a_regulation_and_a_confidence(rules: RuleSet) -> None:
    rows = [row for rows in rules.tables.values() for row in rows]
    assert all(row.regulation and row.confidence in "CSDU" for row in rows)


def test_a_claim_is_judged_by_the_row_in_force_on_its_date(rules: RuleSet) -> None:
    assert rules.amount("jkm.lump_sum", date(2019, 12, 1)) == 16_200_000
    assert rules.amount("jkm.lump_sum", date(2019, 12, 2)) == 20_000_000


def test_a_plain_override_replaces_the_value_and_changes_the_version(rules: RuleSet) -> None:
    changed = rules.with_overrides({"jkm.lump_sum": 25_000_000})
    assert changed.amount("jkm.lump_sum", date(2016, 1, 1)) == 25_000_000
    assert changed.version.startswith(rules.version + "+") and changed.version != rules.version
    assert changed.row("jkm.lump_sum", date(2016, 1, 1)).confidence == "O"
    assert rules.with_overrides({"jkm.lump_sum": 25_000_000}).version == changed.version


def test_a_dated_override_adds_a_row_from_that_date(rules: RuleSet) -> None:
    changed = rules.with_overrides(
        {"jp.retirement_age": [{"effective": "2026-01-01", "value": 61}]}
    )
    assert changed.amount("jp.retirement_age", date(2025, 12, 31)) == 59
    assert changed.amount("jp.retirement_age", date(2026, 6, 1)) == 61


def test_overrides_load_from_json_with_rates_as_decimals(rules: RuleSet) -> None:
    changed = rules.with_json_overrides('{"jht.development_rate": 0.0615, "jht.age": 57}')
    assert changed.rate("jht.development_rate", date(2024, 1, 1)) == Decimal("0.0615")
    assert changed.amount("jht.age", date(2024, 1, 1)) == 57


@pytest.mark.parametrize(
    "overrides",
    [
        {"jkm.lump_sum": 1.5},
        {"jkm.lump_sum": "lots"},
        {"jkm.lump_sum": True},
        {"jkk.death.at_least_jkm_lump_sum": 1},
        {"jkm.lump_sum": [{"value": 1}]},
        {"jkm.lump_sum": ["2020-01-01"]},
    ],
)
def test_overrides_of_the_wrong_type_are_refused(
    rules: RuleSet, overrides: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="override for"):
        rules.with_overrides(overrides)


def test_flags_and_rates_accept_their_own_types(rules: RuleSet) -> None:
    changed = rules.with_overrides(
        {
            "jkk.death.at_least_jkm_lump_sum": False,
            "jkk.death.rate": Decimal("0.6"),
            "jkk.stmb.later_rate": 1,
        }
    )
    assert changed.flag("jkk.death.at_least_jkm_lump_sum", date(2024, 1, 1)) is False
    assert changed.rate("jkk.stmb.later_rate", date(2024, 1, 1)) == 1


def test_an_override_for_an_unknown_rule_is_refused(rules: RuleSet) -> None:
    with pytest.raises(MissingRule):
        rules.with_overrides({"jkm.bonus": 1})


def test_json_overrides_must_be_an_object(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="JSON object"):
        rules.with_json_overrides("[1]")


def test_lookups_fail_loudly_on_missing_tables_rows_or_types(rules: RuleSet) -> None:
    with pytest.raises(MissingRule):
        rules.amount("no.such.rule", date(2024, 1, 1))
    with pytest.raises(MissingRule):
        rules.amount("jkm.lump_sum", date(2015, 1, 1))
    with pytest.raises(TypeError):
        rules.amount("jkk.death.rate", date(2024, 1, 1))
    with pytest.raises(TypeError):
        rules.rate("jkm.lump_sum", date(2024, 1, 1))
    with pytest.raises(TypeError):
        rules.flag("jkm.lump_sum", date(2024, 1, 1))


def test_the_default_rule_set_is_built_once() -> None:
    assert default_rules() is default_rules()
