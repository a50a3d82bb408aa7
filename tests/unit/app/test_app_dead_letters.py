"""Dead letters stored in clear before migration 0003 are sealed and blanked, once each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app_events import ENROLLED, KEY, codec, fixture

from services.app.dead_letters import reseal_legacy
from services.app.records import LegacyDeadLetter, Position
from services.sealing import DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY, Opener, Sealed, Sealer

SEALER = Sealer.from_config(DEMO_PUBLIC_KEY, KEY)


@dataclass
class MemoryLegacy:
    """The two store calls resealing makes, over a list of rows (a fake on the same port)."""

    clear: dict[int, LegacyDeadLetter]
    digests: set[tuple[str, bytes]] = field(default_factory=set)
    sealed: dict[int, tuple[Sealed, str | None]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)

    async def legacy_dead_letters(self, limit: int) -> Sequence[LegacyDeadLetter]:
        return list(self.clear.values())[:limit]

    async def reseal_dead_letter(
        self, dead_letter_id: int, topic: str, sealed: Sealed, value_schema: str | None
    ) -> bool:
        del self.clear[dead_letter_id]
        if (topic, sealed.value_digest) in self.digests:
            self.deleted.append(dead_letter_id)
            return False
        self.digests.add((topic, sealed.value_digest))
        self.sealed[dead_letter_id] = (sealed, value_schema)
        return True


async def test_every_clear_row_is_sealed_bound_to_its_own_position() -> None:
    enrolled = codec().encode(ENROLLED, fixture(ENROLLED))
    rows = {
        i: LegacyDeadLetter(i, Position("bpjs.participant-events.v1", i, 10 * i), b"K", value)
        for i, value in enumerate([enrolled, b"not avro", enrolled[:14]], start=1)
    }
    store = MemoryLegacy(dict(rows))
    assert await reseal_legacy(store, SEALER, codec().writer_name, batch=2) == (3, 0)
    opener = Opener.from_config([DEMO_PRIVATE_KEY])
    for i, old in rows.items():
        sealed, _ = store.sealed[i]
        assert opener.open(sealed.envelope, old.position) == (b"K", old.value)
    assert [store.sealed[i][1] for i in (1, 2, 3)] == [
        "bpjs.enrollment.ParticipantEnrolled",
        None,
        "bpjs.enrollment.ParticipantEnrolled",  # the header survives the cut
    ]


async def test_a_clear_row_whose_message_is_already_sealed_is_dropped() -> None:
    here = Position("bpjs.participant-events.v1", 0, 1)
    store = MemoryLegacy({7: LegacyDeadLetter(7, here, None, b"same bytes")})
    store.digests.add((here.topic, SEALER.seal(None, b"same bytes", here).value_digest))
    assert await reseal_legacy(store, SEALER, codec().writer_name) == (0, 1)
    assert store.deleted == [7]
