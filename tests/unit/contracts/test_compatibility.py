"""Schemas evolve backward-compatibly: old writers stay readable, and the checker catches breaks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from contract_support import SCHEMAS, read_fixture

from streams.kafka.codec import AvroCodec
from streams.kafka.schema_catalogue import current_versions, frozen_versions
from streams.kafka.schema_compatibility import check_backward_compatible
from streams.kafka.topics import value_schemas

CURRENT = current_versions(SCHEMAS)
FROZEN = frozen_versions(SCHEMAS)
OLD_VERSIONS = [(name, v.version) for name, vs in sorted(FROZEN.items()) for v in vs]


@pytest.mark.parametrize("name", sorted(CURRENT))
def test_every_schema_has_a_frozen_v1_and_the_current_file_equals_the_newest(name: str) -> None:
    assert FROZEN.get(name), f"missing schemas/versions/{name}/v1.avsc"
    assert FROZEN[name][0].version == 1
    newest = FROZEN[name][-1]
    assert newest.schema == CURRENT[name].schema, (
        f"{name} changed since v{newest.version}: run `python -m streams.kafka.schema_tools freeze`"
    )


@pytest.mark.parametrize(("name", "version"), OLD_VERSIONS)
def test_every_frozen_version_is_statically_readable_by_the_current_schema(
    name: str, version: int
) -> None:
    old = next(v for v in FROZEN[name] if v.version == version)
    assert check_backward_compatible(old.schema, CURRENT[name].schema) == []


@pytest.mark.parametrize(
    ("name", "version"), [(n, v) for n, v in OLD_VERSIONS if n in value_schemas()]
)
def test_the_sample_written_with_every_frozen_version_decodes_with_the_current_codec(
    codec: AvroCodec, name: str, version: int
) -> None:
    old = next(v for v in FROZEN[name] if v.version == version)
    record = read_fixture(name, version, old.schema)
    written = AvroCodec({name: old}).encode(name, record)
    decoded = codec.decode(written)
    assert decoded.name == name and decoded.writer_fingerprint == old.fingerprint
    assert set(decoded.record) == {f["name"] for f in CURRENT[name].schema["fields"]}


def test_every_event_has_a_sample_for_every_frozen_version() -> None:
    for name in value_schemas():
        for version in FROZEN[name]:
            assert (SCHEMAS / "fixtures" / name / f"v{version.version}.json").is_file()


def claim() -> Any:
    return copy.deepcopy(CURRENT["bpjs.claim.ClaimSubmitted"].schema)


def field(record: Any, name: str) -> Any:
    return next(f for f in record["fields"] if f["name"] == name)


def jkk(schema: Any) -> Any:
    return next(b for b in field(schema, "detail")["type"] if b["name"] == "JkkClaimDetail")


def test_adding_an_optional_field_with_a_default_is_compatible() -> None:
    new = claim()
    new["fields"].append({"name": "channel", "type": ["null", "string"], "default": None})
    assert check_backward_compatible(CURRENT["bpjs.claim.ClaimSubmitted"].schema, new) == []


def test_adding_a_field_without_a_default_names_the_field() -> None:
    new = claim()
    jkk(new)["fields"].append({"name": "hospital_code", "type": ["null", "string"]})
    assert check_backward_compatible(claim(), new) == [
        "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JkkClaimDetail].hospital_code: "
        "field added without a default (old data has no value for it)"
    ]


def test_changing_a_type_names_the_field() -> None:
    new = claim()
    field(new, "kpj")["type"] = "long"
    assert check_backward_compatible(claim(), new) == [
        "bpjs.claim.ClaimSubmitted.kpj: type changed from string to long"
    ]


def test_changing_money_from_long_to_string_names_the_field() -> None:
    new = claim()
    field(jkk(new), "wage")["type"] = "string"
    problems = check_backward_compatible(claim(), new)
    assert problems == [
        "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JkkClaimDetail].wage: "
        "type changed from long to string"
    ]


def test_removing_an_enum_symbol_names_the_field_and_the_symbol() -> None:
    new = claim()
    field(new, "program")["type"]["symbols"].remove("JP")
    assert check_backward_compatible(claim(), new) == [
        "bpjs.claim.ClaimSubmitted.program: enum bpjs.common.Program lost symbol(s) JP "
        "and has no enum default"
    ]


def test_changing_a_logical_type_names_the_field() -> None:
    new = claim()
    field(new, "event_date")["type"] = "int"
    assert check_backward_compatible(claim(), new) == [
        "bpjs.claim.ClaimSubmitted.event_date: logical type changed from date to none"
    ]


def test_removing_a_union_branch_names_the_field_and_the_branch() -> None:
    new = claim()
    field(new, "detail")["type"] = field(new, "detail")["type"][:3]
    problems = check_backward_compatible(claim(), new)
    assert problems == [
        "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JpClaimDetail]: writer type "
        "bpjs.claim.JpClaimDetail matches no branch of [bpjs.claim.JhtClaimDetail, "
        "bpjs.claim.JkkClaimDetail, bpjs.claim.JkmClaimDetail]"
    ]


def test_renaming_a_field_without_an_alias_breaks_but_with_an_alias_is_fine() -> None:
    new = claim()
    field(new, "kpj")["name"] = "kpj_number"
    assert check_backward_compatible(claim(), new) == [
        "bpjs.claim.ClaimSubmitted.kpj_number: field added without a default "
        "(old data has no value for it)"
    ]
    field(new, "kpj_number")["aliases"] = ["kpj"]
    assert check_backward_compatible(claim(), new) == []


def test_the_static_verdict_agrees_with_fastavro_on_a_broken_schema() -> None:
    # The checker's reason is what fastavro would hit at read time.
    import io

    from fastavro import parse_schema, schemaless_reader, schemaless_writer

    old = CURRENT["bpjs.payment.PaymentResult"].schema
    new = copy.deepcopy(old)
    new["fields"].append({"name": "fee", "type": "long", "doc": "Fee."})
    record = read_fixture("bpjs.payment.PaymentResult", 1, old)
    buf = io.BytesIO()
    schemaless_writer(buf, parse_schema(old, named_schemas={}), record)
    buf.seek(0)
    with pytest.raises(Exception, match="fee"):
        schemaless_reader(
            buf, parse_schema(old, named_schemas={}), parse_schema(new, named_schemas={})
        )
    assert check_backward_compatible(old, new) == [
        "bpjs.payment.PaymentResult.fee: field added without a default "
        "(old data has no value for it)"
    ]
