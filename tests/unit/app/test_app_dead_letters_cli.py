"""`claims dead-letters`: key pairs, the refusals that need no database, and what it prints."""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime

import pytest
from app_events import ENROLLED, NIK, codec, fixture

from claims.cli import main
from claims.commands.dead_letters import metadata, opened_document
from claims.errors import EXIT_CONFIG
from services.app.records import Position, StoredDeadLetter
from services.sealing import Opener, Sealer


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["claims"])
    for var in ("DEAD_LETTER_PRIVATE_KEYS", "DEAD_LETTER_PUBLIC_KEY", "NIK_HASH_KEY"):
        monkeypatch.delenv(var, raising=False)


def stored(sealed: bytes | None = b"\x01envelope") -> StoredDeadLetter:
    return StoredDeadLetter(
        7, "bpjs.participant-events.v1", 2, 41, "InvalidEvent", "nik: <15 digits>: must be",
        datetime(2025, 7, 7, tzinfo=UTC), "participant-events", sealed, "375672b9158b57b1", 120,
        ENROLLED, None,
    )  # fmt: skip


def test_keygen_prints_a_matching_pair_as_two_environment_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["dead-letters", "keygen"]) == 0
    out = capsys.readouterr()
    public_line, private_line = out.out.splitlines()
    public = public_line.removeprefix("DEAD_LETTER_PUBLIC_KEY=")
    private = private_line.removeprefix("DEAD_LETTER_PRIVATE_KEYS=")
    where = Position("t", 0, 0)
    sealed = Sealer.from_config(public, "k" * 16).seal(b"k", b"v", where)
    assert Opener.from_config([private]).open(sealed.envelope, where) == (b"k", b"v")
    assert f"key id {sealed.key_id}" in out.err


@pytest.mark.parametrize("args", [["show", "1"], ["replay", "1", "2"]])
def test_opening_without_a_private_key_is_a_configuration_error_naming_the_variable(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dead-letters", *args]) == EXIT_CONFIG
    assert "DEAD_LETTER_PRIVATE_KEYS" in capsys.readouterr().err


def test_reseal_without_the_public_key_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NIK_HASH_KEY", "an-operator-set-key-0001")
    assert main(["dead-letters", "reseal"]) == EXIT_CONFIG
    assert "DEAD_LETTER_PUBLIC_KEY" in capsys.readouterr().err


def test_the_listed_metadata_holds_no_envelope() -> None:
    listed = metadata(stored())
    assert listed["sealed"] is True and listed["value_schema"] == ENROLLED
    assert b"envelope" not in repr(listed).encode()
    assert metadata(stored(None))["sealed"] is False


def test_an_opened_dead_letter_shows_the_decoded_record_or_why_it_does_not_decode() -> None:
    value = codec().encode(ENROLLED, fixture(ENROLLED))
    shown = opened_document(stored(), b"24012345678", value)
    assert (shown["key"], shown["record"]["nik"]) == ("24012345678", NIK)
    assert base64.b64decode(shown["value_base64"]) == value
    cut = opened_document(stored(), None, value[:20])
    assert cut["key"] is None and cut["record"] is None
    assert cut["decode_error"].startswith("TruncatedMessage")
