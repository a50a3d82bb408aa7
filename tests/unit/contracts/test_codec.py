"""The codec round-trips every event and fails with typed, precise errors."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from contract_support import SCHEMAS, read_fixture
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from streams.kafka.codec import (
    AvroCodec,
    BadMarker,
    CodecError,
    DecodeError,
    EncodeError,
    MalformedBody,
    TruncatedMessage,
    UnknownFingerprint,
    UnknownSchema,
)
from streams.kafka.topics import value_schemas

CLAIM = "bpjs.claim.ClaimSubmitted"


def sample(codec: AvroCodec, name: str) -> dict[str, Any]:
    return read_fixture(name, 1, codec.schema(name).schema)


@pytest.mark.parametrize("name", sorted(value_schemas()))
def test_every_message_kind_round_trips(codec: AvroCodec, name: str) -> None:
    record = sample(codec, name)
    decoded = codec.decode(codec.encode(name, record))
    assert (decoded.name, decoded.record) == (name, record)
    assert decoded.writer_fingerprint == codec.schema(name).fingerprint


def test_header_is_c3_01_then_the_little_endian_crc64_of_the_canonical_form(
    codec: AvroCodec,
) -> None:
    data = codec.encode(CLAIM, sample(codec, CLAIM))
    canonical = to_parsing_canonical_form(
        parse_schema(codec.schema(CLAIM).schema, named_schemas={})
    )
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


def test_the_crc64_of_null_matches_the_avro_specification() -> None:
    # Java parsingFingerprint64("null") is 0x63dd24e7cc258f8a; the wire carries it little-endian.
    fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(parse_schema("null")), "CRC-64-AVRO"))
    assert int.from_bytes(fp, "little") == 0x63DD24E7CC258F8A


def test_dates_and_instants_decode_as_date_and_aware_utc_datetime(codec: AvroCodec) -> None:
    record = codec.decode(codec.encode(CLAIM, sample(codec, CLAIM))).record
    assert type(record["event_date"]) is dt.date
    assert record["occurred_at"].utcoffset() == dt.timedelta(0)


def test_union_detail_accepts_a_plain_dict_or_a_name_and_dict_tuple(codec: AvroCodec) -> None:
    record = sample(codec, CLAIM)
    jp = {"kind": "OLD_AGE", "heirs": []}
    for detail in (jp, ("bpjs.claim.JpClaimDetail", jp)):
        decoded = codec.decode(codec.encode(CLAIM, {**record, "program": "JP", "detail": detail}))
        assert decoded.record["detail"] == jp  # decode returns the plain dict; `program` says which
    # A field left out takes its schema default (heirs: [] since JpClaimDetail v2).
    decoded = codec.decode(
        codec.encode(CLAIM, {**record, "program": "JP", "detail": {"kind": "OLD_AGE"}})
    )
    assert decoded.record["detail"] == jp


def broken(codec: AvroCodec, change: Any) -> str:
    record = copy.deepcopy(sample(codec, CLAIM))
    change(record)
    with pytest.raises(EncodeError) as info:
        codec.encode(CLAIM, record)
    return str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r["payee"].update(account_number=None),
            "bpjs.claim.ClaimSubmitted.payee.account_number: expected string, got None",
        ),
        (
            lambda r: r["detail"].update(wage=4500000.0),
            "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JkkClaimDetail].wage: expected long, "
            "got float 4500000.0",
        ),
        (
            lambda r: r["detail"]["transport"][0].update(amount="350000"),
            "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JkkClaimDetail].transport[0].amount: "
            "expected long, got str '350000'",
        ),
        (
            lambda r: r.update(program="JKP"),
            "bpjs.claim.ClaimSubmitted.program: expected one of ['JHT', 'JKK', 'JKM', 'JP'], "
            "got str 'JKP'",
        ),
        (lambda r: r.pop("kpj"), "bpjs.claim.ClaimSubmitted.kpj: missing (no default)"),
        (
            lambda r: r["detail"].update(reported_stage_2_on=None),
            "unknown field(s) reported_stage_2_on for record bpjs.claim.JkkClaimDetail",
        ),
        (
            lambda r: r.update(occurred_at=dt.datetime(2025, 6, 12, 11, 30)),
            "ClaimSubmitted.occurred_at: expected a timezone-aware datetime, got a naive",
        ),
        (
            lambda r: r.update(event_date="2025-06-02"),
            "bpjs.claim.ClaimSubmitted.event_date: expected datetime.date, got str '2025-06-02'",
        ),
        (
            lambda r: r["detail"]["children"][0].update(birth_date=dt.datetime(2016, 8, 17)),
            "detail[bpjs.claim.JkkClaimDetail].children[0].birth_date: expected datetime.date",
        ),
        (
            lambda r: r.update(detail=("bpjs.claim.JpClaimDetail", {"kind": "WIDOW"})),
            "bpjs.claim.ClaimSubmitted.detail[bpjs.claim.JpClaimDetail].kind: expected one of",
        ),
    ],
)
def test_encode_errors_name_the_field_the_value_and_the_reason(
    codec: AvroCodec, change: Any, message: str
) -> None:
    assert message in broken(codec, change)


def test_encoding_an_unknown_schema_name_is_an_encode_error(codec: AvroCodec) -> None:
    with pytest.raises(UnknownSchema, match=r"bpjs\.claim\.Nope"):
        codec.encode("bpjs.claim.Nope", {})


def test_wrong_marker_is_bad_marker(codec: AvroCodec) -> None:
    data = codec.encode(CLAIM, sample(codec, CLAIM))
    with pytest.raises(BadMarker):
        codec.decode(b"\x00" + data[1:])  # e.g. a Confluent-framed message


def test_unknown_fingerprint_is_unknown_fingerprint(codec: AvroCodec) -> None:
    data = codec.encode(CLAIM, sample(codec, CLAIM))
    with pytest.raises(UnknownFingerprint, match="0011223344556677"):
        codec.decode(data[:2] + bytes.fromhex("0011223344556677") + data[10:])


@pytest.mark.parametrize("cut", [0, 1, 5, 9])
def test_a_header_cut_short_is_truncated(codec: AvroCodec, cut: int) -> None:
    with pytest.raises(TruncatedMessage):
        codec.decode(codec.encode(CLAIM, sample(codec, CLAIM))[:cut])


def test_a_body_cut_short_is_truncated_and_keeps_the_cause(codec: AvroCodec) -> None:
    data = codec.encode(CLAIM, sample(codec, CLAIM))
    with pytest.raises(TruncatedMessage) as info:
        codec.decode(data[:-7])
    assert info.value.__cause__ is not None


def test_a_body_that_does_not_parse_is_malformed(codec: AvroCodec) -> None:
    header = codec.encode(CLAIM, sample(codec, CLAIM))[:10]
    with pytest.raises(MalformedBody) as info:
        codec.decode(header + b"\xff" * 40)
    assert info.value.__cause__ is not None


def test_trailing_bytes_after_the_body_are_malformed(codec: AvroCodec) -> None:
    with pytest.raises(MalformedBody, match="trailing"):
        codec.decode(codec.encode(CLAIM, sample(codec, CLAIM)) + b"\x00")


def test_every_codec_error_shares_one_root() -> None:
    for error in (BadMarker, TruncatedMessage, UnknownFingerprint, MalformedBody, UnknownSchema):
        assert issubclass(error, CodecError)
    assert issubclass(BadMarker, DecodeError) and issubclass(EncodeError, CodecError)


def test_a_message_from_an_older_writer_version_is_read_into_the_current_schema() -> None:
    # Simulate a future v2 that adds an optional field: v1 bytes must decode into v2's shape.
    from streams.kafka.schema_catalogue import SchemaVersion, current_versions, fingerprint_of

    current = current_versions(SCHEMAS)
    old = current["bpjs.payment.PaymentResult"]
    new_schema = copy.deepcopy(old.schema)
    new_schema["fields"].append(
        {"name": "bank_reference", "type": ["null", "string"], "default": None, "doc": "Ref."}
    )
    new = SchemaVersion(old.name, None, new_schema, fingerprint_of(new_schema))
    v1_codec = AvroCodec({old.name: old})
    v2_codec = AvroCodec({**current, old.name: new}, history=[old])
    record = read_fixture(old.name, 1, old.schema)
    decoded = v2_codec.decode(v1_codec.encode(old.name, record))
    assert decoded.writer_fingerprint == old.fingerprint != new.fingerprint
    assert decoded.record == {**record, "bank_reference": None}


@pytest.mark.parametrize("name", ["bpjs.enrollment.ParticipantEnrolled", CLAIM])
def test_no_decode_error_of_a_damaged_message_quotes_any_part_of_its_nik(
    codec: AvroCodec, name: str
) -> None:
    # A dead letter's error message is stored and published in clear. fastavro's errors can quote
    # the bytes they failed on (a UnicodeDecodeError's repr holds the whole string being read),
    # so every cut and many single-byte corruptions of a NIK-bearing event are tried.
    record = sample(codec, name)
    nik = record["nik"]
    data = codec.encode(name, record)
    fragments = {nik[i : i + 6] for i in range(len(nik) - 5)}
    damaged = [data[:n] for n in range(len(data))] + [
        data[:i] + bytes([b]) + data[i + 1 :]
        for i in range(len(data))
        for b in (0x00, 0x01, 0x3F, 0x7F, 0x80, 0xC3, 0xFF)
    ]
    failures = 0
    for blob in damaged:
        try:
            codec.decode(blob)
        except DecodeError as e:
            failures += 1
            assert not any(f in str(e) for f in fragments), str(e)
    assert failures > len(data)  # the corruptions really failed, UnicodeDecodeErrors among them


def test_a_string_that_is_not_utf8_is_reported_by_position_only(codec: AvroCodec) -> None:
    record = sample(codec, "bpjs.enrollment.ParticipantEnrolled")
    data = codec.encode("bpjs.enrollment.ParticipantEnrolled", record)
    at = data.index(record["nik"].encode()) + 12
    with pytest.raises(MalformedBody, match="UnicodeDecodeError: invalid start byte at byte 12"):
        codec.decode(data[:at] + b"\xff" + data[at + 1 :])
