"""ParticipantEnrolled bytes straight from an import row, byte-identical to AvroCodec.encode.

AvroCodec.encode validates every record with fastavro before writing it (about 50 µs for a
ParticipantEnrolled on the 2-core dev machine); the bulk import writes 250,000 records whose
every field it has just validated itself. So it writes the Avro binary body directly (Avro spec,
"Binary Encoding"), with the batch's constant fields encoded once: a few µs a row. This only
holds for the schema version it was written for: any other field list raises Unsupported and
the import uses AvroCodec.encode. The import also checks the first row of every run against
AvroCodec.encode, and tests check thousands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.app.import_batch import SOURCE
from services.app.import_rows import Enrollment
from streams.kafka.codec import AvroCodec, SingleObjectFraming

NAME = "bpjs.enrollment.ParticipantEnrolled"
FIELDS = (
    "event_id",
    "occurred_at",
    "source",
    "batch_id",
    "kpj",
    "nik",
    "name",
    "birth_date",
    "category",
    "programs",
    "employer_npp",
    "sponsor_id",
    "work_unit",
    "wage",
    "jkk_risk_class",
    "enrolled_on",
)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NULL, _SECOND_BRANCH = b"\x00", b"\x02"  # union index 0 (null) or 1, zigzag-encoded


class Unsupported(ValueError):
    """The current schema is not the one this writer was written for: use AvroCodec.encode."""


def _varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


_SMALL = tuple(_varint(i) for i in range(-64, 64))  # one byte each


def zigzag(n: int) -> bytes:
    """An Avro int or long: zigzag, then variable length."""
    return _SMALL[n + 64] if -64 <= n < 64 else _varint(n)


def string_bytes(value: str) -> bytes:
    """An Avro string: its UTF-8 length as a long, then the bytes."""
    data = value.encode()
    return zigzag(len(data)) + data


def date_bytes(value: date) -> bytes:
    """An Avro date: days since 1970-01-01."""
    return zigzag(value.toordinal() - _EPOCH_DAY)


def timestamp_millis_bytes(value: datetime) -> bytes:
    """An Avro timestamp-millis, with fastavro's arithmetic so sub-milliseconds round alike."""
    delta = value - _EPOCH
    return zigzag((delta.days * 86_400 + delta.seconds) * 1_000 + int(delta.microseconds / 1000))


def optional_string_bytes(text: str | None) -> bytes:
    """A ["null", "string"] union value: branch index, then the string."""
    return _NULL if text is None else _SECOND_BRANCH + string_bytes(text)


def _symbols(schema: Any, field: str) -> list[str]:
    node = next(f for f in schema["fields"] if f["name"] == field)["type"]
    if field == "programs":
        node = next(f for f in node["items"]["fields"] if f["name"] == "program")["type"]
    return list(node["symbols"])


class EnrollmentWriter:
    """Frames and writes one batch's ParticipantEnrolled events (single-object encoding)."""

    def __init__(
        self, codec: AvroCodec, batch_id: str, sponsor_id: str, occurred_at: datetime
    ) -> None:
        version = codec.schema(NAME)
        found = tuple(f["name"] for f in version.schema["fields"])
        if found != FIELDS:
            raise Unsupported(f"{NAME} has fields {found}, this writer knows {FIELDS}")
        self._head = SingleObjectFraming().header(version)
        self._after_id = (
            timestamp_millis_bytes(occurred_at)
            + string_bytes(SOURCE)
            + _SECOND_BRANCH
            + string_bytes(batch_id)
        )
        self._sponsor = optional_string_bytes(sponsor_id)
        self._category = {s: zigzag(i) for i, s in enumerate(_symbols(version.schema, "category"))}
        self._program = {s: zigzag(i) for i, s in enumerate(_symbols(version.schema, "programs"))}
        self._dates: dict[date, bytes] = {}
        self._programs: dict[tuple[tuple[str, ...], date], bytes] = {}
        self._texts: dict[str | None, bytes] = {None: _NULL}

    def _date(self, day: date) -> bytes:
        found = self._dates.get(day)
        if found is None:
            found = self._dates[day] = date_bytes(day)
        return found

    def _optional(self, text: str | None) -> bytes:
        """A ["null", "string"] value; repeated ones (work units, NPPs) are encoded once."""
        found = self._texts.get(text)
        if found is None:
            if len(self._texts) > 100_000:
                self._texts = {None: _NULL}
            found = self._texts[text] = optional_string_bytes(text)
        return found

    def _program_list(self, programs: tuple[str, ...], effective: date) -> bytes:
        key = (programs, effective)
        found = self._programs.get(key)
        if found is None:
            day = self._date(effective)
            items = b"".join(self._program[p] + day for p in programs)
            found = zigzag(len(programs)) + items + b"\x00" if programs else b"\x00"
            self._programs[key] = found
        return found

    def __call__(self, e: Enrollment, event_id: str) -> bytes:
        risk = _NULL if e.jkk_risk_class is None else _SECOND_BRANCH + zigzag(e.jkk_risk_class)
        return b"".join(
            (
                self._head,
                string_bytes(event_id),
                self._after_id,
                string_bytes(e.kpj),
                string_bytes(e.nik),
                string_bytes(e.name),
                self._date(e.birth_date),
                self._category[e.category],
                self._program_list(e.programs, e.enrolled_on),
                self._optional(e.employer_npp),
                self._sponsor,
                self._optional(e.work_unit),
                zigzag(e.wage),
                risk,
                self._date(e.enrolled_on),
            )
        )
