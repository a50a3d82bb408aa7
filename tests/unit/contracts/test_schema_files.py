"""The .avsc files follow the house rules: one named type per file, docs, null-default optionals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contract_support import SCHEMAS
from fastavro.schema import parse_schema

from streams.kafka.schema_catalogue import (
    NAMED,
    current_versions,
    expand,
    full_name,
    load_definitions,
)
from streams.kafka.topics import value_schemas

DEFINITIONS = load_definitions(SCHEMAS)
MONEY_FIELDS = {"wage", "amount", "budget", "total", "medical_costs", "wage_base"}


def walk(node: Any, path: str = "") -> Any:
    """Yield (path, node) for every schema node, following field and container types."""
    yield path, node
    if isinstance(node, list):
        for branch in node:
            yield from walk(branch, path)
    elif isinstance(node, dict):
        if node.get("type") in {"record", "error"}:
            for field in node["fields"]:
                yield from walk(field["type"], f"{path}.{field['name']}")
        elif node.get("type") == "array":
            yield from walk(node["items"], f"{path}[]")
        elif node.get("type") == "map":
            yield from walk(node["values"], f"{path}{{}}")
        elif isinstance(node.get("type"), (dict, list)):
            yield from walk(node["type"], path)


def fields_of(name: str) -> list[dict[str, Any]]:
    return list(DEFINITIONS[name].get("fields", []))


def test_every_event_named_in_the_design_has_a_schema_file() -> None:
    assert value_schemas() <= set(DEFINITIONS)
    assert (
        len(DEFINITIONS) == 48
    )  # with the payee correction, pension and scholarship changes (#15)


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_schema_parses_on_its_own_once_references_are_expanded(name: str) -> None:
    parse_schema(expand(name, DEFINITIONS), named_schemas={})


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.avsc")), ids=lambda p: p.name)
def test_each_file_defines_exactly_one_named_type_named_like_the_file(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == f"{full_name(schema)}.avsc"
    inline = [n for p, n in walk(schema) if p and isinstance(n, dict) and n.get("type") in NAMED]
    assert inline == [], "define named types in their own file and reference them by full name"


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_type_and_field_has_a_doc(name: str) -> None:
    assert DEFINITIONS[name].get("doc")
    assert [f["name"] for f in fields_of(name) if not f.get("doc")] == []


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_optional_fields_are_null_first_unions_defaulting_to_null(name: str) -> None:
    for field in fields_of(name):
        if isinstance(field["type"], list) and "null" in field["type"]:
            assert field["type"][0] == "null", field["name"]
            assert "default" in field and field["default"] is None, field["name"]


@pytest.mark.parametrize("name", sorted(value_schemas()))
def test_every_event_carries_the_envelope(name: str) -> None:
    first = fields_of(name)[:3]
    assert [(f["name"], f["type"]) for f in first] == [
        ("event_id", "string"),
        ("occurred_at", {"type": "long", "logicalType": "timestamp-millis"}),
        ("source", "string"),
    ]


@pytest.mark.parametrize("name", sorted(current_versions(SCHEMAS)))
def test_no_float_or_double_anywhere_so_money_cannot_be_one(name: str) -> None:
    schema = current_versions(SCHEMAS)[name].schema
    floats = [
        p
        for p, n in walk(schema)
        if n in ("float", "double")
        or (isinstance(n, dict) and n.get("type") in ("float", "double"))
    ]
    assert floats == [], f"{name}: float/double at {floats}; money is long whole Rupiah"


def test_money_fields_are_long_whole_rupiah() -> None:
    seen = 0
    for name in DEFINITIONS:
        for field in fields_of(name):
            if field["name"] in MONEY_FIELDS:
                seen += 1
                kind = field["type"]
                assert kind in ("long", ["null", "long"]), f"{name}.{field['name']}: {kind}"
    assert seen >= 10
