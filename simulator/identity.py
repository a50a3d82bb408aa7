"""Unique, valid NIK and KPJ numbers, names and bank accounts for generated people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from random import Random

from simulator import reference as ref

_KPJ_STRIDE = 7919  # prime, coprime with 10**9: n -> n*stride mod 10**9 never repeats
UNKNOWN_KPJ_PREFIX = "99"  # no cohort enrols in 2099, so these KPJs are never issued


class Identities:
    """Issues NIKs (domain §8: province, regency, district, DDMMYY with women +40, serial) and KPJs.

    NIK serials count up per (region, birth date, sex) prefix as Dukcapil does, which makes every
    NIK unique without a lookup set. KPJs are 2 digits of the enrolment year + 9 scrambled digits.
    """

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._serials: dict[str, int] = {}
        self._kpj_offset = rng.randrange(10**9)
        self._kpj_issued = 0

    def nik(self, province: str, regency: str, district: int, birth: date, female: bool) -> str:
        day = birth.day + 40 if female else birth.day
        head = f"{province}{regency}{district:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        serial = self._serials.get(head, 0) + 1
        self._serials[head] = serial
        return f"{head}{serial:04d}"

    def kpj(self, enrolled_on: date, prefix: str | None = None) -> str:
        n = self._kpj_issued
        self._kpj_issued += 1
        year = prefix if prefix is not None else f"{enrolled_on.year % 100:02d}"
        return f"{year}{(self._kpj_offset + n * _KPJ_STRIDE) % 10**9:09d}"


def event_id(rng: Random) -> str:
    """A uuid4 drawn from the scenario's generator, so ids repeat with the seed.

    Formatted by hand from 16 random bytes (version nibble 4, RFC 4122 variant): it runs ~1.8M
    times per jakarta-2016 replay and this is twice as fast as going through uuid.UUID.
    """
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def below(rng: Random, n: int) -> int:
    """A uniform int in [0, n): one float draw, several times cheaper than randrange (hot path)."""
    return int(rng.random() * n)


def person_name(rng: Random, female: bool) -> str:
    names = ref.FEMALE_NAMES if female else ref.MALE_NAMES
    first = names[below(rng, len(names))]
    # Many Indonesians carry a single name; about a fifth here.
    if rng.random() < 0.2:
        return first
    return f"{first} {ref.FAMILY_NAMES[below(rng, len(ref.FAMILY_NAMES))]}"


def bank_account(rng: Random) -> tuple[str, str]:
    return rng.choice(ref.BANK_CODES), str(rng.randrange(10**9, 10**13))


def office_time(day: date, rng: Random) -> datetime:
    """An instant during Jakarta office hours (08:00-16:00 WIB = 01:00-09:00 UTC) on a day."""
    s = below(rng, 8 * 3600)
    return datetime(day.year, day.month, day.day, 1 + s // 3600, s // 60 % 60, s % 60, tzinfo=UTC)


def add_years(d: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def random_day(rng: Random, lo: date, hi: date) -> date:
    """A day in [lo, hi]."""
    return date.fromordinal(lo.toordinal() + rng.randrange(hi.toordinal() - lo.toordinal() + 1))
